import { randomUUID } from 'node:crypto';
import type { DeployHandle } from '../../domain/results';
import type { ResolvedConsumer } from '../../domain/schemas';
import { HttpHookSpecSchema as DeployerSpecSchema } from '../../providers/http-deploy-hook/spec';
import { HttpDeployHook } from '../../providers/http-deploy-hook/deployer';
import { PermanentError } from '../../providers/types';
import { incident } from '../github/harness';
import { json, RecordingServer, type Answer } from '../support/recording-server';

// A deploy hook that turned hostile (or was taken over) tries to make Leakstop carry the hook's
// secret headers somewhere else: a status URL on another host, a Location header pointing away, a
// redirect. A second local server plays "somewhere else" and records what reaches it.


const TOKEN_VAR = 'LEAKSTOP_ATTACK_HOOK_TOKEN';
const AUTH_VAR = 'LEAKSTOP_ATTACK_HOOK_AUTH';
const token = `hook-${randomUUID()}`;
const bearer = `Bearer ${randomUUID()}`;

const ok: Answer = (_req, res) => json(res, 200, { status: 'succeeded' });
const hook = new RecordingServer(ok);
const elsewhere = new RecordingServer(ok);
beforeAll(async () => {
  process.env[TOKEN_VAR] = token;
  process.env[AUTH_VAR] = bearer;
  await Promise.all([hook.start(), elsewhere.start()]);
});
afterAll(async () => {
  delete process.env[TOKEN_VAR];
  delete process.env[AUTH_VAR];
  await Promise.all([hook.stop(), elsewhere.stop()]);
});
beforeEach(() => {
  hook.requests.length = 0;
  elsewhere.requests.length = 0;
});

const deployer = new HttpDeployHook();
const consumer = (): ResolvedConsumer => ({
  name: 'api',
  store: 'sm',
  key: 'api/aws',
  field: 'json',
  storeSpec: { kind: 'aws-secrets-manager' },
  deploy: 'api',
  deployerSpec: DeployerSpecSchema.parse({
    kind: 'http-hook',
    url: `${hook.origin}/deploy`,
    headersFromEnv: { 'x-hook-token': TOKEN_VAR, authorization: AUTH_VAR },
    pollInterval: '10ms',
    timeout: '5s',
  }),
});

/** What the redeploy activity does: start the deploy, then follow it; the error it ends with, if any. */
async function deployStep(c = consumer()): Promise<unknown> {
  try {
    const handle = await deployer.redeploy(c, incident());
    await deployer.waitFor(handle, c.deployerSpec!, () => undefined);
    return undefined;
  } catch (err) {
    return err;
  }
}

/** Every header value that reached the other origin and carries one of the hook's secrets. */
const leaked = () =>
  elsewhere.requests.flatMap((r) => Object.entries(r.headers).filter(([, v]) => [token, bearer].some((s) => String(v).includes(s))).map(([k]) => `${r.method} ${r.url} ${k}`));

function expectRefused(err: unknown, message: RegExp) {
  expect(err).toBeInstanceOf(PermanentError);
  expect((err as PermanentError).message).toMatch(message);
  expect((err as PermanentError).message).not.toContain(token);
  expect((err as PermanentError).message).not.toContain(bearer);
}

test('a status URL on another origin is refused, and nothing reaches that origin', async () => {
  hook.answer = (_req, res) => json(res, 202, { id: 'dep-1', statusUrl: `${elsewhere.origin}/steal?x=1` });
  const err = await deployStep();
  expect(leaked()).toEqual([]);
  expect(elsewhere.requests).toEqual([]);
  expectRefused(err, new RegExp(`status URL on ${elsewhere.origin}.*not the hook's origin ${hook.origin}`));
  // The path and query of the foreign URL (where a token could hide) are not repeated.
  expect((err as Error).message).not.toContain('/steal');
});

test('a Location header pointing to another origin is refused the same way', async () => {
  hook.answer = (_req, res) => json(res, 202, { id: 'dep-2' }, { location: `${elsewhere.origin}/status/2` });
  const err = await deployStep();
  expect(leaked()).toEqual([]);
  expect(elsewhere.requests).toEqual([]);
  expectRefused(err, new RegExp(`status URL on ${elsewhere.origin}`));
});

test('a redirect of the deploy POST is never followed with the hook\'s headers', async () => {
  hook.answer = (_req, res) => json(res, 302, {}, { location: `${elsewhere.origin}/deploy` });
  const err = await deployStep();
  expect(leaked()).toEqual([]);
  expect(elsewhere.requests).toEqual([]);
  expectRefused(err, /answered a redirect \(302\).*does not follow/);
  expect(hook.requests).toHaveLength(1);
});

test('a redirect of a status poll is never followed either', async () => {
  hook.answer = (req, res) =>
    req.method === 'POST' ? json(res, 202, { id: 'dep-3', statusUrl: '/deploys/dep-3' }) : json(res, 307, {}, { location: `${elsewhere.origin}/deploys/dep-3` });
  const err = await deployStep();
  expect(leaked()).toEqual([]);
  expect(elsewhere.requests).toEqual([]);
  expectRefused(err, /answered a redirect \(307\)/);
});

test('a handle recorded with a foreign status URL (older history, a tampered payload) is not polled', async () => {
  const c = consumer();
  const handle: DeployHandle = { consumer: 'api', id: 'dep-4', statusUrl: `${elsewhere.origin}/deploys/dep-4` };
  const err = await deployer.waitFor(handle, c.deployerSpec!, () => undefined).then(() => undefined, (e: unknown) => e);
  expect(elsewhere.requests).toEqual([]);
  expectRefused(err, new RegExp(`status URL on ${elsewhere.origin}`));
});

test('a hook that echoes its token in an error body does not get it into the error message', async () => {
  hook.answer = (req, res) => {
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end(`denied for ${String(req.headers['x-hook-token'])} and ${String(req.headers.authorization)}`);
  };
  const err = await deployStep();
  expectRefused(err, /answered 403: denied for \[redacted\]/);
});

test('the hook\'s own relative status URL still works', async () => {
  hook.answer = (req, res) =>
    req.method === 'POST' ? json(res, 202, { id: 'dep-5', statusUrl: '/deploys/dep-5' }) : json(res, 200, { status: 'succeeded' });
  await expect(deployStep()).resolves.toBeUndefined();
  expect(hook.requests.map((r) => [r.method, r.url, r.headers['x-hook-token']])).toEqual([
    ['POST', '/deploy', token],
    ['GET', '/deploys/dep-5', token],
  ]);
});
