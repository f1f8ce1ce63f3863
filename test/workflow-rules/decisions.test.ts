import { WorkflowUpdateFailedError } from '@temporalio/client';
import { decideUpdate } from '../../workflows/definitions';
import { entries, failing, permanent, useTimeSkipping, withIncident } from './harness';

// A step that fails for good (or runs out of retries) waits for a person, who chooses retry, skip or
// abort (abort: abort.test.ts). A skip is on the record, and what depended on the step says why it did not run.

const env = useTimeSkipping();

test('a step that fails for good is not retried blindly: it waits with retry / skip / abort, and retry runs it again', async () => {
  await withIncident(env(), { activities: (d) => ({ regenerate: failing(1, () => permanent('IAM: AccessDenied on CreateAccessKey'), d.regenerate) }) }, async (incident) => {
    const s = await incident.until((st) => st.status === 'waiting', 'a decision to wait');
    expect(s.waiting).toEqual([
      expect.objectContaining({ kind: 'decision', phase: 'regenerate', step: 'create key', options: ['retry', 'skip', 'abort'], reason: 'IAM: AccessDenied on CreateAccessKey (PermanentError)' }),
    ]);
    expect(s.actions).toContainEqual(expect.objectContaining({ phase: 'regenerate', step: 'create key', outcome: 'failed' }));
    expect(incident.called('regenerate')).toHaveLength(1);
    expect(incident.called('updateEnvironment')).toEqual([]);

    expect(await incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'retry', by: 'dave' }] })).toBe('retry recorded for create key');
    const done = await incident.result();
    expect(done.status).toBe('completed');
    expect(incident.called('regenerate')).toHaveLength(2);
    expect(done.timeline).toContainEqual(expect.objectContaining({ phase: 'regenerate', event: 'retry chosen for create key', by: 'dave' }));
    expect(done.newCredential?.id).toBeDefined();
  });
});

test('skip is on the record, and every step that needed the skipped one says it did not run and why', async () => {
  await withIncident(env(), { activities: { regenerate: async () => { throw permanent('IAM: LimitExceeded'); } } }, async (incident) => {
    await incident.until((st) => st.status === 'waiting', 'a decision to wait');
    await incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'skip', by: 'frank', note: 'rotated by hand' }] });
    const s = await incident.result();
    expect(s.status).toBe('completed');
    expect(s.actions.filter((a) => a.outcome === 'skipped').map((a) => [a.phase, a.step, a.detail])).toEqual([
      ['regenerate', 'create key', 'skipped by frank: rotated by hand'],
      ['update-environments', 'all consumers', 'not run: no new credential (regenerate was skipped)'],
      ['redeploy', 'all consumers', 'not run: no new credential (regenerate was skipped)'],
      ['verify', 'new key', 'not run: no new credential (regenerate was skipped)'],
    ]);
    for (const name of ['updateEnvironment', 'redeploy', 'awaitDeploy', 'verify', 'forgetSecret'] as const) expect(incident.called(name)).toEqual([]);
    // Revoking the leaked key does not need the new one: it still runs.
    expect(incident.called('revoke')).toHaveLength(1);
    expect(s.newCredential).toBeUndefined();
  });
});

test('a skipped store write means its consumer is not redeployed, saying why; the other consumer goes on', async () => {
  const writes = async (consumer: { name: string }) => {
    if (consumer.name === 'api') throw permanent('Secrets Manager: AccessDeniedException');
  };
  await withIncident(env(), { activities: (d) => ({ updateEnvironment: async (input) => (await writes(input.consumer), d.updateEnvironment(input)) }) }, async (incident) => {
    const waiting = await incident.until((st) => st.status === 'waiting', 'a decision to wait');
    expect(waiting.waiting).toEqual([expect.objectContaining({ kind: 'decision', phase: 'update-environments', step: 'write api' })]);
    await incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'skip', by: 'frank', step: 'write api' }] });
    const s = await incident.result();
    expect(s.status).toBe('completed');
    expect(s.storeWrites.map((w) => w.consumer)).toEqual(['worker']);
    expect(s.actions).toContainEqual(expect.objectContaining({ phase: 'redeploy', step: 'redeploy api', outcome: 'skipped', detail: 'not run: its secret was not written' }));
    expect(incident.called('redeploy')).toEqual([]);
    expect(incident.called('verify')).toHaveLength(1);
  });
});

