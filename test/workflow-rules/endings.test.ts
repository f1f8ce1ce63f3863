import type { IncidentState } from '../../domain/incident';
import { abortUpdate, decideUpdate } from '../../workflows/definitions';
import { failing, permanent, useTimeSkipping, withIncident, type IncidentOptions, type RunningIncident } from './harness';

// However an incident ends, the post-mortem is written (or its failure is a person's decision), and what
// the incident kept in the vault is cleared: the leaked secret always, the new key's copy when one was made.

const env = useTimeSkipping();

const waitingAt = (phase: IncidentState['phase']) => (s: IncidentState) => s.waiting.some((w) => w.phase === phase);
const abortWhen = (ready: (s: IncidentState) => boolean) => async (incident: RunningIncident) => {
  await incident.until(ready, 'the wait');
  await incident.handle.executeUpdate(abortUpdate, { args: [{ by: 'gina', reason: 'drill' }] });
};

interface Ending {
  options: IncidentOptions;
  drive?: (incident: RunningIncident) => Promise<void>;
  status: IncidentState['status'];
  /** Whether the runbook made a new key (whose vault copy must go). */
  newKey: boolean;
}

const ENDINGS: [string, Ending][] = [
  ['completed', { options: {}, status: 'completed', newKey: true }],
  [
    'completed with regenerate skipped',
    {
      options: { activities: { regenerate: async () => { throw permanent('IAM: LimitExceeded'); } } },
      drive: async (incident) => {
        await incident.until((s) => s.status === 'waiting', 'the decision');
        await incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'skip', by: 'frank' }] });
      },
      status: 'completed',
      newKey: false,
    },
  ],
  ['aborted in triage', { options: { activities: { firstResponse: async () => { throw permanent('IAM: AccessDenied'); } } }, drive: abortWhen(waitingAt('triage')), status: 'aborted', newKey: false }],
  ['aborted before regenerate', { options: { policy: { approvals: ['regenerate'] } }, drive: abortWhen(waitingAt('regenerate')), status: 'aborted', newKey: false }],
  ['aborted after regenerate', { options: { policy: { approvals: ['verify'] } }, drive: abortWhen(waitingAt('verify')), status: 'aborted', newKey: true }],
];

test.each(ENDINGS)('%s: the post-mortem is written once, from the final state', async (_name, ending) => {
  await withIncident(env(), ending.options, async (incident) => {
    await ending.drive?.(incident);
    const s = await incident.result();
    expect(s.status).toBe(ending.status);
    expect(incident.called('writePostMortem')).toHaveLength(1);
    expect(incident.called('writePostMortem')[0]![0]).toMatchObject({ status: ending.status, phase: 'post-mortem', finishedAt: expect.any(String) });
    expect(incident.postMortems[0]).toContain(`| Status | **${ending.status}** |`);
    expect(s.postMortem?.url).toBe(`memory://post-mortems/${incident.id}.md`);
    expect(incident.events.at(-1)).toMatchObject({ phase: 'post-mortem', kind: 'finished', message: `incident ${ending.status}; post-mortem: ${s.postMortem?.url}` });
  });
});

test.each(ENDINGS)('%s: the vault is cleared once, the new key with it when one was made', async (_name, ending) => {
  await withIncident(env(), ending.options, async (incident) => {
    await ending.drive?.(incident);
    await incident.result();
    expect(incident.called('forgetLeaked')).toEqual([[{ provider: 'aws-iam', credentialId: incident.credentialId }]]);
    expect(incident.called('forgetSecret')).toEqual(ending.newKey ? [[`new/aws-iam/${incident.id}`]] : []);
    // The vault is cleared after the post-mortem is written: it is the last thing the incident does.
    expect(incident.calls.at(-1)?.name).toMatch(/^forget/);
  });
});

test('a post-mortem that fails for good waits for retry or skip, never abort; skipped, it is on the record and the vault is still cleared', async () => {
  await withIncident(env(), { activities: { writePostMortem: async () => { throw permanent('reports dir: EACCES'); } } }, async (incident) => {
    const waiting = await incident.until((s) => s.waiting.some((w) => w.phase === 'post-mortem'), 'the post-mortem decision');
    expect(waiting.waiting).toEqual([expect.objectContaining({ kind: 'decision', step: 'write report', options: ['retry', 'skip'], reason: 'reports dir: EACCES (PermanentError)' })]);
    await expect(incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'abort', by: 'gina' }] })).rejects.toMatchObject({
      cause: { message: 'decision: must be one of retry, skip for write report' },
    });
    await incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'skip', by: 'gina', note: 'written by hand' }] });
    const s = await incident.result();
    expect(s.postMortem).toBeUndefined();
    expect(s.actions).toContainEqual(expect.objectContaining({ phase: 'post-mortem', step: 'write report', outcome: 'skipped', detail: 'skipped by gina: written by hand' }));
    expect(incident.called('forgetLeaked')).toHaveLength(1);
  });
});

test.each([
  ['completed', {}, async () => undefined],
  ['aborted', { policy: { approvals: ['regenerate'] } }, abortWhen(waitingAt('regenerate'))],
] as [IncidentState['status'], IncidentOptions, (i: RunningIncident) => Promise<void>][])(
  'an incident %s stays so when its post-mortem had to wait for a person first',
  async (status, options, drive) => {
    await withIncident(env(), { ...options, activities: (d) => ({ writePostMortem: failing(1, () => permanent('reports dir: EACCES'), d.writePostMortem) }) }, async (incident) => {
      await drive(incident);
      await incident.until((s) => s.waiting.some((w) => w.phase === 'post-mortem'), 'the post-mortem decision');
      await incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'retry', by: 'gina', step: 'write report' }] });
      const s = await incident.result();
      expect(s.postMortem).toBeDefined();
      expect(s.status).toBe(status);
      expect(incident.events.at(-1)?.snapshot.status).toBe(status);
    });
  },
);

test('a vault that cannot be cleared does not fail the incident: it ends, and says so', async () => {
  await withIncident(env(), { activities: { forgetLeaked: async () => { throw permanent('vault: EACCES'); } } }, async (incident) => {
    const s = await incident.result();
    expect(s.status).toBe('completed');
    expect(s.timeline).toContainEqual(expect.objectContaining({ phase: 'post-mortem', event: expect.stringMatching(/^could not clear the vault: .*vault: EACCES/) }));
    expect(incident.called('forgetSecret')).toHaveLength(1);
  });
});
