import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { secretId } from '../../domain/fingerprint';
import { redact } from '../../domain/redact';
import { catalog, parseInventory } from '../../providers';
import { GUIDED_TYPE_IDS, GUIDED_TYPES } from '../../providers/guided/catalogue';
import { guidedKind } from '../../providers/guided/kind';
import { probe } from '../../providers/guided/probe';
import { ProbeSchema } from '../../providers/guided/settings';
import { googleApiKey } from './issuer';

// What the guided module recognises, how it names an incident, what redaction masks, and the probe's
// limits. Values are built at run time (never a real key in the repository).

const openai = `sk-proj-${'Ab3'.repeat(16)}`;
const stripe = `sk_live_${'9Zq'.repeat(10)}`;
const sendgrid = `SG.${'a'.repeat(22)}.${'B'.repeat(43)}`;
const anthropic = `sk-ant-api03-${'x9'.repeat(20)}`;

test('a value’s own shape names its type, whatever the scanner called it, so every scanner’s report of one key joins one incident', () => {
  const key = googleApiKey();
  const id = `google-api-key:${secretId(key)}`;
  for (const finding of [
    { scanner: 'trufflehog' as const, type: 'GoogleApiKey', raw: key },
    { scanner: 'trufflehog' as const, type: 'GoogleGeminiAPIKey', raw: key },
    { scanner: 'github-secret-scanning' as const, type: 'google_api_key', raw: key },
    { scanner: 'trufflehog' as const, type: 'URI', raw: key },
    { scanner: 'pasted' as const, kind: 'guided', raw: ` ${key}\n` },
  ]) {
    expect(catalog.recognise(finding)).toEqual({ kind: guidedKind, recognition: { credentialId: id, secret: key } });
  }
  expect(guidedKind.recognise({ scanner: 'pasted', raw: openai })).toEqual({ credentialId: `openai-api-key:${secretId(openai)}`, secret: openai });
  expect(guidedKind.recognise({ scanner: 'pasted', raw: anthropic })).toMatchObject({ credentialId: expect.stringMatching(/^anthropic-api-key:/) });
  // No shape of its own: the scanner's name says the type; a pasted value nobody named is a generic secret.
  expect(guidedKind.recognise({ scanner: 'trufflehog', type: 'DatadogToken', raw: 'f'.repeat(32) })).toMatchObject({ credentialId: expect.stringMatching(/^datadog-api-key:sha256:/) });
  expect(guidedKind.recognise({ scanner: 'pasted', raw: 'correct horse battery staple' })).toMatchObject({ credentialId: expect.stringMatching(/^generic-secret:sha256:/) });
});