test('a step that keeps failing is retried by Temporal (6 attempts, with backoff), then waits for a person', async () => {
  await withIncident(env(), { activities: (d) => ({ describe: failing(6, () => new Error('CloudTrail: ThrottlingException'), d.describe) }) }, async (incident) => {
    // The backoff between attempts (0.5 s doubling to 8 s) passes in skipped time.
    await env().sleep('1m');
    const s = await incident.until((st) => st.waiting.some((w) => w.kind === 'decision'), 'a decision to wait');
    expect(s.waiting).toEqual([expect.objectContaining({ phase: 'blast-radius', step: 'describe', reason: 'CloudTrail: ThrottlingException (Error)' })]);
    expect(incident.called('describe')).toHaveLength(6);
    await incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'retry', by: 'dave' }] });
    const done = await incident.result();
    expect(done.status).toBe('completed');
    expect(incident.called('describe')).toHaveLength(7);
    expect(done.blastRadius).toBeDefined();
  });
});

test('a transient failure is retried without bothering anyone', async () => {
  await withIncident(env(), { activities: (d) => ({ verify: failing(2, () => new Error('STS: InvalidClientTokenId (not yet propagated)'), d.verify) }) }, async (incident) => {
    const s = await incident.result();
    expect(s.status).toBe('completed');
    expect(incident.called('verify')).toHaveLength(3);
    expect(entries(s, /failed|chosen/)).toEqual([]);
    expect(incident.events.filter((e) => e.kind === 'waiting')).toEqual([]);
  });
});

test('a decision is refused unless it is one of those offered, for a step that waits, by someone', async () => {
  // Triage offers no skip: nothing can go on without knowing whose key it is.
  await withIncident(env(), { activities: (d) => ({ firstResponse: failing(1, () => permanent('IAM: AccessDenied on GetAccessKeyLastUsed'), d.firstResponse) }) }, async (incident) => {
    const s = await incident.until((st) => st.status === 'waiting', 'a decision to wait');
    expect(s.waiting).toEqual([expect.objectContaining({ phase: 'triage', step: 'identify', options: ['retry', 'abort'] })]);
    await expect(incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'skip', by: 'dave' }] })).rejects.toMatchObject({
      cause: { message: 'decision: must be one of retry, abort for identify' },
    });
    await expect(incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'retry', by: 'dave', step: 'create key' }] })).rejects.toMatchObject({
      cause: { message: 'step: "create key" is not waiting for a decision' },
    });
    await expect(incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'retry', by: '' }] })).rejects.toThrow(WorkflowUpdateFailedError);
    expect(incident.called('firstResponse')).toHaveLength(1);

    await incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'retry', by: 'dave', step: 'identify' }] });
    expect((await incident.result()).status).toBe('completed');
  });
});

test('two steps waiting at once are answered each by name; an answer that does not say which is refused', async () => {
  await withIncident(env(), { activities: (d) => ({ updateEnvironment: failing(2, () => permanent('store: AccessDenied'), d.updateEnvironment) }) }, async (incident) => {
    const s = await incident.until((st) => st.waiting.length === 2, 'both writes to wait');
    expect(s.waiting.map((w) => w.step).sort()).toEqual(['write api', 'write worker']);
    await expect(incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'retry', by: 'dave' }] })).rejects.toThrow(WorkflowUpdateFailedError);

    await incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'retry', by: 'dave', step: 'write worker' }] });
    const one = await incident.until((st) => st.waiting.length === 1, 'one write to wait');
    expect(one.status).toBe('waiting');
    expect(one.waiting[0]!.step).toBe('write api');
    await incident.handle.executeUpdate(decideUpdate, { args: [{ decision: 'retry', by: 'dave' }] });
    const done = await incident.result();
    expect(done.status).toBe('completed');
    expect(done.storeWrites.map((w) => w.consumer).sort()).toEqual(['api', 'worker']);
  });
});
