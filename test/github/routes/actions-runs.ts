import { repoOf, type FakeGitHubState, type RunRecord } from '../fake-state';
import { workflowRun } from '../fixtures';
import { HttpError, type FakeRequest, type Route } from '../router';

// workflow_dispatch and the runs it starts. A run moves queued → in_progress → completed as it is
// read, and ends with the conclusion the test seeded on its workflow.

export function actionsRunRoutes(state: FakeGitHubState, api: () => string): Route[] {
  const render = (run: RunRecord) => {
    const [owner, repo] = run.repo.split('/') as [string, string];
    return workflowRun(api(), state.account(owner), repo, state.repoId(run.repo), {
      id: run.id,
      runNumber: run.runNumber,
      workflowId: run.workflow.id,
      workflowPath: run.workflow.path,
      workflowName: run.workflow.name,
      displayTitle: run.displayTitle,
      headBranch: run.headBranch,
      status: run.status,
      conclusion: run.conclusion,
      createdAt: run.createdAt,
      updatedAt: run.updatedAt,
    });
  };
  const runOf = (req: FakeRequest) => {
    const run = state.runs.get(Number(req.params.run_id));
    if (!run || run.repo !== repoOf(req)) throw new HttpError(404, 'Not Found');
    return run;
  };

  return [
    {
      method: 'POST',
      route: '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches',
      handle(req) {
        state.caller(req);
        const repo = repoOf(req);
        const ref = req.params.workflow_id!;
        const workflow = state.workflows.find((w) => w.repo === repo && (String(w.id) === ref || w.path.endsWith(`/${ref}`)));
        if (!workflow) throw new HttpError(404, 'Not Found');
        const body = req.body as { ref: string; inputs?: Record<string, unknown>; return_run_details?: boolean };
        const inputs = body.inputs ?? {};
        const now = state.now();
        const run: RunRecord = {
          id: state.id(),
          repo,
          workflow,
          runNumber: [...state.runs.values()].filter((r) => r.workflow === workflow).length + 1,
          displayTitle: workflow.runName
            ? workflow.runName.replace(/\$\{\{\s*inputs\.(\w+)\s*\}\}/g, (_, name: string) => String(inputs[name] ?? ''))
            : workflow.name,
          headBranch: body.ref.replace(/^refs\/heads\//, ''),
          inputs,
          status: 'queued',
          conclusion: null,
          pollsLeft: workflow.pollsInProgress,
          createdAt: now,
          updatedAt: now,
        };
        state.runs.set(run.id, run);
        if (!(body.return_run_details && state.returnRunDetails)) return { status: 204 };
        const rendered = render(run);
        return { status: 200, body: { workflow_run_id: run.id, run_url: rendered.url, html_url: rendered.html_url } };
      },
    },
    {
      method: 'GET',
      route: '/repos/{owner}/{repo}/actions/runs',
      handle(req) {
        state.caller(req);
        const created = createdFilter(req.query.get('created'));
        const event = req.query.get('event');
        const status = req.query.get('status');
        const runs = [...state.runs.values()]
          .filter((r) => r.repo === repoOf(req) && (!event || event === 'workflow_dispatch') && (!status || r.status === status) && created(r.createdAt))
          .sort((a, b) => b.id - a.id);
        const perPage = Number(req.query.get('per_page') ?? 30);
        const page = Number(req.query.get('page') ?? 1);
        return { status: 200, body: { total_count: runs.length, workflow_runs: runs.slice((page - 1) * perPage, page * perPage).map(render) } };
      },
    },
    {
      method: 'GET',
      route: '/repos/{owner}/{repo}/actions/runs/{run_id}',
      handle(req) {
        state.caller(req);
        const run = runOf(req);
        advance(run, state.now());
        return { status: 200, body: render(run) };
      },
    },
  ];
}

function advance(run: RunRecord, now: string): void {
  if (run.status === 'queued') run.status = 'in_progress';
  else if (run.status === 'in_progress' && run.pollsLeft-- <= 0) {
    run.status = 'completed';
    run.conclusion = run.workflow.conclusion;
  } else return;
  run.updatedAt = now;
}

/** GitHub's search syntax for dates: `>=T`, `>T`, `<=T`, `<T`, `A..B`. */
function createdFilter(q: string | null): (at: string) => boolean {
  if (!q) return () => true;
  const t = (s: string) => {
    const ms = Date.parse(s);
    if (Number.isNaN(ms)) throw new HttpError(422, `created: not a date: ${s}`);
    return ms;
  };
  const range = /^(.+)\.\.(.+)$/.exec(q);
  if (range) return (at) => Date.parse(at) >= t(range[1]!) && Date.parse(at) <= t(range[2]!);
  const cmp = /^(>=|<=|>|<)(.+)$/.exec(q);
  if (!cmp) throw new HttpError(422, `created: unsupported qualifier ${q}`);
  const bound = t(cmp[2]!);
  const ops = { '>=': (a: number) => a >= bound, '<=': (a: number) => a <= bound, '>': (a: number) => a > bound, '<': (a: number) => a < bound };
  return (at) => ops[cmp[1] as keyof typeof ops](Date.parse(at));
}
