import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DeliveryLog } from '../../triggers/webhooks/delivery-log';
import { scratchDir } from '../support/env';

// The attacker replays a delivery after the ingress restarted, crashed mid-write, or handled many
// deliveries since: the delivery log (triggers/webhooks/delivery-log.ts) must still know it.

const HOUR = 60 * 60 * 1000;
const key = (i: number) => `github:${i.toString(16).padStart(32, '0')}`;

function logIn(dir: string, o: { now?: () => number; maxEntries?: number; warn?: (m: string) => void } = {}) {
  return new DeliveryLog({ file: path.join(dir, 'deliveries.log'), ...o });
}

test('a delivery handled before a restart is a duplicate after it, and names its first delivery', () => {
  const dir = scratchDir('delivery-log');
  expect(logIn(dir).claim(key(1), HOUR, '72d0f5e0-aaaa-bbbb-cccc-0123456789ab').duplicate).toBe(false);

  expect(logIn(dir).claim(key(1), HOUR)).toEqual({ duplicate: true, firstSeenAs: '72d0f5e0-aaaa-bbbb-cccc-0123456789ab' });
});

test('a line torn by a crash mid-write is skipped; the lines before it still count', () => {
  const dir = scratchDir('delivery-log');
  logIn(dir).claim(key(1), HOUR);
  appendFileSync(path.join(dir, 'deliveries.log'), `+ 17${'\n'}garbage without shape\n+ 99`);

  const reopened = logIn(dir);
  expect(reopened.claim(key(1), HOUR).duplicate).toBe(true);
  expect(reopened.claim(key(2), HOUR).duplicate).toBe(false);
});

test('a delivery whose handling failed is forgotten, also across a restart, so its sender can deliver it again', () => {
  const dir = scratchDir('delivery-log');
  const claim = logIn(dir).claim(key(1), HOUR);
  if (claim.duplicate) throw new Error('a first delivery is not a duplicate');
  claim.release();

  expect(logIn(dir).claim(key(1), HOUR).duplicate).toBe(false);
});

test('a delivery is remembered for its window, not forever', () => {
  let now = 1_700_000_000_000;
  const dir = scratchDir('delivery-log');
  logIn(dir, { now: () => now }).claim(key(1), HOUR);

  now += HOUR - 1;
  expect(logIn(dir, { now: () => now }).claim(key(1), HOUR).duplicate).toBe(true);
  now += HOUR + 1;
  expect(logIn(dir, { now: () => now }).claim(key(1), HOUR).duplicate).toBe(false);
});

test('the file is compacted as it grows, and what is live survives the compaction', () => {
  let now = 1_700_000_000_000;
  const dir = scratchDir('delivery-log');
  const log = logIn(dir, { now: () => now });
  // 3,000 short-lived deliveries, then 10 long-lived ones, then more short ones once the first expired.
  for (let i = 0; i < 3_000; i++) log.claim(key(i), 1_000);
  for (let i = 0; i < 10; i++) log.claim(key(100_000 + i), HOUR);
  now += 2_000;
  for (let i = 0; i < 3_000; i++) log.claim(key(200_000 + i), 1_000);

  const lines = readFileSync(path.join(dir, 'deliveries.log'), 'utf8').split('\n').filter(Boolean).length;
  expect(lines).toBeLessThan(6_010); // without compaction: one line per claim
  const reopened = logIn(dir, { now: () => now });
  for (let i = 0; i < 10; i++) expect(reopened.claim(key(100_000 + i), HOUR).duplicate).toBe(true);
});

test('the log is bounded: past its size the oldest deliveries are forgotten first', () => {
  const dir = scratchDir('delivery-log');
  const log = logIn(dir, { maxEntries: 100 });
  for (let i = 0; i < 5_000; i++) log.claim(key(i), HOUR);

  expect(log.size).toBeLessThanOrEqual(100);
  expect(log.claim(key(4_999), HOUR).duplicate).toBe(true);
  expect(log.claim(key(0), HOUR).duplicate).toBe(false);
  // Compacted to the live entries whenever it reaches 1,000 lines.
  expect(readFileSync(path.join(dir, 'deliveries.log'), 'utf8').split('\n').filter(Boolean).length).toBeLessThan(1_000);
});

test('a log that cannot be read at start stops the start, naming the file', () => {
  const dir = scratchDir('delivery-log');
  mkdirSync(path.join(dir, 'deliveries.log'));
  expect(() => logIn(dir)).toThrow(/^cannot read the webhook delivery log .*deliveries\.log: EISDIR$/);
});

test('a log that cannot be written says so once and keeps refusing replays in memory', () => {
  const dir = scratchDir('delivery-log');
  const said: string[] = [];
  const log = logIn(dir, { warn: (m) => said.push(m) });
  mkdirSync(path.join(dir, 'deliveries.log')); // a directory where the file should be: every append fails
  log.claim(key(1), HOUR);
  log.claim(key(2), HOUR);

  expect(said).toEqual([expect.stringMatching(/^cannot write the webhook delivery log .*; remembering deliveries in memory only$/)]);
  expect(log.claim(key(1), HOUR).duplicate).toBe(true);
});
