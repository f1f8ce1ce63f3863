import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { parseInventory } from '../providers';
import { cli } from '../triggers/cli';
import { reconcileRotationSchedules, rotationScheduleId } from '../worker/schedules';
import { buildDeps, createWorker } from '../worker/wiring';
import { hygieneStatusQuery } from '../workflows/definitions';
import type { HygieneRun } from '../workflows/hygiene';
import { awsConfig, codecKeys, controlFor, eventually, iam, scratchDir, testEnv, uniqueQueue, useTemporal } from './support/env';
import { waitForState } from './support/fixtures';

// A scheduled hygiene run acting on its findings, end to end on moto and the run's Temporal dev server:
// its clock 45 days ahead (creation dates cannot be faked), an unused key waits for a named approver
// and only the approved key is set Inactive in IAM; an old key whose entry rotates has its rotation
// schedule triggered; a retried deactivation changes nothing.

let client: Client;
useTemporal((c) => (client = c));

const tag = `hya${Date.now().toString(36)}`;
const DAY = 86_400_000;

async function status(user: string): Promise<Record<string, string>> {
  const c = iam();
  const r = await c.send(new ListAccessKeysCommand({ UserName: user }));
  c.destroy();
  return Object.fromEntries((r.AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId!, k.Status!]));
}

