import { createHmac, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident';
import { LocalFileVault } from '../providers/local-vault/vault';
import { cli } from '../triggers/cli';
import { createIngress } from '../triggers/http';
import { loadConfig } from '../worker/config';
import { ingressRoutes } from '../worker/ingress';
import { createLogger } from '../worker/log';
import { controlFor, codecKeys, leakedKey, startWorker, testEnv, uniqueQueue, useTemporal } from './support/env';
import { callerArn, keysOf, waitForState } from './support/fixtures';
import { FakeGitHub } from './github/server';
import { classicToken } from './github/tokens';
import { githubAlertEvent } from './webhooks/fixtures';

// End to end through the production wiring: a signed GitHub secret scanning webhook reaches the
// ingress (worker/ingress.ts), the secret is read from the (local) GitHub API, and the incident runs
// with GitHub as store, deployer, post-mortem sink and alert owner; AWS is moto.

const REPO = 'Codertocat/Hello-World'; // the repository of @octokit/webhooks-examples' bodies
const WEBHOOK_SECRET = 'e2e-webhook-secret';
const SERVICE_TOKEN = classicToken(); // Leakstop's own GitHub token

let client: Client;
const github = new FakeGitHub(); // its stop() throws if any response broke GitHub's OpenAPI description
useTemporal((c) => (client = c), github);
beforeAll(() => {
  github.addToken(SERVICE_TOKEN, { login: 'leakstop-bot', kind: 'classic-pat', scopes: ['repo', 'security_events'] });
  github.seedWorkflow(REPO, 'deploy.yml', { runName: 'deploy ${{ inputs.leakstop_run }}' });
});

async function withIngress(inventory: string, body: (o: { post: (event: object) => Promise<Response>; dataDir: string; taskQueue: string }) => Promise<void>) {
  const taskQueue = uniqueQueue('gh-e2e');
  const ghOptions = { baseUrl: github.url, token: SERVICE_TOKEN, postMortemRepository: REPO };
  const worker = await startWorker({ taskQueue, inventory, github: ghOptions });
  const env = { ...process.env, LEAKSTOP_GITHUB_API_URL: github.url, LEAKSTOP_GITHUB_TOKEN: SERVICE_TOKEN, LEAKSTOP_GITHUB_WEBHOOK_SECRETS: WEBHOOK_SECRET, LEAKSTOP_DATA_DIR: worker.dataDir };
  const cfg = loadConfig(env);
  const vault = new LocalFileVault(path.join(worker.dataDir, 'vault'));
  const routes = await ingressRoutes({ cfg, keys: codecKeys(), control: controlFor(client, taskQueue), vault, log: createLogger(undefined, 'silent'), env });
  const server: Server = createIngress({ healthy: () => true, routes });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/github`;
  const post = (event: object) => {
    const raw = JSON.stringify(event);
    return fetch(url, {
      method: 'POST',
      body: raw,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'secret_scanning_alert',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(raw).digest('hex')}`,
      },
    });
  };
  try {
    await body({ post, dataDir: worker.dataDir, taskQueue });
  } finally {
    server.close();
    await worker.stop();
  }
}

const inventoryFor = (provider: string, owner: string, secretName: string, field: string) => `
stores:
  ci: { kind: github-actions-secret, repository: ${REPO} }
deployers:
  deploy: { kind: github-workflow, repository: ${REPO}, workflow: deploy.yml, pollInterval: 100ms }
credentials:
  - provider: ${provider}
    owner: ${owner}
    consumers:
      - { name: api, store: ci, key: ${secretName}, field: ${field}, deploy: deploy }
`;

