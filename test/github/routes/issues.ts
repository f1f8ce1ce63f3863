import { repoOf, type FakeGitHubState, type IssueRecord } from '../fake-state';
import { issue, issueComment } from '../fixtures';
import { HttpError, type FakeRequest, type Route } from '../router';

// Issues of a repository: create, list (state and label filters), edit, comment.

export function issueRoutes(state: FakeGitHubState, api: () => string): Route[] {
  const render = (req: FakeRequest, i: IssueRecord) => issue(api(), repoOf(req), i);
  const find = (req: FakeRequest) => {
    const found = state.issuesOf(repoOf(req)).find((i) => i.number === Number(req.params.issue_number));
    if (!found) throw new HttpError(404, 'Not Found');
    return found;
  };
  const labelNames = (labels: unknown[] | undefined) => (labels ?? []).map((l) => (typeof l === 'string' ? l : String((l as { name?: string }).name)));

  return [
    {
      method: 'POST',
      route: '/repos/{owner}/{repo}/issues',
      handle(req) {
        const who = state.caller(req);
        const body = req.body as { title: string | number; body?: string; labels?: unknown[] };
        const list = state.issuesOf(repoOf(req));
        const now = state.now();
        const created: IssueRecord = {
          id: state.id(),
          number: list.length + 1,
          title: String(body.title),
          body: body.body ?? null,
          state: 'open',
          labels: [...new Set(labelNames(body.labels))],
          comments: 0,
          commentBodies: [],
          author: state.account(who.login),
          createdAt: now,
          updatedAt: now,
          closedAt: null,
        };
        list.push(created);
        return { status: 201, body: render(req, created) };
      },
    },
    {
      method: 'GET',
      route: '/repos/{owner}/{repo}/issues',
      handle(req) {
        state.caller(req);
        const wanted = req.query.get('state') ?? 'open';
        const labels = (req.query.get('labels') ?? '').split(',').filter(Boolean);
        const found = state
          .issuesOf(repoOf(req))
          .filter((i) => (wanted === 'all' || i.state === wanted) && labels.every((l) => i.labels.includes(l)))
          .sort((a, b) => b.number - a.number);
        const perPage = Number(req.query.get('per_page') ?? 30);
        const page = Number(req.query.get('page') ?? 1);
        return { status: 200, body: found.slice((page - 1) * perPage, page * perPage).map((i) => render(req, i)) };
      },
    },
    {
      method: 'PATCH',
      route: '/repos/{owner}/{repo}/issues/{issue_number}',
      handle(req) {
        state.caller(req);
        const i = find(req);
        const body = req.body as { title?: string | number; body?: string | null; state?: 'open' | 'closed'; labels?: unknown[] };
        if (body.title !== undefined) i.title = String(body.title);
        if (body.body !== undefined) i.body = body.body;
        if (body.labels !== undefined) i.labels = [...new Set(labelNames(body.labels))];
        if (body.state && body.state !== i.state) {
          i.state = body.state;
          i.closedAt = body.state === 'closed' ? state.now() : null;
        }
        i.updatedAt = state.now();
        return { status: 200, body: render(req, i) };
      },
    },
    {
      method: 'POST',
      route: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      handle(req) {
        const who = state.caller(req);
        const i = find(req);
        const body = (req.body as { body: string }).body;
        i.commentBodies.push(body);
        i.comments++;
        i.updatedAt = state.now();
        return { status: 201, body: issueComment(api(), repoOf(req), i.number, { id: state.id(), body, author: state.account(who.login), at: i.updatedAt }) };
      },
    },
  ];
}
