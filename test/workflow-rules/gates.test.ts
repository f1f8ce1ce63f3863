import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Phase } from '../../domain/phases';
import { approveUpdate, tightenUpdate } from '../../workflows/definitions';
import { useTimeSkipping, withIncident, type ActivityName } from './harness';

// Approval gates: a phase the policy lists waits for a person before it runs; approve lets it go on.

const env = useTimeSkipping();

/** The activity each gated phase runs once it may go on. */
const RUNS: [Phase, ActivityName][] = [
  ['blast-radius', 'describe'],
  ['contain', 'contain'],
  ['regenerate', 'regenerate'],
  ['update-environments', 'updateEnvironment'],
  ['redeploy', 'redeploy'],
  ['verify', 'verify'],
  ['revoke', 'revoke'],
];

test.each(RUNS)('a policy that lists %s waits there for an approver, runs nothing of it meanwhile, and goes on once approved', async (phase, activity) => {
  await withIncident(env(), { policy: { approvals: [phase] } }, async (incident) => {
    const waiting = await incident.until((s) => s.status === 'waiting', `waiting at ${phase}`);
    expect(waiting.waiting).toEqual([expect.objectContaining({ kind: 'approval', phase, step: phase, options: ['approve'] })]);
    expect(incident.called(activity)).toEqual([]);
    expect(incident.events).toContainEqual(expect.objectContaining({ phase, kind: 'waiting', message: expect.stringContaining('approval needed') }));

    await incident.handle.executeUpdate(approveUpdate, { args: [{ phase, by: 'carol' }] });
    const s = await incident.result();
    expect(s.status).toBe('completed');
    expect(s.waiting).toEqual([]);
    expect(s.timeline).toContainEqual(expect.objectContaining({ phase, event: 'approved', by: 'carol' }));
    expect(incident.called(activity).length).toBeGreaterThan(0);
  });
});

test('an approval for a phase that is not waiting, or without who gives it, is refused and changes nothing', async () => {
  await withIncident(env(), { policy: { approvals: ['regenerate', 'revoke'] } }, async (incident) => {
    await incident.until((s) => s.waiting.some((w) => w.phase === 'regenerate'), 'waiting at regenerate');
    await expect(incident.handle.executeUpdate(approveUpdate, { args: [{ phase: 'revoke', by: 'carol' }] })).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(incident.handle.executeUpdate(approveUpdate, { args: [{ phase: 'regenerate', by: '' }] })).rejects.toThrow(WorkflowUpdateFailedError);

    await incident.handle.executeUpdate(approveUpdate, { args: [{ phase: 'regenerate', by: 'carol' }] });
    // revoke was not approved ahead of time: it still waits when the runbook reaches it.
    const s = await incident.until((st) => st.waiting.some((w) => w.phase === 'revoke'), 'waiting at revoke');
    expect(incident.called('revoke')).toEqual([]);
    expect(s.status).toBe('waiting');
  });
});

// The trust hold (domain/trust.ts): a report that proves nothing holds the first phase that changes
// anything (contain, or regenerate under after-rotation) for an approver; an authoritative report of the
// same credential lifts that hold, and only that one.

const HELD: [string, 'immediate' | 'after-rotation', Phase, ActivityName, 'reported' | 'by-hand'][] = [
  ['a Slack report', 'immediate', 'contain', 'contain', 'reported'],
  ['a Slack report', 'after-rotation', 'regenerate', 'regenerate', 'reported'],
  ['an incident started by hand', 'immediate', 'contain', 'contain', 'by-hand'],
];