test('an AWS key found by GitHub secret scanning: contained, rotated into an Actions secret, redeployed, post-mortem issue, alert resolved', async () => {
  const leak = await leakedKey('gh-aws');
  const number = github.seedAlert(REPO, { secret: leak.keyId, secretType: 'aws_access_key_id', publiclyLeaked: true, locations: [] });
  const secretName = `AWS_${leak.user.replace(/-/g, '_').toUpperCase()}`;
  await withIngress(inventoryFor('aws-iam', leak.user, secretName, 'json'), async ({ post }) => {
    const t0 = Date.now();
    const res = await post(githubAlertEvent({ number, secretType: 'aws_access_key_id' }));
    expect(res.status).toBe(202);
    const { incidentId } = (await res.json()) as { incidentId: string };
    const s: IncidentState = await client.workflow.getHandle(incidentId).result();
    const webhookToContainMs = Date.parse(s.containment!.at!) - t0;
    console.log(`webhook arrival → AWS key inactive: ${webhookToContainMs} ms`);
    expect(webhookToContainMs).toBeGreaterThan(0);

    expect(s.status).toBe('completed');
    expect(s.input.exposure).toMatchObject({ source: 'github-secret-scanning', repository: REPO, public: true, alert: { repository: REPO, number } });
    const written = JSON.parse(github.decryptSecret({ repository: REPO }, secretName)!);
    expect(written.AWS_ACCESS_KEY_ID).toBe(s.newCredential!.id);
    expect(await callerArn(written.AWS_ACCESS_KEY_ID, written.AWS_SECRET_ACCESS_KEY)).toMatch(new RegExp(`/${leak.user}$`));
    expect((await keysOf(leak.user)).map((k) => k.id)).toEqual([s.newCredential!.id]);
    expect(s.deploys).toEqual([expect.objectContaining({ consumer: 'api', status: 'succeeded' })]);
    const issues = github.issues(REPO).filter((i) => i.labels.includes(`leakstop:${incidentId}`));
    expect(issues).toHaveLength(1);
    expect(s.postMortem!.url).toMatch(new RegExp(`/${REPO}/issues/${issues[0]!.number}$`));
    expect(issues[0]!.body).toContain('## Timeline');
    expect(github.alert(REPO, number)).toMatchObject({ state: 'resolved', resolution: 'revoked' });
  });
});

test('a GitHub PAT found by secret scanning: revoked once, a person registers the replacement, it is verified, stored and the alert resolved', async () => {
  const pat = classicToken();
  const replacement = classicToken();
  github.addToken(pat, { login: 'octocat', kind: 'classic-pat', scopes: ['repo'] });
  const number = github.seedAlert(REPO, { secret: pat, secretType: 'github_personal_access_token', locations: [] });
  const revokesBefore = github.count('POST', '/credentials/revoke');
  await withIngress(inventoryFor('github-token', 'octocat', 'CI_TOKEN', 'token'), async ({ post, dataDir, taskQueue }) => {
    const res = await post(githubAlertEvent({ number, secretType: 'github_personal_access_token' }));
    expect(res.status).toBe(202);
    const { incidentId } = (await res.json()) as { incidentId: string };
    const waiting = await waitForState(client, incidentId, (st) => st.waiting.some((w) => w.kind === 'manual'));
    expect(waiting.waiting[0]!.reason).toMatch(/personal access token/i);
    expect(github.count('POST', '/credentials/revoke') - revokesBefore).toBe(1);

    // The person creates the replacement on GitHub and registers it: the secret goes to the vault.
    github.addToken(replacement, { login: 'octocat', kind: 'classic-pat', scopes: ['repo'] });
    const file = path.join(dataDir, 'replacement.txt');
    writeFileSync(file, `${replacement}\n`);
    const saved = { ...process.env };
    Object.assign(process.env, { TEMPORAL_ADDRESS: testEnv().temporalAddress, LEAKSTOP_TASK_QUEUE: taskQueue, LEAKSTOP_DATA_DIR: dataDir });
    try {
      expect(await cli(['incident', 'done', incidentId, '--credential-file', file, '--by', 'octocat'], () => undefined)).toBe(0);
    } finally {
      process.env = saved;
    }
    const s: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(s.status).toBe('completed');
    expect(s.verification).toMatchObject({ newWorks: true, oldDisabled: true });
    expect(github.decryptSecret({ repository: REPO }, 'CI_TOKEN')).toBe(replacement);
    expect(github.count('POST', '/credentials/revoke') - revokesBefore).toBe(1); // revoke did not call again
    expect(github.alert(REPO, number)).toMatchObject({ state: 'resolved', resolution: 'revoked' });
    expect(JSON.stringify(s)).not.toContain(pat);
    expect(JSON.stringify(s)).not.toContain(replacement);
  });
});
