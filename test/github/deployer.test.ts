import { GitHubWorkflowDeployer } from '../../providers/github/deployer';
import { GitHubWorkflowDeployerSpecSchema, type GitHubDeployConsumer } from '../../providers/github/specs';
import { PermanentError } from '../../providers/types';
import { incident } from './harness';
import { FakeGitHub } from './server';
import { classicToken } from './tokens';


const DISPATCH = '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';

describe('GitHubWorkflowDeployer: workflow_dispatch followed to its conclusion', () => {
  let gh: FakeGitHub;
  let deployer: GitHubWorkflowDeployer;
  beforeEach(async () => {
    gh = await new FakeGitHub().start();
    const auth = classicToken();
    gh.addToken(auth, { login: 'leakstop-bot', kind: 'classic-pat', scopes: ['repo', 'workflow'] });
    deployer = new GitHubWorkflowDeployer({ baseUrl: gh.url, auth });
  });
  afterEach(() => gh.stop());

  const consumer = (o: Partial<ReturnType<typeof GitHubWorkflowDeployerSpecSchema.parse>> = {}): GitHubDeployConsumer => ({
    name: 'api',
    store: 'github',
    key: 'AWS_CREDENTIALS',
    field: 'json',
    storeSpec: { kind: 'aws-secrets-manager' },
    deployerSpec: GitHubWorkflowDeployerSpecSchema.parse({
      kind: 'github-workflow',
      repository: 'acme/api',
      workflow: 'deploy.yml',
      inputs: { environment: 'production' },
      pollInterval: '20ms',
      timeout: '10s',
      ...o,
    }),
  });
  const heartbeats = () => {
    const beats = { n: 0 };
    return { beats, beat: () => void beats.n++ };
  };

  test('dispatches once even when redeploy runs twice for the incident, and follows the run to success', async () => {
    gh.seedWorkflow('acme/api', 'deploy.yml', { runName: 'Deploy ${{ inputs.leakstop_run }}', pollsInProgress: 2 });
    const ctx = incident();
    const c = consumer();
    const first = await deployer.redeploy(c, ctx);
    const second = await deployer.redeploy(c, ctx);
    expect(second).toEqual(first);
    expect(gh.count('POST', DISPATCH)).toBe(1);
    const run = gh.state.runs.get(Number(first.id))!;
    expect(run.inputs).toEqual({ environment: 'production', leakstop_run: `[leakstop ${ctx.incidentId} api]` });
    expect(run.headBranch).toBe('main');

    const { beats, beat } = heartbeats();
    const result = await deployer.waitFor(first, c.deployerSpec!, beat);
    expect(result).toMatchObject({ consumer: 'api', id: first.id, status: 'succeeded' });
    expect(run.status).toBe('completed');
    expect(beats.n).toBeGreaterThanOrEqual(3); // queued → in_progress (×2) → completed
  });

  test('another incident or consumer gets its own run', async () => {
    gh.seedWorkflow('acme/api', 'deploy.yml', { runName: 'Deploy ${{ inputs.leakstop_run }}' });
    const a = await deployer.redeploy(consumer(), incident());
    const b = await deployer.redeploy(consumer(), incident());
    expect(a.id).not.toBe(b.id);
    expect(gh.count('POST', DISPATCH)).toBe(2);
  });

  test('a failed run is a permanent failure for a person to look at', async () => {
    gh.seedWorkflow('acme/api', 'deploy.yml', { runName: 'Deploy ${{ inputs.leakstop_run }}', conclusion: 'failure' });
    const c = consumer();
    const handle = await deployer.redeploy(c, incident());
    const err = await deployer.waitFor(handle, c.deployerSpec!, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ reason: 'failed', message: expect.stringContaining('ended failure') });
  });

  test('a run that does not finish in time is a failure', async () => {
    gh.seedWorkflow('acme/api', 'deploy.yml', { runName: 'Deploy ${{ inputs.leakstop_run }}', pollsInProgress: 1_000 });
    const c = consumer({ timeout: '200ms' });
    const handle = await deployer.redeploy(c, incident());
    await expect(deployer.waitFor(handle, c.deployerSpec!, () => undefined)).rejects.toMatchObject({ reason: 'failed', message: expect.stringContaining('did not finish within 200ms') });
  });

  test('without return_run_details (204) the run is found in the run list, still only once', async () => {
    gh.state.returnRunDetails = false;
    gh.seedWorkflow('acme/api', 'deploy.yml', { runName: '${{ inputs.leakstop_run }} to ${{ inputs.environment }}' });
    const ctx = incident();
    const first = await deployer.redeploy(consumer(), ctx);
    const again = await deployer.redeploy(consumer(), ctx);
    expect(again).toEqual(first);
    expect(gh.requests.filter((r) => r.route === DISPATCH).map((r) => r.status)).toEqual([204]);
    await expect(deployer.waitFor(first, consumer().deployerSpec!, () => undefined)).resolves.toMatchObject({ status: 'succeeded' });
  });

  test('a workflow whose run-name does not show the marker is reported, since a retry could not find its run', async () => {
    gh.seedWorkflow('acme/api', 'deploy.yml');
    await expect(deployer.redeploy(consumer(), incident())).rejects.toMatchObject({ reason: 'invalid', message: expect.stringContaining('run-name') });
  });

  test('an unknown workflow is not found', async () => {
    await expect(deployer.redeploy(consumer({ workflow: 'missing.yml' }), incident())).rejects.toMatchObject({ reason: 'not-found' });
  });
});
