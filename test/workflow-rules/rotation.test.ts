import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { IncidentState } from '../../domain/incident';
import { Registry } from '../../providers/registry';
import type { IncidentEvent } from '../../providers/types';
import { leakstopDataConverter } from '../../worker/data-converter';
import { doneUpdate, statusQuery } from '../../workflows/definitions';
import { codecKeys, testEnv, uniqueQueue } from '../support/env';
import { inventoryWith, useTimeSkipping, type Activities } from './harness';

// The scheduled rotation's own timers under time-skipping: outside its window it waits, durably, until
// the window opens; a regeneration only a person can do is a reminder that escalates every
// escalateAfter until the replacement comes, which is then checked and written everywhere.

const env = useTimeSkipping();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a rotation outside its window waits for it; a manual regeneration escalates until the replacement comes, then it is propagated', async () => {
  const taskQueue = uniqueQueue('rotation-rules');
  const events: IncidentEvent[] = [];
  const records: string[] = [];
  const calls: { name: string; at: number }[] = [];
  const inventory = inventoryWith({ escalateAfter: '1h' });
  const real = createActivities({
    inventory,
    registry: new Registry(),
    vault: { put: async () => undefined, get: async () => undefined, delete: async () => undefined },
    notifier: { notify: async (e) => void events.push(e) },
    postMortems: { open: async (name, markdown) => (records.push(markdown), { url: `memory://${name}.md` }) },
    sealer: undefined as never,
  });
  const consumer = { name: 'api', store: 'prod-sm', key: 'payments/api/token', field: 'json', storeSpec: { kind: 'aws-secrets-manager' } };
  const now = () => env().currentTimeMs();
  // The window: one hour of every day, three hours from now (UTC).
  const from = (new Date(await now()).getUTCHours() + 3) % 24;
  const hours = `${String(from).padStart(2, '0')}-${String(from + 1).padStart(2, '0')}`;
  const stubs: Partial<Activities> = {
    notify: real.notify,
    writeRotationRecord: real.writeRotationRecord,
    async planRotation() {
      return { provider: 'guided', owner: 'payments team', credentialId: 'stripe-secret-key:sha256:0123456789abcdef', policy: { ...inventory.policy, contain: 'after-rotation' as const, approvals: [] }, consumers: [consumer], window: { days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], hours } };
    },
    async regenerate() {
      calls.push({ name: 'regenerate', at: await now() });
      return { manual: true as const, instructions: 'Roll the key in the Stripe dashboard, then register the new one.' };
    },
    async verify() {
      return { newWorks: true, oldDisabled: false, detail: 'the replacement works' };
    },
    async updateEnvironment({ consumer: c }) {
      calls.push({ name: 'updateEnvironment', at: await now() });
      return { consumer: c.name, store: c.storeSpec.kind, key: c.key, version: 'v2', changed: true };
    },
    async revoke() {
      calls.push({ name: 'revoke', at: await now() });
      return { manual: true as const, instructions: 'Delete the old key in the Stripe dashboard.' };
    },
    async forgetSecret() {},
  };
  const worker = await Worker.create({ connection: env().nativeConnection, taskQueue, workflowBundle: { codePath: testEnv().bundlePath }, activities: stubs, dataConverter: leakstopDataConverter(codecKeys()) });
  await worker.runUntil(async () => {
    const started = await now();
    const handle = await env().client.workflow.start('rotationWorkflow', { taskQueue, workflowId: `rotation-${taskQueue}`, args: [{ credential: 'stripe' }] });
    const until = async (ready: (s: IncidentState) => boolean, what: string) => {
      for (const deadline = Date.now() + 20_000; ; await pause(20)) {
        const s = await handle.query(statusQuery).catch(() => undefined);
        if (s && ready(s)) return s;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      }
    };
    const waiting = await until((s) => !!s.rotation?.waitedUntil, 'the wait for the window');
    const opens = Date.parse(waiting.rotation!.waitedUntil!);
    expect(new Date(opens).getUTCHours()).toBe(from);
    expect(opens - started).toBeGreaterThan(2 * 3_600_000);
    expect(calls).toEqual([]);

    // Time skips to the window; the reminder goes out, then escalates every hour (escalateAfter).
    await env().sleep(opens - started + 1000);
    await until((s) => s.waiting.some((w) => w.kind === 'manual' && w.phase === 'regenerate'), 'the reminder');
    expect(calls[0]).toMatchObject({ name: 'regenerate' });
    expect(calls[0]!.at).toBeGreaterThanOrEqual(opens);
    await env().sleep('2h');
    const escalated = await until((s) => s.timeline.filter((t) => /escalated$/.test(t.event)).length >= 2, 'two escalations');
    expect(escalated.status).toBe('waiting');
    expect(events.filter((e) => e.message.startsWith('ESCALATION')).map((e) => e.message)).toEqual([1, 2].map((n) => `ESCALATION ${n}: create replacement still waits for a person: Scheduled rotation: Roll the key in the Stripe dashboard, then register the new one.`));

    await handle.executeUpdate(doneUpdate, { args: [{ by: 'rita', credential: { id: 'stripe-secret-key:sha256:fedcba9876543210', handle: 'new/stripe' } }] });
    await until((s) => s.waiting.some((w) => w.kind === 'manual' && w.phase === 'revoke'), 'the revoke confirmation');
    await handle.executeUpdate(doneUpdate, { args: [{ by: 'rita' }] });
    const done: IncidentState = await handle.result();
    expect(done.status).toBe('completed');
    expect(calls.map((c) => c.name)).toEqual(['regenerate', 'updateEnvironment', 'revoke']);
    expect(done.storeWrites).toEqual([{ consumer: 'api', store: 'aws-secrets-manager', key: 'payments/api/token', version: 'v2', changed: true }]);
    expect(done.revocation?.summary).toBe('rita confirmed it is done at the issuer');
    expect(records).toHaveLength(1);
    expect(records[0]).toContain('| Waited for the window until |');
  });
});
