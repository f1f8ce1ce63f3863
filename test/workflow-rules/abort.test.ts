import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { IncidentState } from '../../domain/incident';
import { abortUpdate, decideUpdate } from '../../workflows/definitions';
import { failing, permanent, useTimeSkipping, withIncident, type ActivityName, type IncidentOptions } from './harness';

// abort stops the runbook where it is, wherever the incident waits for a person; the post-mortem is
// still written and the vault cleared.

const env = useTimeSkipping();

/** The runbook's provider calls, in order (contain runs beside describe under contain: immediate). */
const RUNBOOK: ActivityName[] = ['firstResponse', 'describe', 'contain', 'regenerate', 'updateEnvironment', 'redeploy', 'awaitDeploy', 'verify', 'revoke'];
const from = (first: ActivityName) => RUNBOOK.slice(RUNBOOK.indexOf(first));

interface WaitPoint {
  options: IncidentOptions;
  waits: (s: IncidentState) => boolean;
  /** What must not run once the incident is aborted there. */
  notRun: ActivityName[];
}

const gate = (phase: IncidentState['phase'], first: ActivityName): WaitPoint => ({
  options: { policy: { approvals: [phase] } },
  waits: (s) => s.waiting.some((w) => w.kind === 'approval' && w.phase === phase),
  notRun: from(first),
});

/** Every place the runbook can wait for a person. */
const WAIT_POINTS: [string, WaitPoint][] = [
  [
    'triage (identify failed for good)',
    {
      options: { activities: { firstResponse: async () => { throw permanent('IAM: AccessDenied'); } } },
      waits: (s) => s.waiting.some((w) => w.phase === 'triage'),
      notRun: from('describe'),
    },
  ],
  ['the blast-radius approval', gate('blast-radius', 'describe')],
  ['the contain approval', gate('contain', 'contain')],
  ['the regenerate approval', gate('regenerate', 'regenerate')],
  [
    'the manual regenerate step',
    {
      options: { activities: { regenerate: async () => ({ manual: true as const, instructions: 'create a replacement by hand' }) } },
      waits: (s) => s.waiting.some((w) => w.kind === 'manual'),
      notRun: from('updateEnvironment'),
    },
  ],
  ['the update-environments approval', gate('update-environments', 'updateEnvironment')],
  ['the redeploy approval', gate('redeploy', 'redeploy')],
  [
    'a failed deploy',
    {
      options: { activities: { awaitDeploy: async () => { throw permanent('deploy failed: exit 1'); } } },
      waits: (s) => s.waiting.some((w) => w.kind === 'decision' && w.phase === 'redeploy'),
      notRun: from('verify'),
    },
  ],
  ['the verify approval', gate('verify', 'verify')],
  ['the revoke approval', gate('revoke', 'revoke')],
];

test.each(WAIT_POINTS)('abort at %s ends the runbook there; the post-mortem is written and the vault cleared', async (_where, point) => {
  await withIncident(env(), point.options, async (incident) => {
    await incident.until(point.waits, 'the wait');
    expect(await incident.handle.executeUpdate(abortUpdate, { args: [{ by: 'gina', reason: 'false positive drill' }] })).toBe('aborting');
    const s = await incident.result();

    expect(s.status).toBe('aborted');
    // Nothing is left waiting: not in the status query, nor in the last snapshot the notifier (Slack) got.
    expect(s.waiting).toEqual([]);
    expect(incident.events.at(-1)?.snapshot.waiting).toEqual([]);
    expect(s.timeline).toContainEqual(expect.objectContaining({ event: 'abort requested: false positive drill', by: 'gina' }));
    expect(s.timeline).toContainEqual(expect.objectContaining({ event: 'aborted: false positive drill', by: 'gina' }));
    for (const name of point.notRun) expect([name, incident.called(name)]).toEqual([name, []]);

    expect(incident.called('writePostMortem')).toHaveLength(1);
    expect(incident.postMortems[0]).toMatch(/\| Status \| \*\*aborted\*\* \|/);
    expect(s.postMortem?.url).toBe(`memory://post-mortems/${incident.id}.md`);
    expect(incident.called('forgetLeaked')).toEqual([[{ provider: 'aws-iam', credentialId: incident.credentialId }]]);
    expect(incident.events.at(-1)).toMatchObject({ kind: 'finished', message: expect.stringMatching(/^incident aborted; post-mortem: /) });
  });
});

test('abort chosen as the decision on a failed step ends the incident the same way, with the note as the reason', async () => {
  await withIncident(env(), { activities: { verify: async () => { throw permanent('STS: the new key is rejected'); } } }, async (incident) => {
    await incident.until((s) => s.waiting.some((w) => w.step === 'check keys'), 'the decision on verify');
    await incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'abort', by: 'gina', note: 'rotating by hand' }] });
    const s = await incident.result();
    expect(s.status).toBe('aborted');
    expect(s.waiting).toEqual([]);
    expect(s.timeline).toContainEqual(expect.objectContaining({ event: 'aborted: rotating by hand', by: 'gina' }));
    expect(incident.called('revoke')).toEqual([]);
    expect(incident.called('writePostMortem')).toHaveLength(1);
    expect(incident.called('forgetLeaked')).toHaveLength(1);
  });
});

test('an abort must say who and why; a refused abort changes nothing', async () => {
  await withIncident(env(), { policy: { approvals: ['regenerate'] } }, async (incident) => {
    await incident.until((s) => s.waiting.length > 0, 'waiting at regenerate');
    await expect(incident.handle.executeUpdate(abortUpdate, { args: [{ by: 'gina', reason: '' }] })).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(incident.handle.executeUpdate(abortUpdate, { args: [{ by: '', reason: 'drill' }] })).rejects.toThrow(WorkflowUpdateFailedError);
    const s = await incident.state();
    expect(s.status).toBe('waiting');
    expect(s.timeline.filter((t) => t.event.startsWith('abort'))).toEqual([]);
  });
});

test('after an abort the post-mortem step still runs, and waits for retry or skip (not abort) when it fails', async () => {
  await withIncident(env(), { policy: { approvals: ['regenerate'] }, activities: (d) => ({ writePostMortem: failing(1, () => permanent('reports dir: EACCES'), d.writePostMortem) }) }, async (incident) => {
    await incident.until((s) => s.waiting.length > 0, 'waiting at regenerate');
    await incident.handle.executeUpdate(abortUpdate, { args: [{ by: 'gina', reason: 'drill' }] });
    const waiting = await incident.until((s) => s.waiting.some((w) => w.phase === 'post-mortem'), 'the post-mortem decision');
    expect(waiting.waiting.find((w) => w.phase === 'post-mortem')).toMatchObject({ step: 'write report', options: ['retry', 'skip'] });
    await incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'retry', by: 'gina', step: 'write report' }] });
    const s = await incident.result();
    expect(incident.called('writePostMortem')).toHaveLength(2);
    expect(s.postMortem).toBeDefined();
    expect(incident.postMortems).toHaveLength(1);
  });
});
