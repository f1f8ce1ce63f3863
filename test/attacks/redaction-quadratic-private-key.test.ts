import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { redact } from '../../domain/redact';

// Someone who can put text in front of redaction (a scanner finding's notes, a deploy hook's error body,
// a pasted Slack message) sends ~2 MiB crafted so that a backtracking pattern re-scans the rest of the
// text from every position: "-----BEGIN PRIVATE KEY-----" again and again with no END (the old lazy
// `[\s\S]*?` pattern took minutes on this), END markers that almost match, token prefixes with nothing
// after them, long base64 runs. Redaction runs on the worker's main thread, beside other incidents, so
// each must be redacted in one pass. The bound is the per-test timeout; no duration is asserted.
// Redaction is synchronous, and a jest timeout can only fire when the test yields: each test yields
// once its work is done, so a slow redaction fails the test instead of passing late.

const MiB = 1024 * 1024;
const TIMEOUT = 15_000;
/** Evidence written after the crafted text: redaction must not swallow it. */
const EVIDENCE = '\n- reported by mallory in commit 4f9c2e0b';

const yieldToTimers = () => new Promise((resolve) => setImmediate(resolve));
const fill = (unit: string) => unit.repeat(Math.ceil((2 * MiB) / unit.length));
const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** The base64 line of a PEM: the part that is the key. */
const body = (key: string) => key.split('\n')[1]!;

test.each([
  ['BEGIN markers with no END after them', fill('-----BEGIN PRIVATE KEY-----')],
  ['BEGIN markers with labels and no END', fill('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n')],
  ['END markers that almost match', fill('-----BEGIN EC PRIVATE KEY-----\nMIIE\n-----END EC PRIVATE KE\n')],
  ['BEGIN markers with endless labels', fill(`-----BEGIN ${'A '.repeat(4000)}`)],
])('a real key before %s is redacted, in one pass', async (_, crafted) => {
  const key = pem();
  const out = redact(`${key}${crafted}${EVIDENCE}`);
  await yieldToTimers();
  expect(out).not.toContain(body(key));
  expect(out).toContain('[redacted private key]');
  expect(out.endsWith(EVIDENCE)).toBe(true);
}, TIMEOUT);

test('a key cut off before its END marker is still redacted, up to where the key text stops', () => {
  const key = pem();
  const cut = key.slice(0, key.indexOf('-----END'));
  const out = redact(`error: ${cut.replace(/\n/g, '\\n')}" at line 3${EVIDENCE}`);
  expect(out).not.toContain(body(key).slice(0, 16));
  expect(out).toContain('" at line 3');
  expect(out.endsWith(EVIDENCE)).toBe(true);
});

test.each([
  ['one long base64 run', randomBytes((3 * MiB) / 2).toString('base64')],
  ['39-character base64 runs: near misses of an AWS secret key', fill(` ${randomBytes(30).toString('base64').slice(0, 39)}`)],
  ['GitHub prefixes with nothing after them', fill('ghp_')],
  ['fine-grained prefixes glued together', fill('github_pat_')],
  ['GitHub prefixes one character short', fill(` ghp_${'a'.repeat(29)}`)],
  ['Slack prefixes with dashes after them', fill('xoxb---------')],
  ['rotated Slack prefixes', fill('xoxe.xoxp-')],
  ['Slack webhook URLs cut short', fill('https://hooks.slack.com/services/T0AAAA/B0')],
  ['AWS key ids one character short', fill('AKIA2345234523452345 AKIA234523452345234 ')],
])('%s (~2 MiB): redacted in one pass, and the text after them survives', async (_, crafted) => {
  const out = redact(`${crafted}${EVIDENCE}`);
  await yieldToTimers();
  expect(out.endsWith(EVIDENCE)).toBe(true);
}, TIMEOUT);
