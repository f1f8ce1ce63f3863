import { LIMITS } from '../../domain/incident';
import type { Report } from '../../domain/incident-input';
import { abortUpdate, approveUpdate, reportSignal } from '../../workflows/definitions';
import { deferred, entries, useTimeSkipping, withIncident } from './harness';

// Every report of one credential lands in one incident: a further report joins the running one (its
// reports and timeline), within bounds, since the state lives in workflow history.

const env = useTimeSkipping();

const plain = (n: number): Report => ({ exposure: { source: 'generic', public: true, url: `https://paste.example/${n}` }, requestedBy: `scanner-${n}` });

test('a second report of the same credential joins the running incident: its reports and its timeline', async () => {
  await withIncident(env(), { policy: { approvals: ['regenerate'] } }, async (incident) => {
    await incident.until((s) => s.waiting.length > 0, 'waiting at regenerate');
    const joined = await incident.report({ origin: 'reported', source: 'generic', requestedBy: 'scanner', url: 'https://paste.example/1' });
    expect(joined).toEqual({ incidentId: incident.id, joined: true });
    const s = await incident.until((st) => st.reports.length === 2, 'the report to join');
    expect(s.reports.map((r) => [r.exposure.source, r.requestedBy])).toEqual([['cli', 'test'], ['generic', 'scanner']]);
    expect(s.timeline).toContainEqual(expect.objectContaining({ phase: 'incident', event: 'reported again via generic (https://paste.example/1)', by: 'scanner' }));

    await incident.handle.executeUpdate(approveUpdate, { args: [{ phase: 'regenerate', by: 'carol' }] });
    const done = await incident.result();
    expect(done.status).toBe('completed');
    // One incident, one runbook: the join did not start anything again.
    expect(incident.called('firstResponse')).toHaveLength(1);
    expect(incident.called('regenerate')).toHaveLength(1);
    expect(incident.postMortems[0]).toMatch(/\(and 1 more report\(s\)\)/);
  });
});

test(`the state keeps the first ${LIMITS.reports} reports and counts the rest`, async () => {
  const extra = LIMITS.reports + 5;
  await withIncident(env(), { policy: { approvals: ['regenerate'] } }, async (incident) => {
    await incident.until((s) => s.waiting.length > 0, 'waiting at regenerate');
    for (let n = 1; n <= extra; n++) await incident.handle.signal(reportSignal, plain(n));
    const s = await incident.until((st) => entries(st, /^reported again/).length === extra, 'every report to be handled');
    expect(s.reports).toHaveLength(LIMITS.reports);
    expect(s.reports.at(-1)?.requestedBy).toBe(`scanner-${LIMITS.reports - 1}`);
    expect(s.moreReports).toBe(extra + 1 - LIMITS.reports);
  });
});

test('a joining alert is closed after revocation only when its report was sealed by a trigger', async () => {
  await withIncident(env(), { policy: { approvals: ['regenerate'] } }, async (incident) => {
    await incident.until((s) => s.waiting.length > 0, 'waiting at regenerate');
    await incident.report({ origin: 'authoritative', source: 'github-secret-scanning', alert: { repository: 'acme/api', number: 12 } });
    await incident.handle.signal(reportSignal, { exposure: { source: 'github-secret-scanning', public: true, alert: { repository: 'victim/unrelated', number: 7 } }, requestedBy: 'mallory' });
    const s = await incident.until((st) => st.reports.length === 3, 'both reports to join');
    expect(s.alerts).toEqual([{ repository: 'acme/api', number: 12 }]);
    expect(s.timeline).toContainEqual(expect.objectContaining({ event: 'the report named a scanner alert without a seal from Leakstop: the alert is ignored' }));

    await incident.handle.executeUpdate(approveUpdate, { args: [{ phase: 'regenerate', by: 'carol' }] });
    const done = await incident.result();
    expect(incident.called('resolveAlert')).toEqual([[{ repository: 'acme/api', number: 12 }, `Revoked by Leakstop incident ${incident.id}; post-mortem: ${done.postMortem?.url}`]]);
    expect(done.actions).toContainEqual(expect.objectContaining({ phase: 'post-mortem', step: 'close alert acme/api#12', outcome: 'done' }));
  });
});

test('an alert is not closed when the credential was not revoked', async () => {
  await withIncident(env(), { policy: { approvals: ['revoke'] } }, async (incident) => {
    await incident.until((s) => s.waiting.length > 0, 'waiting at revoke');
    await incident.report({ origin: 'authoritative', source: 'github-secret-scanning', alert: { repository: 'acme/api', number: 12 } });
    await incident.until((st) => st.alerts.length === 1, 'the alert to join');
    await incident.handle.executeUpdate(abortUpdate, { args: [{ by: 'gina', reason: 'drill' }] });
    const s = await incident.result();
    expect(s.status).toBe('aborted');
    expect(incident.called('resolveAlert')).toEqual([]);
  });
});

test(`a flood of plain reports beyond the inbox (${LIMITS.inbox}) cannot crowd out the authoritative report that lifts a hold`, async () => {
  const first = deferred();
  const released = deferred();
  const flood = LIMITS.inbox + 10;
  await withIncident(
    env(),
    {
      origin: 'reported',
      source: 'slack',
      // The first further report is held in its check, so the flood arrives while the inbox is being worked on.
      activities: (d) => ({
        checkReport: async (args) => {
          first.resolve();
          await released.promise;
          return d.checkReport(args);
        },
      }),
    },
    async (incident) => {
      await incident.until((s) => s.waiting.some((w) => w.phase === 'contain'), 'the hold at contain');
      await incident.handle.signal(reportSignal, plain(0));
      await first.promise;
      for (let n = 1; n <= flood; n++) await incident.handle.signal(reportSignal, plain(n));
      await incident.report({ origin: 'authoritative', source: 'aws-health' });
      released.resolve();

      await incident.until((st) => st.trust?.held === undefined, 'the hold to be lifted');
      const s = await incident.result();
      expect(s.status).toBe('completed');
      expect(s.timeline).toContainEqual(expect.objectContaining({ phase: 'contain', event: 'the hold for an approver is lifted: aws-health (authoritative report)' }));
      // What did not fit in the inbox was counted, not kept: the first one and a full inbox were handled.
      expect(entries(s, /^reported again/)).toHaveLength(1 + LIMITS.inbox);
      expect(s.reports).toHaveLength(LIMITS.reports);
      expect(s.reports.length + (s.moreReports ?? 0)).toBe(1 + 1 + flood + 1);
    },
  );
});
