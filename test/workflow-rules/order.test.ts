import { entries, useTimeSkipping, withIncident, type Activities, type ActivityName } from './harness';

// The runbook's order: what the containment policy puts first, and nothing before the first response.

const env = useTimeSkipping();

/** The provider calls, in the order they were made (notifications, checks and clean-up left out). */
const PROVIDER_CALLS = new Set<ActivityName>(['firstResponse', 'describe', 'contain', 'regenerate', 'updateEnvironment', 'redeploy', 'awaitDeploy', 'verify', 'revoke']);

test('contain: immediate contains in the first response, before anything else, and does not contain again', async () => {
  await withIncident(env(), { policy: { contain: 'immediate' } }, async (incident) => {
    const s = await incident.result();
    expect(s.status).toBe('completed');
    expect(incident.calls.filter((c) => PROVIDER_CALLS.has(c.name)).map((c) => c.name)).toEqual([
      'firstResponse', 'describe', 'regenerate', 'updateEnvironment', 'updateEnvironment', 'redeploy', 'awaitDeploy', 'verify', 'revoke',
    ]);
    const done = s.actions.filter((a) => a.outcome === 'done').map((a) => a.phase);
    expect(done.indexOf('contain')).toBeLessThan(done.indexOf('regenerate'));
    expect(s.containment?.summary).toMatch(/inactive$/);
    expect(s.timeToContainMs).toBeGreaterThanOrEqual(0);
  });
});

test('contain: after-rotation rotates, updates and redeploys every consumer before the key is deactivated, then verifies and revokes', async () => {
  await withIncident(env(), { policy: { contain: 'after-rotation' } }, async (incident) => {
    const s = await incident.result();
    expect(s.status).toBe('completed');
    expect(incident.calls.filter((c) => PROVIDER_CALLS.has(c.name)).map((c) => c.name)).toEqual([
      'firstResponse', 'describe', 'regenerate', 'updateEnvironment', 'updateEnvironment', 'redeploy', 'awaitDeploy', 'contain', 'verify', 'revoke',
    ]);
  });
});

test('nothing stands before the first response: no notification until it has identified (and contained) the key', async () => {
  await withIncident(env(), {}, async (incident) => {
    await incident.result();
    expect(incident.calls.slice(0, 3).map((c) => c.name)).toEqual(['validateIncidentInput', 'firstResponse', 'notify']);
    expect(incident.events[0]).toMatchObject({ phase: 'triage', kind: 'done', message: expect.stringMatching(/^identified; the key is already contained\. trust: /) });
  });
});

test('a first response that could not contain hands over to the contain step, which says why and contains', async () => {
  const couldNotContain = (d: Activities): Partial<Activities> => ({
    async firstResponse(args) {
      const { containment: _, ...rest } = await d.firstResponse(args);
      return { ...rest, containmentFailed: 'IAM: Throttling: Rate exceeded' };
    },
  });
  await withIncident(env(), { activities: couldNotContain }, async (incident) => {
    const s = await incident.result();
    expect(s.status).toBe('completed');
    expect(incident.called('contain')).toHaveLength(1);
    expect(entries(s, /^first response could not contain/)).toEqual([
      expect.objectContaining({ phase: 'contain', event: 'first response could not contain: IAM: Throttling: Rate exceeded; trying again as a step' }),
    ]);
    expect(s.containment).toBeDefined();
  });
});
