import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { HygienePlan, ProposedKey } from '../../domain/audit';
import { Registry } from '../../providers/registry';
import { leakstopDataConverter } from '../../worker/data-converter';
import { approveHygieneUpdate, hygieneStatusQuery } from '../../workflows/definitions';
import type { HygieneRun, hygieneWorkflow } from '../../workflows/hygiene';
import { codecKeys, testEnv, uniqueQueue } from '../support/env';
import { inventoryWith, useTimeSkipping, type Activities } from './harness';

// The key-hygiene run's actions under time-skipping, with stub activities: unused keys wait for a named
// approver (a week by default, skipped in milliseconds) and only the approved ones are deactivated; old
// keys' rotation schedules are triggered at once; without hygiene.actions a run does not wait at all.

const env = useTimeSkipping();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DAY = 86_400_000;

const key = (id: string, owner: string, detail: string): ProposedKey => ({ provider: 'aws-iam', id, owner, display: `${id.slice(0, 4)}…${id.slice(-4)}`, detail });
const IDLE = key('AKIAIDLE000000000001', 'svc-idle', 'never used in 45 days');
const STALE = key('AKIASTALE00000000002', 'svc-stale', 'last used 40 days ago');
const OLD = key('AKIAOLD0000000000003', 'svc-payments', '45 days old (the rule is 30)');
const OLD_UNLISTED = key('AKIAOLD0000000000004', 'svc-batch', '45 days old (the rule is 30)');

const PLAN: HygienePlan = {
  deactivateUnused: 'ask',
  rotateOld: 'trigger',
  approvalTimeoutMs: 7 * DAY,
  unused: [IDLE, STALE],
  old: [{ ...OLD, rotation: 'aws-iam-svc-payments' }, OLD_UNLISTED],
};
const FACTS = { summary: 'Key hygiene: 4 credential(s); 2 older than the rule, 2 unused.', findings: 4, listed: 4, notListed: [] };

interface Run {
  handle: WorkflowHandle<typeof hygieneWorkflow>;
  calls: { name: string; args: unknown }[];
  reports: string[];
  called(name: string): unknown[];
  waiting(): Promise<void>;
}

/** One hygiene run on its own task queue; the audit answers `audit`, the rest records what it is asked. */
async function withRun(audit: Awaited<ReturnType<Activities['hygieneAuditPlan']>>, body: (run: Run) => Promise<void>): Promise<void> {
  const taskQueue = uniqueQueue('hygiene-rules');
  const calls: Run['calls'] = [];
  const reports: string[] = [];
  const real = createActivities({
    inventory: inventoryWith(),
    registry: new Registry(),
    vault: { put: async () => undefined, get: async () => undefined, delete: async () => undefined },
    notifier: { notify: async () => undefined },
    postMortems: { open: async (name, markdown) => (reports.push(markdown), { url: `memory://${name}.md` }) },
    sealer: undefined as never,
  });
  const stubs: Partial<Activities> = {
    async hygieneAuditPlan(input) {
      calls.push({ name: 'hygieneAuditPlan', args: input });
      return audit;
    },
    async writeHygieneReport(input) {
      calls.push({ name: 'writeHygieneReport', args: input });
      return real.writeHygieneReport(input);
    },
    async deactivateUnusedKeys(input) {
      calls.push({ name: 'deactivateUnusedKeys', args: input });
      return input.keys.map((k) => ({ id: k.id, display: k.display, outcome: 'deactivated' as const, summary: `set ${k.display} inactive` }));
    },
    async triggerHygieneRotations(input) {
      calls.push({ name: 'triggerHygieneRotations', args: input });
      return { triggered: input.rotations, notTriggered: [] };
    },
  };
  const worker = await Worker.create({ connection: env().nativeConnection, taskQueue, workflowBundle: { codePath: testEnv().bundlePath }, activities: stubs, dataConverter: leakstopDataConverter(codecKeys()) });
  await worker.runUntil(async () => {
    const handle = await env().client.workflow.start<typeof hygieneWorkflow>('hygieneWorkflow', { taskQueue, workflowId: `leakstop-hygiene-${taskQueue}-run`, args: [{ at: '2027-01-15T00:00:00.000Z' }] });
    const run: Run = {
      handle,
      calls,
      reports,
      called: (name) => calls.filter((c) => c.name === name).map((c) => c.args),
      async waiting() {
        for (const deadline = Date.now() + 20_000; ; await pause(20)) {
          const s = await handle.query(hygieneStatusQuery).catch(() => undefined);
          if (s?.status === 'waiting' && reports.length) return;
          if (Date.now() > deadline) throw new Error(`timed out waiting for the run to wait for an approval: ${s?.status ?? 'no answer'}`);
        }
      },
    };
    try {
      await body(run);
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
  });
}

const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (e: WorkflowUpdateFailedError) => (e instanceof WorkflowUpdateFailedError ? String(e.cause?.message) : `not a refusal: ${String(e)}`));