test.each(HELD)('%s under contain: %s holds %s while the blast radius is mapped; a joining authoritative report lifts the hold', async (_who, contain, held, activity, origin) => {
  await withIncident(env(), { policy: { contain }, origin, source: 'slack' }, async (incident) => {
    const s = await incident.until((st) => st.waiting.some((w) => w.phase === held), `the hold at ${held}`);
    expect(s.trust).toMatchObject({ origin: { source: 'slack', trust: 'reported', sealed: origin === 'reported' }, held });
    expect(s.waiting).toEqual([expect.objectContaining({ kind: 'approval', phase: held, reason: expect.stringContaining(`is not proof of a leak, so ${held} waits for an approver`) })]);
    expect(incident.called('describe')).toHaveLength(1);
    expect(incident.called(activity)).toEqual([]);
    expect(s.containment).toBeUndefined();

    expect(await incident.report({ origin: 'authoritative', source: 'github-secret-scanning' })).toEqual({ incidentId: incident.id, joined: true });
    await incident.until((st) => st.trust?.held === undefined, 'the hold to be lifted');
    const done = await incident.result();
    expect(done.status).toBe('completed');
    expect(done.timeline).toContainEqual(expect.objectContaining({ phase: held, event: 'the hold for an approver is lifted: github-secret-scanning (authoritative report)' }));
    // The report let it go on, not a person.
    expect(done.timeline.filter((t) => t.event === 'approved')).toEqual([expect.objectContaining({ phase: held, by: 'github-secret-scanning (authoritative report)' })]);
    expect(incident.called('contain')).toHaveLength(1);
  });
});

test('a joining report that proves nothing (by hand, whatever source it names) does not lift the hold', async () => {
  await withIncident(env(), { origin: 'reported', source: 'slack' }, async (incident) => {
    await incident.until((st) => st.waiting.some((w) => w.phase === 'contain'), 'the hold at contain');
    await incident.report({ origin: 'by-hand', source: 'github-secret-scanning', requestedBy: 'mallory' });
    const s = await incident.until((st) => st.reports.length === 2, 'the second report to join');
    expect(s.waiting).toEqual([expect.objectContaining({ kind: 'approval', phase: 'contain' })]);
    expect(s.trust?.held).toBe('contain');
    expect(incident.called('contain')).toEqual([]);
  });
});

test('an authoritative report lifts only the hold its trust put on: an approval the inventory asks for still waits', async () => {
  await withIncident(env(), { policy: { approvals: ['contain'] }, origin: 'reported', source: 'slack' }, async (incident) => {
    await incident.until((st) => st.waiting.some((w) => w.phase === 'contain'), 'waiting at contain');
    await incident.report({ origin: 'authoritative', source: 'aws-health' });
    const s = await incident.until((st) => st.reports.length === 2, 'the authoritative report to join');
    expect(s.trust?.held).toBeUndefined();
    expect(s.waiting).toEqual([expect.objectContaining({ kind: 'approval', phase: 'contain' })]);
    expect(incident.called('contain')).toEqual([]);
  });
});

test('a hold lifted before the runbook reaches it never makes anyone wait there', async () => {
  await withIncident(env(), { policy: { contain: 'after-rotation', approvals: ['blast-radius'] }, origin: 'reported', source: 'slack' }, async (incident) => {
    await incident.until((st) => st.waiting.some((w) => w.phase === 'blast-radius'), 'waiting at blast-radius');
    await incident.report({ origin: 'authoritative', source: 'github-secret-scanning' });
    await incident.until((st) => st.trust?.held === undefined, 'the hold on regenerate to be lifted');
    await incident.handle.executeUpdate(approveUpdate, { args: [{ phase: 'blast-radius', by: 'carol' }] });
    const s = await incident.result();
    expect(s.status).toBe('completed');
    expect(s.policy?.approvals).toEqual(['blast-radius']);
    expect(incident.events.filter((e) => e.kind === 'waiting').map((e) => e.phase)).toEqual(['blast-radius']);
  });
});

// tighten: an approver makes a running incident wait at more phases; never at one already under way.

