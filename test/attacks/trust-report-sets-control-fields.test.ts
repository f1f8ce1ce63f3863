import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { incidentIdFor } from '../../domain/fingerprint';
import type { IncidentState } from '../../domain/incident';
import { ValidationError } from '../../domain/issues';
import { reportLeak } from '../../triggers/incidents';
import { DeployHookServer } from '../../worker/deploy-hook-server';
import { INCIDENT_WORKFLOW_TYPE, reportSignal, tightenUpdate } from '../../workflows/definitions';
import { controlFor, leakedKey, startWorker, uniqueQueue, useTemporal } from '../support/env';
import { leakInput, report, standardInventory, waitForState } from '../support/fixtures';

// Finding 2: a report set control fields. Its `policy` replaced the inventory's (drop approvals, add
// quarantine, stall a real incident with approvals); `secretHandle` and `exposure.alert` were accepted from
// any sender, so a signed sender could get an unrelated GitHub alert closed as "revoked".

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

const startByHand = async (taskQueue: string, input: Record<string, unknown>) => {
  const handle = await client.workflow.start(INCIDENT_WORKFLOW_TYPE, { workflowId: incidentIdFor('aws-iam', String(input.credentialId)), taskQueue, args: [input] });
  return handle.result().then(() => undefined, (e) => String(e?.cause?.message));
};

test('a report that sets policy, a secret handle or an alert is refused by field, through a trigger and by hand', async () => {
  const leak = await leakedKey('ctl');
  const taskQueue = uniqueQueue('ctl');
  const worker = await startWorker({ taskQueue, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url, policy: '{ approvals: [revoke] }' }) });
  try {
    for (const [field, extra] of [
      ['policy', { policy: { approvals: [] } }],
      ['secretHandle', { secretHandle: 'new/aws-iam/someone-elses' }],
    ] as const) {
      const err = await reportLeak(client, taskQueue, leakInput(leak.keyId, extra)).catch((e) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.fields).toEqual([field]);
      expect(await startByHand(taskQueue, leakInput(leak.keyId, extra))).toMatch(new RegExp(`^${field}: `, 'm'));
    }
    const alert = { exposure: { source: 'temporal-ui', public: true, alert: { repository: 'victim/unrelated', number: 7 } } };
    expect(await startByHand(taskQueue, leakInput(leak.keyId, alert))).toMatch(/^exposure\.alert: set only by Leakstop's triggers/m);
  } finally {
    await worker.stop();
  }
});

test('a joining report that names an alert without a seal cannot get that alert closed', async () => {
  const leak = await leakedKey('ctl-alert');
  const taskQueue = uniqueQueue('ctl-alert');
  const worker = await startWorker({ taskQueue, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url, policy: '{ approvals: [regenerate] }' }) });
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    await waitForState(client, incidentId, (s) => s.waiting.some((w) => w.phase === 'regenerate'));
    const forged = { exposure: { source: 'github-secret-scanning' as const, public: true, alert: { repository: 'victim/unrelated', number: 7 } }, requestedBy: 'mallory' };
    await client.workflow.getHandle(incidentId).signal(reportSignal, forged);
    await waitForState(client, incidentId, (s) => s.reports.length === 2);
    await controlFor(client, taskQueue).approve(incidentId, { phase: 'regenerate', by: 'carol' });
    const s: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(s.status).toBe('completed');
    expect(s.alerts).toEqual([]);
    expect(s.actions.filter((a) => a.step.startsWith('close alert'))).toEqual([]);
    expect(s.timeline).toContainEqual(expect.objectContaining({ event: expect.stringContaining('without a seal from Leakstop: the alert is ignored') }));
  } finally {
    await worker.stop();
  }
});

test('an approver may tighten a running incident (recorded), never loosen it', async () => {
  const leak = await leakedKey('ctl-tight');
  const taskQueue = uniqueQueue('ctl-tight');
  const worker = await startWorker({ taskQueue, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url, policy: '{ approvals: [regenerate] }' }) });
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    await waitForState(client, incidentId, (s) => s.waiting.some((w) => w.phase === 'regenerate'));
    const control = controlFor(client, taskQueue);
    await expect(control.tighten(incidentId, { approvals: ['contain'], by: 'carol' })).rejects.toThrow(WorkflowUpdateFailedError); // already run
    const refused = await client.workflow.getHandle(incidentId).executeUpdate(tightenUpdate, { args: [{ approvals: ['nothing' as never], by: 'carol' }] }).catch((e) => String(e.cause?.message));
    expect(refused).toMatch(/^approvals: "nothing" is not a phase/);
    expect(await control.tighten(incidentId, { approvals: ['revoke'], by: 'carol' })).toBe('revoke will wait for an approver');
    await control.approve(incidentId, { phase: 'regenerate', by: 'carol' });
    const s = await waitForState(client, incidentId, (st) => st.waiting.some((w) => w.phase === 'revoke'));
    expect(s.policy?.approvals).toEqual(['regenerate', 'revoke']);
    expect(s.timeline).toContainEqual(expect.objectContaining({ event: 'policy tightened: revoke now wait(s) for an approver', by: 'carol' }));
    await control.approve(incidentId, { phase: 'revoke', by: 'carol' });
    expect((await client.workflow.getHandle(incidentId).result()).status).toBe('completed');
  } finally {
    await worker.stop();
  }
});
