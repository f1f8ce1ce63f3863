import { randomUUID } from 'node:crypto';
import { secretId } from '../../domain/fingerprint';
import { ConfigError } from '../../domain/inventory';
import { redact } from '../../domain/redact';
import { catalog, parseInventory } from '../../providers';
import { npmConfig } from '../../providers/npm/config';
import { npmTokenKind } from '../../providers/npm/kind';
import { detectNpmToken, listedEntryOf, npmTokenWithChecksum } from '../../providers/npm/token-format';
import { planFinding } from '../../triggers/webhooks/trufflehog';
import { truffleHogLine } from '../webhooks/fixtures';

// The npm token kind without a registry: formats, what scanners' findings name, redaction, the
// configuration section. The registry's side is in provider.test.ts.

const ENTROPY = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123';
const NPM = npmTokenWithChecksum(ENTROPY);
// The shape of a Verdaccio JWT API token (header.payload.signature); the payload names the token's key.
const payload = Buffer.from(JSON.stringify({ name: 'ci-bot', token: { key: '0749fc4573296a3587cb02c19895281e' } })).toString('base64url');
const JWT = `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${payload}.ipdDotKk-jWQik628uA9C8WdnT95dn9iuUjEynv_WGs`;

test('npm_ tokens, legacy UUID tokens, registry JWTs and Verdaccio AES tokens are recognised whole; the npm_ checksum is GitHub-style CRC32 in base62', () => {
  expect(NPM).toMatch(/^npm_[A-Za-z0-9]{36}$/);
  expect(detectNpmToken(NPM)).toEqual({ format: 'npm', checksum: 'holds' });
  expect(detectNpmToken(`npm_${ENTROPY}000000`)).toEqual({ format: 'npm', checksum: 'differs' });
  expect(detectNpmToken(randomUUID())).toEqual({ format: 'legacy-uuid' });
  expect(detectNpmToken(JWT)).toEqual({ format: 'jwt' });
  const aes = Buffer.from(`${'ab'.repeat(16)}:${'0f'.repeat(24)}`).toString('base64');
  expect(detectNpmToken(aes)).toEqual({ format: 'verdaccio-aes' });
  for (const noise of ['npm_short', `${NPM}x`, `x${NPM}`, 'eyJhbGciOi.eyJ.sig', 'hello world', Buffer.from('not a token at all, just words').toString('base64')]) {
    expect(detectNpmToken(noise)).toBeUndefined();
  }
});

test('a token is named by its hash from every trigger, and an id that is a token is refused without repeating it', () => {
  expect(npmTokenKind.recognise({ scanner: 'trufflehog', type: 'NpmToken', raw: NPM })).toEqual({ credentialId: secretId(NPM), secret: NPM });
  expect(npmTokenKind.recognise({ scanner: 'github-secret-scanning', type: 'npm_access_token', raw: JWT })).toEqual({ credentialId: secretId(JWT), secret: JWT });
  expect(npmTokenKind.recognise({ scanner: 'pasted', raw: 'not a token' })).toHaveProperty('invalid');
  expect(npmTokenKind.recognise({ scanner: 'trufflehog', type: 'NpmToken', raw: 'a-word' })).toHaveProperty('ignore');
  expect(npmTokenKind.recognise({ scanner: 'trufflehog', type: 'NpmToken' })).toHaveProperty('unidentified');
  expect(npmTokenKind.checkId(secretId(NPM))).toBeUndefined();
  const problem = npmTokenKind.checkId(NPM)!;
  expect(problem).toContain('not the token itself');
  expect(problem).not.toContain(NPM);
  expect(npmTokenKind.display(secretId(NPM))).toMatch(/^npm sha256:[0-9a-f]{8}…$/);
});

