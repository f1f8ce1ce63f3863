import { readdirSync } from 'node:fs';
import path from 'node:path';
import { GetSecretValueCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Client } from '@temporalio/client';
import { secretId } from '../../domain/fingerprint';
import { LocalFileVault } from '../../providers/local-vault/vault';
import { keepSecret } from '../../triggers/keep-secret';
import { DeployHookServer } from '../../worker/deploy-hook-server';
import { awsConfig, scratchDir, uniqueQueue, useTemporal } from '../support/env';
import { crashThenTakeOver, inLanes } from '../support/fixtures';
import { configurePassword, createToken, newAccount, registry, tokensOf, whoami } from './harness';

// Crash points for npm tokens: a worker dies right after each activity's side effect (before Temporal
// hears of it), a new worker takes over, and the incident still ends with every side effect once: the
// leaked token refused, exactly one token left on the account (the new one, in the store), one store
// version, one deploy, one post-mortem. (The window inside regenerate, between the registry making a
// token and the vault write, is covered in provider.test.ts.)

const POINTS = ['firstResponse', 'describe', 'contain', 'regenerate', 'updateEnvironment', 'redeploy', 'awaitDeploy', 'verify', 'revoke', 'forgetSecret', 'forgetLeaked', 'writePostMortem'];
// The first response (identify, plan, contain) is one activity; contain runs as its own step when the
// policy contains after rotation, so that point runs with that policy.
const POLICY: Record<string, string> = { contain: '{ contain: after-rotation }' };
const LANES = 6; // crash scenarios run side by side; each waits out an activity timeout

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);
const sm = new SecretsManagerClient(awsConfig());
afterAll(() => sm.destroy());

async function crashAt(point: string): Promise<string[]> {
  const account = await newAccount(`cp-${point.toLowerCase().slice(0, 10)}`);
  configurePassword(account); // before the worker is spawned: the child copies the environment
  const leaked = await createToken(account, { cidr: ['127.0.0.1/32'] });
  const taskQueue = uniqueQueue('npm-crashpoint');
  const dataDir = scratchDir('npm-crashpoint');
  // The leaked token enters the worker's vault as the ingress puts it.
  const { id } = await keepSecret(new LocalFileVault(path.join(dataDir, 'vault')), 'leaked', 'npm-token', leaked.token);
  const inventory = `
${POLICY[point] ? `policy: ${POLICY[point]}` : ''}
providers:
  npm:
    registry: "${registry()}"
    accounts:
      ${account.user}: { passwordEnv: ${account.passwordEnv} }
stores:
  prod-sm: { kind: aws-secrets-manager }
deployers:
  ci-hook: { kind: http-hook, url: "${hook.url}", pollInterval: 100ms }
credentials:
  - { provider: npm-token, owner: ${account.user}, consumers: [{ name: publish, store: prod-sm, key: "${account.user}/npm", field: token, deploy: ci-hook }] }
`;
  const input = { provider: 'npm-token', credentialId: id, exposure: { source: 'cli', public: false }, requestedBy: 'test' };
  const { incidentId, reached, worker, state } = await crashThenTakeOver(client, { taskQueue, inventory, dataDir, crashAfter: point, input });
  const problems: string[] = [];
  if (!reached) problems.push(`${point}: the worker never reached the crash point`);

  try {
    const s = await state();
    const check = (ok: boolean, what: string) => ok || problems.push(`${point}: ${what}`);
    check(s.status === 'completed', `status ${s.status}`);
    check(s.newCredential?.id !== undefined && s.newCredential.id !== secretId(leaked.token), 'no new credential');
    check((await whoami(leaked.token)).status === 403, 'the leaked token still works');
    const tokens = await tokensOf(account);
    check(tokens.length === 1, `${tokens.length} tokens on the account (expected only the new one)`);
    check(tokens.every((t) => t.cidr.join() === '127.0.0.1/32'), 'the new token lost the CIDR restriction');
    const stored = (await sm.send(new GetSecretValueCommand({ SecretId: `${account.user}/npm` }))).SecretString!;
    check(secretId(stored) === s.newCredential?.id, 'the store holds another token than the new credential');
    check((await whoami(stored)).username === account.user, 'the stored token does not work');
    const versions = await sm.send(new ListSecretVersionIdsCommand({ SecretId: `${account.user}/npm` }));
    check(versions.Versions?.length === 1, `${versions.Versions?.length} Secrets Manager versions`);
    const deploys = [...hook.deploys.values()].filter((d) => d.idempotencyKey.startsWith(incidentId));
    check(deploys.length === 1, `${deploys.length} deploys`);
    const reports = readdirSync(path.join(dataDir, 'reports')).filter((f) => f.startsWith(incidentId));
    check(reports.length === 1 && reports[0] === `${incidentId}.md`, `post-mortem files: ${reports.join(', ')}`);
  } finally {
    await worker.stop();
  }
  return problems;
}

test(`an npm token incident, its worker killed after each of ${POINTS.length} activities: every incident finishes with each side effect once`, async () => {
  const problems: string[] = [];
  await inLanes(POINTS, LANES, async (p) => void problems.push(...(await crashAt(p))));
  expect(problems).toEqual([]);
}, 300_000);
