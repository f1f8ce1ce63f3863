import type { IncidentState } from '../../domain/incident';
import { approveUpdate, decideUpdate } from '../../workflows/definitions';
import { entries, failing, permanent, useTimeSkipping, withIncident, type RunningIncident } from './harness';

// Whatever waits for a person re-escalates every `escalateAfter` until it is answered: on the timeline
// and to the notifier. Skipped time makes the policy's real durations (15 minutes, an hour) testable.

const env = useTimeSkipping();

const escalated = (s: IncidentState) => entries(s, /escalated$/);
const escalations = (incident: RunningIncident) => incident.events.filter((e) => e.kind === 'waiting' && e.message.startsWith('ESCALATION'));

/** Skips `minutes` of server time, then waits until the incident has handled the escalations due by then. */
async function skip(incident: RunningIncident, minutes: number, expected: number) {
  await env().sleep(`${minutes}m`);
  return incident.until((s) => escalated(s).length >= expected, `${expected} escalation(s)`);
}

test('an approval nobody gives escalates once per 15 minutes (the default): exactly N after N x 15 minutes', async () => {
  await withIncident(env(), { policy: { approvals: ['revoke'] } }, async (incident) => {
    await incident.until((s) => s.waiting.some((w) => w.phase === 'revoke'), 'waiting at revoke');
    for (const n of [1, 2, 3]) {
      const s = await skip(incident, 15, n);
      expect(escalated(s)).toHaveLength(n);
      expect(escalations(incident)).toHaveLength(n);
    }
    const s = await incident.state();
    expect(escalated(s).map((t) => [t.phase, t.event])).toEqual([
      ['revoke', 'still waiting for a person after 900 s: escalated'],
      ['revoke', 'still waiting for a person after 1800 s: escalated'],
      ['revoke', 'still waiting for a person after 2700 s: escalated'],
    ]);
    expect(escalations(incident).map((e) => e.message)).toEqual([1, 2, 3].map((n) => `ESCALATION ${n}: revoke still waits for a person: revoke needs approval`));
    expect(s.status).toBe('waiting');
    expect(incident.called('revoke')).toEqual([]);

    await incident.handle.executeUpdate(approveUpdate, { args: [{ phase: 'revoke', by: 'helen' }] });
    const done = await incident.result();
    expect(done.status).toBe('completed');
    expect(escalated(done)).toHaveLength(3);
    expect(incident.postMortems[0]).toMatch(/still waiting for a person after 2700 s: escalated/);
  });
});

test("the policy's escalateAfter sets the pace: with 1h, nothing after 45 minutes, one after the hour", async () => {
  await withIncident(env(), { policy: { approvals: ['contain'], escalateAfter: '1h' } }, async (incident) => {
    await incident.until((s) => s.waiting.some((w) => w.phase === 'contain'), 'waiting at contain');
    await env().sleep('45m');
    expect(escalated(await incident.state())).toEqual([]);
    const s = await skip(incident, 15, 1);
    expect(escalated(s).map((t) => t.event)).toEqual(['still waiting for a person after 3600 s: escalated']);
    expect(escalations(incident)).toHaveLength(1);
  });
});

test('a step that failed for good escalates its decision the same way', async () => {
  await withIncident(env(), { activities: (d) => ({ regenerate: failing(1, () => permanent('IAM: AccessDenied'), d.regenerate) }) }, async (incident) => {
    await incident.until((s) => s.waiting.some((w) => w.kind === 'decision'), 'a decision to wait');
    const s = await skip(incident, 30, 2);
    expect(escalated(s)).toHaveLength(2);
    expect(escalations(incident).map((e) => e.message)).toEqual([
      'ESCALATION 1: create key still waits for a person: IAM: AccessDenied (PermanentError)',
      'ESCALATION 2: create key still waits for a person: IAM: AccessDenied (PermanentError)',
    ]);
    await incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'retry', by: 'dave' }] });
    expect((await incident.result()).status).toBe('completed');
  });
});

test('an answered wait stops escalating; the next wait counts its own escalations from one', async () => {
  await withIncident(env(), { policy: { approvals: ['regenerate', 'revoke'] } }, async (incident) => {
    await incident.until((s) => s.waiting.some((w) => w.phase === 'regenerate'), 'waiting at regenerate');
    await skip(incident, 30, 2);
    await incident.handle.executeUpdate(approveUpdate, { args: [{ phase: 'regenerate', by: 'carol' }] });
    await incident.until((s) => s.waiting.some((w) => w.phase === 'revoke'), 'waiting at revoke');

    const s = await skip(incident, 15, 3);
    expect(escalated(s).map((t) => t.phase)).toEqual(['regenerate', 'regenerate', 'revoke']);
    expect(escalations(incident).map((e) => e.message.split(':')[0])).toEqual(['ESCALATION 1', 'ESCALATION 2', 'ESCALATION 1']);
  });
});