test('an approval deactivates exactly the keys it names, records who approved, and old keys’ schedules run without waiting for it', async () => {
  await withRun({ run: FACTS, plan: PLAN, markdown: '# Key hygiene, 2027-01-15\n' }, async (run) => {
    await run.waiting();
    // Rotations first: they need no approval.
    expect(run.called('triggerHygieneRotations')).toEqual([{ runId: run.handle.workflowId, rotations: [{ name: 'aws-iam-svc-payments', key: OLD }] }]);
    expect(run.called('deactivateUnusedKeys')).toEqual([]);
    expect(run.reports[0]).toContain('Waiting for an approval until 20');
    expect(run.reports[0]).toContain(`leakstop audit approve ${run.handle.workflowId} --by NAME`);

    expect(await run.handle.executeUpdate(approveHygieneUpdate, { args: [{ by: 'carol', keys: [IDLE.id] }] })).toBe('approved by carol: 1 key(s) to deactivate');
    const r: HygieneRun = await run.handle.result();
    expect(run.called('deactivateUnusedKeys')).toEqual([{ runId: run.handle.workflowId, startedAt: expect.any(String), keys: [IDLE] }]);
    expect(r.actions?.deactivation).toMatchObject({ proposed: [IDLE, STALE], approval: { by: 'carol', keys: [IDLE.id] }, left: [STALE] });
    expect(r.actions?.deactivation?.timedOut).toBeUndefined();
    expect(r.actions?.deactivation?.results).toEqual([{ id: IDLE.id, display: IDLE.display, outcome: 'deactivated', summary: `set ${IDLE.display} inactive` }]);
    expect(r.actions?.rotation).toEqual({ triggered: [{ name: 'aws-iam-svc-payments', key: OLD }], notTriggered: [], byHand: [OLD_UNLISTED] });
    expect(r.actionSummary).toBe('Key hygiene actions: 2 unused key(s) proposed, 1 approved by carol, 1 deactivated, 1 left active; 1 rotation(s) triggered, 0 not triggered, 1 old key(s) to rotate by hand.');
    expect(r).toMatchObject({ ...FACTS, reportUrl: 'memory://leak-hygiene-audit-2027-01-15.md' });
    // The report, rewritten at the end, says what became of each proposal.
    const last = run.reports.at(-1)!;
    expect(last).toMatch(/^# Key hygiene, 2027-01-15\n/);
    expect(last).toContain('Approved by carol at ');
    expect(last).toContain(`| ${IDLE.display} | svc-idle | deactivated: set ${IDLE.display} inactive |`);
    expect(last).toContain(`| ${STALE.display} | svc-stale | left active |`);
    expect(last).toContain(`| ${OLD.display} | svc-payments | triggered: aws-iam-svc-payments |`);
    expect(last).toContain(`| ${OLD_UNLISTED.display} | svc-batch | rotate by hand (no rotation schedule): 45 days old (the rule is 30) |`);
  });
});

test('without an approval in time nothing is deactivated, and the run says so', async () => {
  await withRun({ run: FACTS, plan: { ...PLAN, old: [], approvalTimeoutMs: 2 * DAY }, markdown: '# Key hygiene, 2027-01-15\n' }, async (run) => {
    await run.waiting();
    const started = await env().currentTimeMs();
    const r: HygieneRun = await run.handle.result(); // time skips to the end of the wait
    expect((await env().currentTimeMs()) - started).toBeGreaterThanOrEqual(2 * DAY);
    expect(run.called('deactivateUnusedKeys')).toEqual([]);
    expect(r.actions?.deactivation).toMatchObject({ timedOut: true, results: [], left: [IDLE, STALE] });
    expect(r.actions?.deactivation?.approval).toBeUndefined();
    expect(r.actionSummary).toMatch(/^Key hygiene actions: 2 unused key\(s\) proposed for deactivation, no approval by \S+: none deactivated\.$/);
    expect(run.reports.at(-1)).toContain('No approval came by ');
    expect(run.reports.at(-1)).toContain('nothing was deactivated');
  });
});

test('an approval naming a key the run did not propose, or no person, is refused by field and changes nothing', async () => {
  await withRun({ run: FACTS, plan: { ...PLAN, old: [] }, markdown: '# Key hygiene, 2027-01-15\n' }, async (run) => {
    await run.waiting();
    const handle = run.handle;
    expect(await refusal(handle.executeUpdate(approveHygieneUpdate, { args: [{ by: 'carol', keys: [IDLE.id, 'AKIANOTPROPOSED00009'] }] }))).toBe(
      `keys: not proposed by this run: AKIANOTPROPOSED00009 (proposed: ${IDLE.display}, ${STALE.display})`,
    );
    expect(await refusal(handle.executeUpdate(approveHygieneUpdate, { args: [{ by: '  ', keys: [IDLE.id] }] }))).toBe('by: name the person who approves (1 to 100 characters)');
    expect(await refusal(handle.executeUpdate(approveHygieneUpdate, { args: [{ by: 'carol', keys: [] }] }))).toBe('keys: name at least one key, or leave keys out to approve every proposed key');
    expect((await handle.query(hygieneStatusQuery)).status).toBe('waiting');
    expect(run.called('deactivateUnusedKeys')).toEqual([]);
    // Without keys: every proposed key.
    await handle.executeUpdate(approveHygieneUpdate, { args: [{ by: 'dave' }] });
    const r: HygieneRun = await handle.result();
    expect(run.called('deactivateUnusedKeys')).toEqual([expect.objectContaining({ keys: [IDLE, STALE] })]);
    expect(r.actions?.deactivation).toMatchObject({ approval: { by: 'dave', keys: [IDLE.id, STALE.id] }, left: [] });
  });
});

test('without hygiene.actions the run audits and ends: no wait, no action, no approval taken', async () => {
  const done = { ...FACTS, reportUrl: 'memory://leak-hygiene-audit-2027-01-15.md' };
  await withRun({ done }, async (run) => {
    const r: HygieneRun = await run.handle.result();
    expect(r).toEqual(done);
    expect(run.calls.map((c) => c.name)).toEqual(['hygieneAuditPlan']);
    expect(run.called('hygieneAuditPlan')).toEqual([{ at: '2027-01-15T00:00:00.000Z' }]);
    const events = (await run.handle.fetchHistory()).events ?? [];
    expect(events.some((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED)).toBe(false);
  });
});
