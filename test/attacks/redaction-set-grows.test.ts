import { redact, registerSecret } from '../../domain/redact';
import { looksLikeSecret } from '../../domain/secret-patterns';
import { randomBase62 } from '../github/tokens';

// Someone who can report leaks (a signed scanner, anyone allowed to use /leakstop) reports tens of
// thousands of distinct random "tokens". Each one entered the vault and stayed in the worker's
// redaction set for the life of the process, and every redact call (every log line) searched the text
// once per registered form. The set is bounded, forgetting the least recently registered first (a
// vault read registers again, so a secret still in use stays), and a call searches the text once,
// however many secrets are known. The bound on cost is the per-test timeout; no duration is asserted
// (redaction is synchronous, so the test yields after each call to let a due timeout fail it).

const TIMEOUT = 15_000;
const yieldToTimers = () => new Promise((resolve) => setImmediate(resolve));
/** Random like an API key, in no provider's format: only registration hides it. */
function secret(): string {
  for (;;) {
    const s = randomBase62(32);
    if (looksLikeSecret(s)) return s; // about 1 in 1000 random strings looks too regular to count
  }
}
const flood = (n: number) => Array.from({ length: n }, secret).map((s) => (registerSecret(s), s));

test('after a flood of reported secrets the oldest are forgotten, and those still in use are kept', () => {
  const [oldest, inUse] = flood(2);
  flood(6_000);
  registerSecret(inUse); // read back from the vault by a later step
  const [, ...recent] = flood(6_000);
  expect(redact(`a ${oldest} b`)).toBe(`a ${oldest} b`);
  expect(redact(`a ${inUse} b`)).toBe('a [redacted] b');
  expect(recent.map((s) => redact(s)).filter((r) => r !== '[redacted]')).toEqual([]);
});

test('with the set full, a 2 MiB text is redacted in one pass, in every encoding', async () => {
  const known = flood(12_000).slice(-50);
  const line = (i: number) => `{"level":"info","incident":"leak-aws-${i}","msg":"step contain done for service-${i % 97}"}\n`;
  let text = '';
  for (let i = 0; text.length < 2 * 1024 * 1024; i++) text += line(i);
  const planted = known.map((s, i) => (i % 2 ? s : Buffer.from(s).toString('base64')));
  const withSecrets = `${planted.join(' ')}\n${text}${planted.join(' ')}`;
  for (let round = 0; round < 3; round++) {
    const out = redact(withSecrets);
    await yieldToTimers();
    expect(known.filter((s) => out.includes(s) || out.includes(Buffer.from(s).toString('base64')))).toEqual([]);
    expect(out).toContain(text);
  }
}, TIMEOUT);
