import { durationMs } from '../../domain/duration';
import type { DeployHandle, DeployResult } from '../../domain/results';
import type { DeployerSpec, ResolvedConsumer } from '../../domain/schemas';
import { PermanentError, type Deployer, type IncidentContext } from '../types';
import { createGitHubClient, type GitHubClient, type GitHubClientOptions } from './client';
import { permanentFor } from './permanent-errors';
import { deployerSpecOf, repoParts, type GitHubDeployConsumer, type GitHubWorkflowDeployerSpec } from './specs';

interface Run {
  id: number;
  url: string;
  html_url: string;
  display_title: string;
  path: string;
  workflow_id: number;
  status: string | null;
  conclusion: string | null;
}

/** How long a run started by a plain (204) dispatch may take to show up in the run list. */
const RUN_APPEARS_WITHIN_MS = 30_000;

/**
 * Redeploys by `workflow_dispatch` and follows the run to its conclusion. Every dispatch carries a
 * marker (incident and consumer) in an input that the workflow shows in its `run-name`, so a retried
 * redeploy finds the run it already started instead of starting a second one.
 */
export class GitHubWorkflowDeployer implements Deployer {
  readonly kind = 'github-workflow' as const;
  private readonly client: GitHubClient;

  constructor(o: GitHubClientOptions) {
    this.client = createGitHubClient(o);
  }

  async redeploy(consumer: ResolvedConsumer | GitHubDeployConsumer, ctx: IncidentContext): Promise<DeployHandle> {
    const spec = deployerSpecOf(consumer.deployerSpec, consumer.name);
    const marker = `[leakstop ${ctx.incidentId} ${consumer.name}]`;
    const what = `workflow ${spec.workflow} of ${spec.repository}`;
    try {
      const since = runsSince(ctx.startedAt);
      const earlier = await this.findRun(spec, marker, since);
      if (earlier) return handleOf(consumer.name, earlier);

      const started = await this.dispatch(spec, marker);
      const run = started ?? (await this.awaitListed(spec, marker, since));
      if (!run) {
        throw new PermanentError(
          `dispatched ${what}, but no run shows ${marker} in its title within ${RUN_APPEARS_WITHIN_MS / 1000}s: the workflow must set ` +
            `run-name to include \${{ inputs.${spec.markerInput} }}`,
          'invalid',
        );
      }
      if (!run.display_title.includes(marker)) {
        throw new PermanentError(
          `started run ${run.html_url}, but its title does not show ${marker}, so a retry could not find it and would deploy twice: ` +
            `set run-name in ${spec.workflow} to include \${{ inputs.${spec.markerInput} }}. Skip this step if that run deployed fine`,
          'invalid',
        );
      }
      return handleOf(consumer.name, run);
    } catch (err) {
      throw permanentFor(err, what) ?? err;
    }
  }

  async waitFor(handle: DeployHandle, anySpec: DeployerSpec | GitHubWorkflowDeployerSpec, heartbeat: () => void): Promise<DeployResult> {
    const spec = deployerSpecOf(anySpec, handle.consumer);
    const { owner, repo } = repoParts(spec.repository);
    const deadline = Date.now() + durationMs(spec.timeout);
    for (;;) {
      heartbeat();
      // By run id through the configured API, never by the handle's statusUrl (the `url` GitHub answered
      // with): an answer does not choose where Leakstop calls next, with its token (domain/origin.ts).
      const run = (await this.client.rest.actions.getWorkflowRun({ owner, repo, run_id: Number(handle.id) }).catch((err) => {
        throw permanentFor(err, `run ${handle.id} of ${spec.repository}`) ?? err;
      })).data as Run;
      if (run.status === 'completed') {
        if (run.conclusion === 'success') return { consumer: handle.consumer, id: handle.id, status: 'succeeded', detail: run.html_url };
        throw new PermanentError(`deploy run ${run.html_url} for ${handle.consumer} ended ${run.conclusion ?? 'without a conclusion'}`, 'failed');
      }
      if (Date.now() > deadline) {
        throw new PermanentError(`deploy run ${run.html_url} for ${handle.consumer} did not finish within ${spec.timeout} (still ${run.status})`, 'failed');
      }
      await sleep(durationMs(spec.pollInterval));
    }
  }

  /**
   * Dispatches with `return_run_details`, so GitHub answers with the run (200). A server that does not
   * know the parameter answers 204 with no run: undefined, and the caller finds it in the run list.
   */
  private async dispatch(spec: GitHubWorkflowDeployerSpec, marker: string): Promise<Run | undefined> {
    const { owner, repo } = repoParts(spec.repository);
    // Not in octokit's endpoint types yet (added to GitHub's API in 2026): a plain request.
    const r = await this.client.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', {
      owner,
      repo,
      workflow_id: spec.workflow,
      ref: spec.ref,
      inputs: { ...spec.inputs, [spec.markerInput]: marker },
      return_run_details: true,
    });
    const details = (r.status as number) === 200 ? (r.data as unknown as { workflow_run_id?: number }) : undefined;
    if (!details?.workflow_run_id) return undefined;
    return (await this.client.rest.actions.getWorkflowRun({ owner, repo, run_id: details.workflow_run_id })).data as Run;
  }

  /** The newest run of the workflow created since `since` whose title shows the marker. */
  private async findRun(spec: GitHubWorkflowDeployerSpec, marker: string, since: string): Promise<Run | undefined> {
    const { owner, repo } = repoParts(spec.repository);
    const r = await this.client.rest.actions.listWorkflowRunsForRepo({ owner, repo, event: 'workflow_dispatch', created: `>=${since}`, per_page: 100 });
    const ofWorkflow = (run: Run) => (/^\d+$/.test(spec.workflow) ? String(run.workflow_id) === spec.workflow : run.path.split('/').pop() === spec.workflow);
    return (r.data.workflow_runs as Run[]).find((run) => ofWorkflow(run) && run.display_title.includes(marker));
  }

  private async awaitListed(spec: GitHubWorkflowDeployerSpec, marker: string, since: string): Promise<Run | undefined> {
    const deadline = Date.now() + RUN_APPEARS_WITHIN_MS;
    for (let wait = 250; ; wait = Math.min(wait * 2, 5000)) {
      const run = await this.findRun(spec, marker, since);
      if (run || Date.now() > deadline) return run;
      await sleep(wait);
    }
  }
}

const handleOf = (consumer: string, run: Run): DeployHandle => ({ consumer, id: String(run.id), statusUrl: run.url });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The `created` bound for the run search: a minute before the incident started, in whole seconds
 * (GitHub's precision), so clock skew between worker and GitHub cannot hide a run. The marker makes the
 * match exact; the bound only keeps the list short.
 */
function runsSince(startedAt: string): string {
  return new Date(Math.floor(Date.parse(startedAt) / 1000) * 1000 - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
