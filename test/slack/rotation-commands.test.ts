import type { Client } from '@temporalio/client';
import { parseInventory } from '../../providers';
import { cli } from '../../triggers/cli';
import { reconcileRotationSchedules, rotationScheduleId } from '../../worker/schedules';
import { eventually, leakedKey, startWorker, testEnv, uniqueQueue, useTemporal } from '../support/env';
import { waitForState } from '../support/fixtures';
import { classicToken } from '../github/tokens';
import { APPROVER, REPORTER, SlackHarness, STRANGER } from './harness';

// Scheduled rotations held and run by people: `/leakstop rotation …` in Slack (approvers only for what
// changes anything) and `leakstop rotation …` on the CLI, against the dev server's real schedules.

let client: Client;
useTemporal((c) => (client = c));

const inventory = (owner: string) =>
  parseInventory(`
stores: { sm: { kind: aws-secrets-manager } }
credentials:
  - { provider: aws-iam, owner: ${owner}, name: ${owner}, rotateEvery: 30d, consumers: [{ name: api, store: sm, key: ${owner}/api }] }
`);

test('Slack: anyone who may read sees the rotations; only approvers pause, unpause and trigger them; names are checked', async () => {
  const taskQueue = uniqueQueue('slack-rotation');
  const name = `rot-${Date.now().toString(36)}`;
  await reconcileRotationSchedules(client, taskQueue, inventory(name));
  const schedule = client.schedule.getHandle(rotationScheduleId(taskQueue, name));
  const h = await new SlackHarness().start(client, taskQueue);
  const answer = async (text: string, user: string) => (await h.answers((await h.command(text, user)).responseId))[0]!;
  try {
    // Visibility lists a schedule a moment after it is made.
    await eventually(async () => ((await answer('rotation list', REPORTER)).includes(`\`${name}\`: next `) ? true : undefined), 30_000, 'the rotation listed');

    expect(await answer(`rotation pause ${name} change freeze`, STRANGER)).toMatch(/not allowed|may not|only/i);
    expect(h.refused).toEqual([{ incidentId: undefined, who: `slack:${STRANGER}`, what: 'pause scheduled rotations' }]);
    expect((await schedule.describe()).state.paused).toBe(false);

    expect(await answer(`rotation pause ${name} change freeze <!here>`, APPROVER)).toBe(`${name}: paused change freeze &lt;!here&gt; (slack:${APPROVER})`);
    const paused = await schedule.describe();
    expect(paused.state).toMatchObject({ paused: true, note: `change freeze <!here> (slack:${APPROVER})` });
    await eventually(async () => ((await answer('rotation list', REPORTER)).includes(`\`${name}\`: paused (change freeze &lt;!here&gt; (slack:${APPROVER}))`) ? true : undefined), 30_000, 'the pause listed');

    expect(await answer(`rotation unpause ${name}`, APPROVER)).toBe(`${name}: unpaused (slack:${APPROVER})`);
    expect((await schedule.describe()).state.paused).toBe(false);

    expect(await answer('rotation trigger nobody-rotates-this', APPROVER)).toBe('name: no scheduled rotation is named "nobody-rotates-this" (see the rotation list)');
    expect(await answer('rotation trigger <Bad_Name>', APPROVER)).toBe('name: "&lt;Bad_Name&gt;" is not a rotation\'s name (lower-case letters, digits and dashes)');
    expect(await answer(`rotation trigger ${name}`, APPROVER)).toBe(`${name}: a rotation starts now`);
    const run = await eventually(async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId, 30_000, 'the triggered run');
    expect(run).toMatch(new RegExp(`^rotation-${taskQueue}-${name}-`));
    // No worker polls this queue: the run is only started; it is not this test's to finish.
    await client.workflow.getHandle(run).terminate('the test only triggers it');
  } finally {
    await h.stop();
    await schedule.delete().catch(() => undefined);
  }
});