test('the scanners’ names for these types reach the guided module; unknown detectors stay ignored', () => {
  expect(catalog.forScanner('trufflehog', 'Stripe')?.kind).toBe('guided');
  expect(catalog.forScanner('trufflehog', 969)?.kind).toBe('guided');
  expect(catalog.forScanner('github-secret-scanning', 'openai_api_key')?.kind).toBe('guided');
  expect(catalog.forScanner('gitguardian', 'generic_password')?.kind).toBe('guided');
  expect(catalog.forScanner('trufflehog', 'Pinecone')).toBeUndefined();
  // The other modules keep theirs.
  expect(catalog.forScanner('trufflehog', 'AWS')?.kind).toBe('aws-iam');
  expect(catalog.forScanner('trufflehog', 'Slack')?.kind).toBe('slack-token');
  for (const id of GUIDED_TYPE_IDS) expect(GUIDED_TYPES[id].docs).toMatch(/^https:\/\//);
});

test('findings without a value wait for a person; sizes outside a credential’s are refused by field', () => {
  expect(guidedKind.recognise({ scanner: 'gitguardian', type: 'generic_password' })).toEqual({ unidentified: 'GitGuardian sends a hash of the secret, not the secret' });
  expect(guidedKind.recognise({ scanner: 'pasted', raw: 'short' })).toEqual({ invalid: 'shorter than 8 characters: not a credential' });
  expect(guidedKind.recognise({ scanner: 'pasted', raw: 'x'.repeat(9000) })).toEqual({ invalid: 'longer than 8192 characters: not one credential' });
});

test('ids: <type>:sha256:<16 hex>; the value itself in the id field is refused without being repeated', () => {
  const key = googleApiKey();
  expect(guidedKind.checkId(`google-api-key:${secretId(key)}`)).toBeUndefined();
  expect(guidedKind.checkId(`nope:${secretId(key)}`)).toMatch(/^must be <type>:sha256:<16 hex>/);
  const problem = guidedKind.checkId(key)!;
  expect(problem).toMatch(/not the secret itself/);
  expect(problem).not.toContain(key);
  expect(guidedKind.display(`google-api-key:${secretId(key)}`)).toBe(`Google API key ${secretId(key).slice(0, 15)}…`);
});

test('redaction masks every shaped type in free text', () => {
  const key = googleApiKey();
  const text = `maps=${key} openai=${openai} stripe=${stripe} sendgrid=${sendgrid} claude=${anthropic}`;
  const out = redact(text);
  for (const secret of [key, openai, stripe, sendgrid, anthropic]) expect(out).not.toContain(secret);
});

test('the inventory section: names, fingerprints and probes are checked where they are written', () => {
  const ok = parseInventory(`
providers:
  guided:
    credentials:
      maps: { secrets: [sha256:0123456789abcdef], probe: { url: "https://maps.googleapis.com/maps/api/geocode/json", credentialIn: { query: key } } }
`);
  expect(ok.providers.guided).toMatchObject({ credentials: { maps: { probe: { method: 'GET', valid: [200], refused: [401, 403] } } } });
  expect(() => parseInventory('providers: { guided: { credentials: { maps: { secrets: [AIzaXYZ] } } } }')).toThrow(/providers\.guided\.credentials\.maps\.secrets\[0\]: must be sha256:<16 hex>/s);
  expect(() => parseInventory('providers: { nope: {} }')).toThrow(/providers/);
  const probeProblem = (url: string) => ProbeSchema.safeParse({ url, credentialIn: { query: 'key' } }).error?.issues[0]?.message;
  expect(probeProblem('http://maps.example.com/check')).toMatch(/must be https:\/\//);
  expect(probeProblem('https://user:pw@maps.example.com/check')).toBe('must not hold a user or password');
  expect(probeProblem('http://127.0.0.1:9/check')).toBeUndefined();
});

describe('the probe', () => {
  let server: Server;
  let base = '';
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      if (req.url?.startsWith('/moved')) return void res.writeHead(302, { location: `${base}/elsewhere` }).end();
      res.writeHead(req.headers.authorization === 'Bearer good' ? 200 : 401).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const p = (path: string) => ProbeSchema.parse({ url: `${base}${path}`, credentialIn: { header: 'Authorization', prefix: 'Bearer ' } });

  test('sends the credential where the inventory says and reads the status as it says', async () => {
    expect(await probe(p('/check'), 'good')).toBe('valid');
    expect(await probe(p('/check'), 'bad')).toBe('refused');
    expect(seen.slice(-2)).toEqual(['GET /check Bearer good', 'GET /check Bearer bad']);
  });

  test('never follows a redirect (the credential would go where the configuration did not name), and errors name only the host', async () => {
    const before = seen.length;
    const err = await probe(p('/moved'), 'good').catch((e: Error) => e);
    expect((err as Error).message).toBe(`the probe at ${new URL(base).host} answered 302, which the inventory counts neither as valid (200) nor as refused (401, 403)`);
    expect(seen.slice(before)).toEqual(['GET /moved Bearer good']);
  });
});

test('`leakstop fingerprint FILE` prints what the inventory lists for a guided credential, never the value', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { cli } = await import('../../triggers/cli');
  const key = googleApiKey();
  const file = `${mkdtempSync(`${tmpdir()}/fp-`)}/key.txt`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  const out: string[] = [];
  expect(await cli(['fingerprint', file], (s) => out.push(s))).toBe(0);
  expect(out).toEqual([`${secretId(key)} (google-api-key)`]);
  writeFileSync(file, 'abc');
  expect(await cli(['fingerprint', file], (s) => out.push(s))).toBe(2);
  expect(out.at(-1)).toBe(`leakstop: ${file}: shorter than 8 characters: not a credential`);
});

test('a finding TruffleHog proved live is never ignored for want of a module: the guided runbook takes it; an unverified one still is', async () => {
  const { planFinding } = await import('../../triggers/webhooks/trufflehog');
  const { truffleHogLine } = await import('../webhooks/fixtures');
  const raw = `pcsk_${'Zq8'.repeat(12)}`;
  const live = JSON.parse(truffleHogLine({ raw, detector: 'Pinecone', type: 1003 }));
  const plan = planFinding(live, [0]);
  expect(plan).toMatchObject({ draft: { input: { provider: 'guided', credentialId: `generic-secret:${secretId(raw)}` }, secret: raw, verified: true } });
  expect(planFinding({ ...live, Verified: false }, [0], 'report')).toEqual({ ignore: 'Leakstop has no provider for TruffleHog detector "Pinecone"' });
});
