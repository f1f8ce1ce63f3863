import { useTimeSkipping, withIncident } from './harness';

// Temporal's own cancellation (the UI's "Request Cancellation", `temporal workflow cancel`) is open to anyone
// who can reach the namespace. Leakstop's way to stop an incident is abort, but a cancelled incident must
// still end as every incident does: with its post-mortem written and the vault cleared. In a file of its own:
// an incident that does not close is terminated under a running task, which stalls this server's clock.

const env = useTimeSkipping();

test('a cancellation request from Temporal still ends the incident with its post-mortem written and the vault cleared', async () => {
  await withIncident(env(), { policy: { approvals: ['regenerate'] } }, async (incident) => {
    await incident.until((s) => s.waiting.length > 0, 'waiting at regenerate');
    await incident.handle.cancel();
    let status = 'RUNNING';
    for (const deadline = Date.now() + 30_000; status === 'RUNNING' && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      status = (await incident.handle.describe()).status.name;
    }
    expect(status).not.toBe('RUNNING');
    expect(incident.called('writePostMortem')).toHaveLength(1);
    expect(incident.called('forgetLeaked')).toHaveLength(1);
  });
});