test("TruffleHog's NpmToken detector, by name or by number (49), is the npm module's; an unverified finding is ignored, a verified one names the token", () => {
  expect(catalog.forScanner('trufflehog', 'NpmToken')?.kind).toBe('npm-token');
  expect(catalog.forScanner('trufflehog', 49)?.kind).toBe('npm-token');
  expect(catalog.forScanner('github-secret-scanning', 'npm_access_token')?.kind).toBe('npm-token');
  const verified = planFinding(JSON.parse(truffleHogLine({ raw: NPM, detector: 'NpmToken', type: 49 })), ['body']);
  expect(verified).toMatchObject({ draft: { input: { provider: 'npm-token', credentialId: secretId(NPM) }, secret: NPM, verified: true } });
  const unverified = planFinding({ ...JSON.parse(truffleHogLine({ raw: NPM, detector: 'NpmToken', type: 49 })), Verified: false }, ['body']);
  expect(unverified).toHaveProperty('ignore');
});

test('redaction masks npm_ tokens, registry JWTs and .npmrc _authToken lines it has never seen, but not an ${ENV} reference', () => {
  const text = `token ${NPM} and ${JWT}\n//registry.example.com/:_authToken=0123abcd-ffff-4444-aaaa-0123456789ab\n//r/:_authToken=\${NPM_TOKEN}`;
  const out = redact(text);
  expect(out).not.toContain(NPM.slice(4));
  expect(out).not.toContain(JWT.split('.')[2]);
  expect(out).not.toContain('0123abcd-ffff-4444-aaaa-0123456789ab');
  expect(out).toContain('npm_');
  expect(out).toContain('_authToken=${NPM_TOKEN}');
});

test('the token list entry of a token: by the key its JWT carries, else by a mask only it fits', () => {
  const entries = [
    { key: 'aaaa', mask: 'eyJhb...zzzzz', readonly: false, cidr: [] },
    { key: '0749fc4573296a3587cb02c19895281e', mask: 'eyJhb...yyyyy', readonly: true, cidr: [] },
  ];
  expect(listedEntryOf(JWT, entries)?.key).toBe('0749fc4573296a3587cb02c19895281e');
  const legacy = randomUUID();
  expect(listedEntryOf(legacy, [{ key: 'k1', mask: `${legacy.slice(0, 5)}...${legacy.slice(-5)}`, readonly: false, cidr: [] }])?.key).toBe('k1');
  // Two entries fit the same mask: none is chosen (revoking the wrong token would be worse).
  const two = [
    { key: 'k1', mask: `${legacy.slice(0, 5)}...${legacy.slice(-5)}`, readonly: false, cidr: [] },
    { key: 'k2', mask: `${legacy.slice(0, 5)}...${legacy.slice(-5)}`, readonly: false, cidr: [] },
  ];
  expect(listedEntryOf(legacy, two)).toBeUndefined();
});

test('the inventory section providers.npm is validated by the module, naming the field; a password is never inline', () => {
  const inv = parseInventory(`providers:\n  npm:\n    registry: http://127.0.0.1:4873\n    accounts:\n      ci-bot: { passwordEnv: NPM_CI_BOT_PASSWORD }\n`);
  expect(npmConfig(inv.providers.npm)).toEqual({ registry: 'http://127.0.0.1:4873/', accounts: { 'ci-bot': { passwordEnv: 'NPM_CI_BOT_PASSWORD' } }, timeoutMs: 3000 });
  expect(npmConfig(undefined).registry).toBe('https://registry.npmjs.org/');
  expect(() => parseInventory(`providers:\n  npm:\n    accounts:\n      ci-bot: { password: hunter2hunter2 }\n`)).toThrow(/providers\.npm\.accounts\.ci-bot/);
  expect(() => npmConfig({ registry: 'ftp://x', accounts: { 'ci-bot': {} } })).toThrow(ConfigError);
  let message = '';
  try {
    npmConfig({ registry: 'ftp://x', accounts: { 'ci-bot': {} } });
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toContain('providers.npm.registry');
  expect(message).toContain('providers.npm.accounts.ci-bot');
});
