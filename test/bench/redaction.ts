import { randomBytes, randomInt } from 'node:crypto';
import { MAX_KNOWN_SECRETS, redact, registerSecret } from '../../domain/redact';
import { looksLikeSecret } from '../../domain/secret-patterns';

// `node -r @swc-node/register test/bench/redaction.ts`: redaction throughput, in MiB/s, on ordinary log
// text and on text crafted against each layer (test/attacks/redaction-*.test.ts), first with no
// secret registered and then with the set full. Pure CPU on this thread; no servers.

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_REDACTION_MIB ?? 2) * MiB;
const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);

function logLines(): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < SIZE; i++) {
    const line = `{"level":"info","time":${1700000000000 + i},"incident":"leak-aws-${i.toString(16)}","msg":"contain: set AKIA…${String(i % 10000).padStart(4, '0')} inactive for service-${i % 97} in https://github.com/acme/api/commit/${randomBytes(20).toString('hex')}"}\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join('');
}

const TEXTS: Record<string, () => string> = {
  'log lines': logLines,
  'log lines, one text': logLines,
  'BEGIN markers, no END': () => fill('-----BEGIN PRIVATE KEY-----'),
  'END near-misses': () => fill('-----BEGIN EC PRIVATE KEY-----\nMIIE\n-----END EC PRIVATE KE\n'),
  'one base64 run': () => randomBytes(Math.ceil((SIZE * 3) / 4)).toString('base64').slice(0, SIZE),
  '39-char base64 near-misses': () => fill(` ${randomBytes(30).toString('base64').slice(0, 39)}`),
  'token prefixes': () => fill('ghp_ github_pat_ xoxb--------- xoxe.xoxp- hooks.slack.com/services/T0AAAA/B0 '),
};

function secret(): string {
  for (;;) {
    const s = Array.from({ length: 40 }, () => '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'[randomInt(62)]).join('');
    if (looksLikeSecret(s)) return s;
  }
}

/** MiB/s of the best of a few runs: the first warms the JIT up. Log lines are redacted one call per line, as the logger does. */
function throughput(name: string, text: string): number {
  const calls = name === 'log lines' ? text.split('\n') : [text];
  let best = Infinity;
  for (let run = 0; run < 4; run++) {
    const t0 = process.hrtime.bigint();
    for (const call of calls) redact(call);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return Math.round((text.length / MiB / best) * 10) / 10;
}

function main() {
  const texts = Object.entries(TEXTS).map(([name, make]) => [name, make()] as const);
  const results: Record<string, Record<string, number>> = {};
  for (const [name, text] of texts) results[name] = { 'no secrets': throughput(name, text) };

  const t0 = process.hrtime.bigint();
  for (let i = 0; i < MAX_KNOWN_SECRETS; i++) registerSecret(secret());
  const registerMs = Number(process.hrtime.bigint() - t0) / 1e6;
  for (const [name, text] of texts) results[name]![`${MAX_KNOWN_SECRETS} secrets`] = throughput(name, text);

  console.log(`redaction throughput, MiB/s (${SIZE / MiB} MiB texts, node ${process.version})`);
  console.table(results);
  console.log(`registering ${MAX_KNOWN_SECRETS} secrets (with their encodings): ${Math.round(registerMs)} ms`);
}

main();
