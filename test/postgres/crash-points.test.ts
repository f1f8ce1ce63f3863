import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GetSecretValueCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Client } from '@temporalio/client';
import { escapeIdentifier as ident } from 'pg';
import { LocalFileVault } from '../../providers/local-vault/vault';
import { canonical } from '../../providers/postgres/connection-string';
import { credentialIdOf } from '../../providers/postgres/kind';
import { keepSecret } from '../../triggers/keep-secret';
import { DeployHookServer } from '../../worker/deploy-hook-server';
import { awsConfig, scratchDir, uniqueQueue, useTemporal } from '../support/env';
import { crashThenTakeOver, inLanes } from '../support/fixtures';
import { accepted, APP_HOST, exportAdminPassword, makeRole, pgServer, postgresSection, roleCanLogin, superuser } from './harness';

// Crash points, as test/crash-points.test.ts does for AWS: a worker dies right after each activity's side
// effect (before Temporal hears of it), a new worker takes over, and the incident still ends with every
// side effect once: one new password (the one the consumer holds is the one the server accepts), one
// Secrets Manager version, one deploy, one post-mortem; the leaked password refused; for a swap, the
// partner made once and the leaked role locked.

type Mode = 'same-role' | 'swap';
const POINTS: [string, Mode][] = [
  ['firstResponse', 'same-role'],
  ['describe', 'same-role'],
  ['contain', 'same-role'],
  ['regenerate', 'same-role'],
  ['updateEnvironment', 'same-role'],
  ['redeploy', 'same-role'],
  ['awaitDeploy', 'same-role'],
  ['verify', 'same-role'],
  ['revoke', 'same-role'],
  ['forgetSecret', 'same-role'],
  ['forgetLeaked', 'same-role'],
  ['writePostMortem', 'same-role'],
  ['regenerate', 'swap'],
  ['contain', 'swap'],
  ['revoke', 'swap'],
];
const LANES = 8; // scenarios run side by side; each waits out an activity timeout

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);
beforeAll(exportAdminPassword);

async function crashAt(point: string, mode: Mode): Promise<string[]> {
  const r = await makeRole(`cp_${point.toLowerCase().slice(0, 8)}`);
  const partner = `${r.role}_b`;
  const name = `${point}/${mode}`;
  const taskQueue = uniqueQueue('pg-crashpoint');
  const dataDir = scratchDir('pg-crashpoint');
  const key = `${r.role}/api/db`;
  // `contain` runs as its own step only when rotation comes first; a swap is made for zero downtime, so it too.
  const policy = point === 'contain' || mode === 'swap' ? 'policy: { contain: after-rotation }' : '';
  const inventory = `
${policy}
stores:
  prod-sm: { kind: aws-secrets-manager }
deployers:
  api-hook: { kind: http-hook, url: "${hook.url}", pollInterval: 50ms }
credentials:
  - { provider: postgres, owner: "${r.role}@main", consumers: [{ name: api, store: prod-sm, key: "${key}", field: url, deploy: api-hook }] }
${postgresSection(mode === 'swap' ? { [r.role]: { regenerate: 'swap', swapWith: partner } } : {})}`;
  const credentialId = credentialIdOf(r.credential);
  // As the trigger does: the connection string in the worker's vault under the credential id, then a sealed report.
  await keepSecret(new LocalFileVault(path.join(dataDir, 'vault')), 'leaked', 'postgres', canonical(r.credential), credentialId);
  const input = { provider: 'postgres', credentialId, exposure: { source: 'cli', public: false }, requestedBy: 'test' };
  const { incidentId, reached, worker, state } = await crashThenTakeOver(client, { taskQueue, inventory, dataDir, crashAfter: point, input });
  const problems: string[] = [];
  if (!reached) problems.push(`${name}: the worker never reached the crash point`);

  const sm = new SecretsManagerClient(awsConfig());
  try {
    const s = await state();
    const check = (ok: boolean, what: string) => ok || problems.push(`${name}: ${what}`);
    check(s.status === 'completed', `status ${s.status} (${s.actions.filter((a) => a.outcome !== 'done').map((a) => `${a.phase}: ${a.detail}`).join('; ')})`);
    const versions = await sm.send(new ListSecretVersionIdsCommand({ SecretId: key }));
    check(versions.Versions?.length === 1, `${versions.Versions?.length} Secrets Manager versions`);
    const url = new URL((await sm.send(new GetSecretValueCommand({ SecretId: key }))).SecretString!);
    const user = decodeURIComponent(url.username);
    check(url.hostname === APP_HOST && url.port === String(pgServer().port), `stored URL names ${url.host}`);
    check(user === (mode === 'swap' ? partner : r.role), `stored URL is for ${user}`);
    // One new password: the one the consumer holds is the one the server has.
    check(await accepted(user, decodeURIComponent(url.password)), 'the stored password is refused (a second password was set after it was written)');
    check(!(await accepted(r.role, r.password)), 'the leaked password is still accepted');
    check((await roleCanLogin(r.role)) === (mode === 'same-role'), `role ${r.role} LOGIN is ${await roleCanLogin(r.role)}`);
    // The server logs every DDL statement: the new password was set once, the role locked once.
    const statements = readFileSync(pgServer().logFile, 'utf8').split('\n').filter((l) => l.includes('statement: '));
    const setPassword = statements.filter((l) => l.includes(`ROLE ${ident(user)} `) && l.includes("PASSWORD 'SCRAM-SHA-256$"));
    check(setPassword.length === 1, `${setPassword.length} statements set a password for ${user}`);
    const locked = statements.filter((l) => l.includes(`ALTER ROLE ${ident(r.role)} NOLOGIN`));
    // Swap: contain, then revoke (NOLOGIN PASSWORD NULL); same role: contain at once, or nothing to lock when rotation came first.
    const lockings = mode === 'swap' ? 2 : policy ? 0 : 1;
    check(locked.length === lockings, `${locked.length} statements locked ${r.role}, expected ${lockings}`);
    if (mode === 'swap') {
      const made = await superuser(async (c) => (await c.query('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [partner])).rows[0].n);
      check(made === 1, `${made} partner roles`);
    }
    const deploys = [...hook.deploys.values()].filter((d) => d.idempotencyKey.startsWith(incidentId));
    check(deploys.length === 1, `${deploys.length} deploys`);
    const reports = readdirSync(path.join(dataDir, 'reports')).filter((f) => f.startsWith(incidentId));
    check(reports.length === 1 && reports[0] === `${incidentId}.md`, `post-mortem files: ${reports.join(', ')}`);
    check(readdirSync(path.join(dataDir, 'vault')).filter((f) => f.endsWith('.vault')).length === 0, 'vault entries left after the incident');
  } finally {
    sm.destroy();
    await worker.stop();
  }
  return problems;
}

test(`a worker killed after each of ${POINTS.length} activities of PostgreSQL incidents: every incident finishes with each side effect once`, async () => {
  const problems: string[] = [];
  await inLanes(POINTS, LANES, async (p) => void problems.push(...(await crashAt(...p))));
  expect(problems).toEqual([]);
}, 300_000);
