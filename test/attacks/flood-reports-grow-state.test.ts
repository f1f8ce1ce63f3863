import type { Client } from '@temporalio/client';
import fc from 'fast-check';
import { LIMITS } from '../../domain/incident';
import { ValidationError } from '../../domain/issues';
import { reportLeak } from '../../triggers/incidents';
import { DeployHookServer } from '../../worker/deploy-hook-server';
import { noteSignal, reportSignal, statusQuery } from '../../workflows/definitions';
import { leakedKey, startWorker, uniqueQueue, useTemporal } from '../support/env';
import { leakInput, report, standardInventory, waitForState } from '../support/fixtures';

// Finding 6 (the workflow's side): reports per incident and the length of every string in them were
// unbounded, so a sender could grow an incident's state (it lives in workflow history) past Temporal's
// payload limit and wedge its post-mortem. Now every string is bounded and the state keeps at most a
// fixed number of reports and timeline entries, counting the rest.

/** Temporal refuses payloads over 2 MiB; the state must stay well under, whatever arrives. */
const STATE_BUDGET = 512 * 1024;

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

test('strings longer than their bound are refused by field, before anything starts', async () => {
  const leak = await leakedKey('bound');
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('path', 'repository', 'commit', 'notes', 'url'), fc.integer({ min: 2049, max: 300_000 }), async (field, length) => {
      const value = field === 'url' ? `https://example.com/${'a'.repeat(length)}` : 'a'.repeat(length);
      const err = await reportLeak(client, uniqueQueue('bound'), leakInput(leak.keyId, { exposure: { source: 'generic', [field]: value } })).catch((e) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.fields).toEqual([`exposure.${field}`]);
    }),
    { numRuns: 15 },
  );
});

test('a flood of maximal reports and notes leaves the state bounded and the incident finishing', async () => {
  const leak = await leakedKey('flood');
  const taskQueue = uniqueQueue('flood');
  const worker = await startWorker({ taskQueue, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url, policy: '{ approvals: [regenerate] }' }) });
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    await waitForState(client, incidentId, (s) => s.waiting.some((w) => w.phase === 'regenerate'));
    const handle = client.workflow.getHandle(incidentId);
    const exposure = {
      source: 'generic' as const,
      public: true,
      url: `https://example.com/${'u'.repeat(2000)}`,
      repository: 'r'.repeat(200),
      commit: 'c'.repeat(64),
      path: 'p'.repeat(1024),
      notes: 'n'.repeat(2000),
    };
    const floods = 300;
    for (let i = 0; i < floods; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, j) =>
          Promise.all([
            handle.signal(reportSignal, { exposure, requestedBy: `flood-${i + j}-${'x'.repeat(180)}` }),
            handle.signal(noteSignal, { by: 'flood', text: 'z'.repeat(5000) }),
          ]),
        ),
      );
    }
    const s = await waitForState(client, incidentId, (st) => st.reports.length + (st.moreReports ?? 0) === floods + 1);
    expect(s.reports.length).toBeLessThanOrEqual(LIMITS.reports);
    expect(s.timeline.length).toBeLessThanOrEqual(LIMITS.timeline);
    expect(Buffer.byteLength(JSON.stringify(await handle.query(statusQuery)))).toBeLessThan(STATE_BUDGET);

    await handle.executeUpdate('approve', { args: [{ phase: 'regenerate', by: 'carol' }] });
    const done = await handle.result();
    expect(done.status).toBe('completed');
    expect(done.postMortem?.url).toMatch(/\.md$/);
    expect(Buffer.byteLength(JSON.stringify(done))).toBeLessThan(STATE_BUDGET);
  } finally {
    await worker.stop();
  }
});