test('tighten adds approvals to a running incident, on the record, and the runbook then waits there', async () => {
  await withIncident(env(), { policy: { approvals: ['regenerate'] } }, async (incident) => {
    await incident.until((s) => s.waiting.some((w) => w.phase === 'regenerate'), 'waiting at regenerate');
    expect(await incident.handle.executeUpdate(tightenUpdate, { args: [{ approvals: ['verify', 'revoke'], by: 'carol' }] })).toBe('verify, revoke will wait for an approver');
    await incident.handle.executeUpdate(approveUpdate, { args: [{ phase: 'regenerate', by: 'carol' }] });

    const atVerify = await incident.until((s) => s.waiting.some((w) => w.phase === 'verify'), 'waiting at verify');
    expect(atVerify.policy?.approvals).toEqual(['regenerate', 'verify', 'revoke']);
    expect(atVerify.tightened).toEqual(['verify', 'revoke']);
    expect(atVerify.timeline).toContainEqual(expect.objectContaining({ event: 'policy tightened: verify, revoke now wait(s) for an approver', by: 'carol' }));
    expect(incident.called('verify')).toEqual([]);
    await incident.handle.executeUpdate(approveUpdate, { args: [{ phase: 'verify', by: 'carol' }] });
    await incident.until((s) => s.waiting.some((w) => w.phase === 'revoke'), 'waiting at revoke');
    expect(incident.called('revoke')).toEqual([]);
    await incident.handle.executeUpdate(approveUpdate, { args: [{ phase: 'revoke', by: 'dave' }] });
    expect((await incident.result()).status).toBe('completed');
  });
});

test.each(['triage', 'blast-radius', 'contain', 'regenerate'] as Phase[])('tighten refuses %s once it has started, and changes nothing', async (phase) => {
  await withIncident(env(), { policy: { approvals: ['regenerate'] } }, async (incident) => {
    await incident.until((s) => s.waiting.some((w) => w.phase === 'regenerate'), 'waiting at regenerate');
    const refused = incident.handle.executeUpdate(tightenUpdate, { args: [{ approvals: [phase], by: 'carol' }] });
    await expect(refused).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(refused).rejects.toMatchObject({ cause: { message: `approvals: ${phase} has already started` } });
    const s = await incident.state();
    expect(s.tightened).toEqual([]);
    expect(s.policy?.approvals).toEqual(['regenerate']);
  });
});

test('tighten refuses what is not a phase, and a request that does not say who', async () => {
  await withIncident(env(), { policy: { approvals: ['regenerate'] } }, async (incident) => {
    await incident.until((s) => s.waiting.length > 0, 'waiting at regenerate');
    await expect(incident.handle.executeUpdate(tightenUpdate, { args: [{ approvals: ['nothing' as Phase], by: 'carol' }] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/^approvals: "nothing" is not a phase/) },
    });
    await expect(incident.handle.executeUpdate(tightenUpdate, { args: [{ approvals: ['revoke'], by: '' }] })).rejects.toThrow(WorkflowUpdateFailedError);
    expect((await incident.state()).tightened).toEqual([]);
  });
});

test('a phase an approver tightened is not released by an authoritative report', async () => {
  await withIncident(env(), { policy: { contain: 'after-rotation', approvals: ['blast-radius'] }, origin: 'reported', source: 'slack' }, async (incident) => {
    await incident.until((st) => st.waiting.some((w) => w.phase === 'blast-radius'), 'waiting at blast-radius');
    await incident.handle.executeUpdate(tightenUpdate, { args: [{ approvals: ['regenerate'], by: 'carol' }] });
    await incident.report({ origin: 'authoritative', source: 'github-secret-scanning' });
    await incident.until((st) => st.reports.length === 2, 'the authoritative report to join');
    await incident.handle.executeUpdate(approveUpdate, { args: [{ phase: 'blast-radius', by: 'carol' }] });
    const s = await incident.until((st) => st.waiting.some((w) => w.phase === 'regenerate'), 'waiting at regenerate');
    expect(s.policy?.approvals).toContain('regenerate');
    expect(incident.called('regenerate')).toEqual([]);
  });
});
