import { repoOf, type FakeGitHubState } from '../fake-state';
import { commitLocation, secretScanningAlert, type AlertFixture } from '../fixtures';
import { HttpError, type FakeRequest, type Route } from '../router';

// Secret scanning alerts of a repository: read (with the secret), its locations, resolve.

export function secretScanningRoutes(state: FakeGitHubState, api: () => string): Route[] {
  const find = (req: FakeRequest): AlertFixture => {
    state.caller(req);
    const alert = state.alerts.get(`${repoOf(req)}#${req.params.alert_number}`);
    if (!alert) throw new HttpError(404, 'Not Found');
    return alert;
  };
  const base = '/repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}';
  return [
    { method: 'GET', route: base, handle: (req) => ({ status: 200, body: secretScanningAlert(api(), repoOf(req), find(req)) }) },
    {
      method: 'GET',
      route: `${base}/locations`,
      handle: (req) => ({ status: 200, body: find(req).locations.map((l) => commitLocation(api(), repoOf(req), l)) }),
    },
    {
      method: 'PATCH',
      route: base,
      handle(req) {
        const alert = find(req);
        const who = state.caller(req);
        const body = req.body as { state?: 'open' | 'resolved'; resolution?: AlertFixture['resolution']; resolution_comment?: string };
        if (body.state === 'resolved') {
          if (!body.resolution) throw new HttpError(422, 'A resolution is required to resolve an alert');
          Object.assign(alert, {
            state: 'resolved',
            resolution: body.resolution,
            resolutionComment: body.resolution_comment ?? null,
            resolvedBy: state.account(who.login),
            resolvedAt: state.now(),
          });
        } else if (body.state === 'open') {
          Object.assign(alert, { state: 'open', resolution: null, resolutionComment: null, resolvedBy: null, resolvedAt: null });
        }
        alert.updatedAt = state.now();
        return { status: 200, body: secretScanningAlert(api(), repoOf(req), alert) };
      },
    },
  ];
}