test('unused keys wait for an approver and only the approved one is deactivated; an old key’s rotation is triggered; a retry deactivates nothing twice', async () => {
  const c = iam();
  const users = { idle: `${tag}-idle`, spare: `${tag}-spare`, svc: `${tag}-svc` };
  const keys: Record<string, string> = {};
  for (const [name, user] of Object.entries(users)) {
    await c.send(new CreateUserCommand({ UserName: user }));
    keys[name] = (await c.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!.AccessKeyId!;
  }
  c.destroy();
  const rotation = `${tag}-svc-rot`;
  const inventory = parseInventory(`
hygiene:
  maxAge: 30d
  unusedFor: 20d
  actions: { deactivateUnused: ask, rotateOld: trigger, approvalTimeout: 1h }
credentials:
  - provider: aws-iam
    owner: ${users.svc}
    name: ${rotation}
    rotateEvery: 90d
    rotation: { approvals: [regenerate] }     # the triggered rotation waits there: the key stays as it is
`);
  const taskQueue = uniqueQueue('hygiene-actions');
  const control = controlFor(client, taskQueue);
  const dataDir = scratchDir('hygiene-actions');
  // The worker as worker/main.ts builds it, plus what lets a hygiene run trigger rotation schedules.
  const deps = { ...buildDeps({ inventory, aws: awsConfig(), dataDir, reportsDir: path.join(dataDir, 'reports'), keys: codecKeys() }), rotationSchedules: control };
  const connection = await NativeConnection.connect({ address: testEnv().temporalAddress });
  const worker = await createWorker({ connection, taskQueue, deps, keys: codecKeys(), workflowBundlePath: testEnv().bundlePath });
  const running = worker.run();
  const schedule = client.schedule.getHandle(rotationScheduleId(taskQueue, rotation));
  const runId = `leakstop-hygiene-${taskQueue}-run`;
  const at = new Date(Date.now() + 45 * DAY).toISOString();
  try {
    expect(await reconcileRotationSchedules(client, taskQueue, inventory)).toEqual({ [rotation]: 'created' });
    const handle = await client.workflow.start('hygieneWorkflow', { taskQueue, workflowId: runId, args: [{ at }] });
    const waiting = await eventually(async () => {
      const s = await handle.query(hygieneStatusQuery);
      return s.status === 'waiting' ? s : undefined;
    }, 120_000, 'the run to wait for an approval');
    const proposed = waiting.actions.deactivation!.proposed.filter((k) => k.owner.startsWith(tag));
    expect(proposed.map((k) => [k.owner, k.id, k.detail])).toEqual([
      [users.idle, keys.idle, 'never used in 45 days'],
      [users.spare, keys.spare, 'never used in 45 days'],
      [users.svc, keys.svc, 'never used in 45 days'],
    ]);
    // The old key whose entry rotates: its schedule ran at once, without waiting for the approval.
    expect(waiting.actions.rotation!.triggered).toEqual([{ name: rotation, key: expect.objectContaining({ id: keys.svc, owner: users.svc }) }]);
    expect(waiting.actions.rotation!.byHand.filter((k) => k.owner.startsWith(tag)).map((k) => k.id)).toEqual([keys.idle, keys.spare]);
    const rotationRun = await eventually(async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId, 30_000, 'the triggered rotation');
    await waitForState(client, rotationRun, (s) => s.waiting.some((w) => w.phase === 'regenerate'));
    await client.workflow.getHandle(rotationRun).terminate('the test needs only its start');

    // A key the run did not propose is refused, by field; nothing changes.
    const refused = await control.approveHygiene(runId, { by: 'erin', keys: [keys.idle, 'AKIAEXAMPLENOTPROPOS'] }).catch((e: WorkflowUpdateFailedError) => String(e.cause?.message));
    expect(refused).toMatch(/^keys: not proposed by this run: AKIAEXAMPLENOTPROPOS \(proposed: /);
    expect((await handle.query(hygieneStatusQuery)).status).toBe('waiting');

    // The approval, as a person gives it: `leakstop audit approve <run> --by erin --key …`.
    const out: string[] = [];
    const saved = { ...process.env };
    Object.assign(process.env, { TEMPORAL_ADDRESS: testEnv().temporalAddress, LEAKSTOP_TASK_QUEUE: taskQueue });
    try {
      expect(await cli(['audit', 'approve', runId, '--key', keys.idle], (l) => out.push(l))).toBe(2);
      expect(out.pop()).toMatch(/^--by: required/);
      expect(await cli(['audit', 'approve', runId, '--by', 'erin', '--key', keys.idle], (l) => out.push(l))).toBe(0);
    } finally {
      process.env = saved;
    }
    expect(out).toEqual(['approved by erin: 1 key(s) to deactivate']);

    const run: HygieneRun = await handle.result();
    expect(await status(users.idle)).toEqual({ [keys.idle]: 'Inactive' });
    expect(await status(users.spare)).toEqual({ [keys.spare]: 'Active' });
    expect(await status(users.svc)).toEqual({ [keys.svc]: 'Active' });
    const d = run.actions!.deactivation!;
    expect(d.approval).toEqual({ by: 'erin', at: expect.any(String), keys: [keys.idle] });
    expect(d.results).toEqual([{ id: keys.idle, display: expect.stringMatching(/^AKIA…/), outcome: 'deactivated', summary: expect.stringMatching(/^set AKIA…\S+ inactive$/) }]);
    expect(d.left.map((k) => k.id)).toEqual(expect.arrayContaining([keys.spare, keys.svc]));
    expect(d.left.map((k) => k.id)).not.toContain(keys.idle);
    expect(run.actionSummary).toMatch(/^Key hygiene actions: \d+ unused key\(s\) proposed, 1 approved by erin, 1 deactivated, \d+ left active; 1 rotation\(s\) triggered, 0 not triggered, \d+ old key\(s\) to rotate by hand\.$/);
    // The report says who approved what, and what became of each proposal.
    const file = run.reportUrl.replace(/^file:\/\//, '');
    expect(file).toBe(path.join(dataDir, 'reports', `leak-hygiene-audit-${at.slice(0, 10)}.md`));
    expect(existsSync(file)).toBe(true);
    const report = readFileSync(file, 'utf8');
    expect(report).toContain('Approved by erin at ');
    expect(report).toContain(`| ${d.results[0]!.display} | ${users.idle} | deactivated: set ${d.results[0]!.display} inactive |`);
    expect(report).toContain(`| triggered: ${rotation} |`);

    // A retried deactivation (the activity run again) finds the key inactive and changes nothing.
    const again = await createActivities(deps).deactivateUnusedKeys({ runId, startedAt: at, keys: proposed.filter((k) => k.id === keys.idle) });
    expect(again).toEqual([{ id: keys.idle, display: d.results[0]!.display, outcome: 'already inactive', summary: expect.stringMatching(/was already inactive$/) }]);
    expect(await status(users.idle)).toEqual({ [keys.idle]: 'Inactive' });
    expect(await status(users.spare)).toEqual({ [keys.spare]: 'Active' });
  } finally {
    await client.workflow.getHandle(runId).terminate('test finished').catch(() => undefined);
    await schedule.delete().catch(() => undefined);
    worker.shutdown();
    await running;
    await connection.close();
  }
}, 240_000);

test('hygiene.actions: none unless the inventory says so; its fields are checked and named when wrong', () => {
  expect(parseInventory('hygiene: { maxAge: 90d }').hygiene.actions).toBeUndefined();
  expect(parseInventory('hygiene: { actions: { deactivateUnused: ask } }').hygiene.actions).toEqual({ deactivateUnused: 'ask', rotateOld: 'never', approvalTimeout: '7d' });
  const problems = (text: string) => {
    try {
      parseInventory(text);
      return 'accepted';
    } catch (err) {
      return (err as Error).message.split('\n').slice(1);
    }
  };
  expect(problems('hygiene: { actions: { deactivateUnused: always, rotateOld: yes, approvalTimeout: 2w } }')).toEqual([
    'hygiene.actions.deactivateUnused: must be ask or never',
    'hygiene.actions.rotateOld: must be trigger or never',
    'hygiene.actions.approvalTimeout: must be a number of days, hours or minutes such as 7d, 48h or 30m',
  ]);
  expect(problems('hygiene: { actions: { approvalTimeout: 91d } }')).toEqual(['hygiene.actions.approvalTimeout: must be between 1m and 90d']);
  expect(problems('hygiene: { actions: { deactivate: ask } }')).toEqual([expect.stringMatching(/^hygiene\.actions: .*deactivate/)]);
});