test('CLI: leakstop rotation pause, unpause and trigger, and a clear answer for a name that is not scheduled', async () => {
  const taskQueue = uniqueQueue('cli-rotation');
  const name = `cli-rot-${Date.now().toString(36)}`;
  await reconcileRotationSchedules(client, taskQueue, inventory(name));
  const schedule = client.schedule.getHandle(rotationScheduleId(taskQueue, name));
  const saved = { ...process.env };
  Object.assign(process.env, { TEMPORAL_ADDRESS: testEnv().temporalAddress, LEAKSTOP_TASK_QUEUE: taskQueue, USER: 'carol' });
  const run = async (...argv: string[]) => {
    const lines: string[] = [];
    const code = await cli(argv, (l) => lines.push(l));
    return { code, out: lines.join('\n') };
  };
  try {
    expect(await run('rotation', 'pause', name, '--reason', 'release week')).toEqual({ code: 0, out: `${name}: paused release week (carol)` });
    expect((await schedule.describe()).state).toMatchObject({ paused: true, note: 'release week (carol)' });
    expect(await run('rotation', 'unpause', name)).toEqual({ code: 0, out: `${name}: unpaused (carol)` });
    expect(await run('rotation', 'trigger', 'not-scheduled')).toEqual({ code: 2, out: 'name: no scheduled rotation is named "not-scheduled" (see the rotation list)' });
    expect(await run('rotation', 'trigger')).toEqual({ code: 2, out: 'NAME: required (leakstop rotation list shows the names)' });
    expect(await run('rotation', 'rewind', name)).toEqual({ code: 2, out: 'rotation rewind: not a command (list, trigger, pause, unpause)' });
    await eventually(async () => ((await run('rotation', 'list')).out.startsWith(`${name}  next `) ? true : undefined), 30_000, 'the rotation listed');
  } finally {
    process.env = saved;
    await schedule.delete().catch(() => undefined);
  }
});

test('Slack: /leakstop status takes a rotation run id and says it is a scheduled rotation and what it waits for', async () => {
  const key = await leakedKey('slack-rotation-status');
  // Random enough, with the owner's random name, to look like a pasted secret were it not a run's id.
  const taskQueue = uniqueQueue('slack-rotation-status');
  const name = `aws-iam-${key.user}`;
  const worker = await startWorker({
    taskQueue,
    inventory: `
credentials:
  - { provider: aws-iam, owner: ${key.user}, rotateEvery: 30d, rotation: { approvals: [revoke] } }
`,
  });
  const h = await new SlackHarness().start(client, taskQueue);
  const answer = async (text: string, user: string) => (await h.answers((await h.command(text, user)).responseId))[0]!;
  // Named as its schedule names a run: the schedule's id and the time, with upper case and colons.
  const runId = `rotation-${taskQueue}-${name}-2026-11-26T03:15:00Z`;
  const run = await client.workflow.start('rotationWorkflow', { taskQueue, workflowId: runId, args: [{ credential: name }] });
  try {
    await waitForState(client, runId, (s) => s.waiting.some((w) => w.kind === 'approval' && w.phase === 'revoke'));
    const said = await answer(`status ${runId}`, REPORTER);
    expect(said.split('\n')[0]).toBe(`*\`${runId}\`*: scheduled rotation of \`${name}\`, waiting, phase revoke`);
    expect(said).toContain('• waiting for approval: revoke (approve)');
    expect(await answer('status rotation-<!here>', REPORTER)).toBe('Give an incident id (leak-aws-…), an access key id (AKIA…) or a rotation run id (rotation-…).');
    // A secret beside the id, or a known format inside something shaped like an id, is still never repeated.
    expect(await answer(`status ${runId} wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`, REPORTER)).toMatch(/^a secret was pasted and not stored/);
    expect(await answer(`status rotation-${classicToken()}`, REPORTER)).toMatch(/^a secret was pasted and not stored/);
    expect(await answer(`status ${runId}`, 'U0NOBODY')).toMatch(/not allowed/);
  } finally {
    await run.terminate('the test ends here').catch(() => undefined);
    await h.stop();
    await worker.stop();
  }
});
