import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { awsHealthEvent, githubAlert, githubAlertEvent, gitguardianEvent, leakInput, truffleHogLine } from './fixtures';
import { awsHealthHeaders, newKeyId, SECRETS, signedGeneric, signedGitGuardian, startHarness, type Harness, type Reply } from './harness';

// Whatever arrives, no endpoint answers 5xx; nothing unauthenticated reaches Temporal; and the
// workflows on the task queue are exactly the incidents that 202 replies named.

const ROUTES = ['/webhooks/github', '/webhooks/gitguardian', '/webhooks/generic', '/webhooks/aws-health'] as const;
type Route = (typeof ROUTES)[number];

const token = fc.stringMatching(/^[\x21-\x7e]{0,80}$/);
const contentType = fc.oneof(
  fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/x-ndjson', 'text/plain', 'multipart/form-data'),
  token,
);
const headers = fc.dictionary(
  fc.constantFrom('x-hub-signature-256', 'x-github-event', 'gitguardian-signature', 'x-gitguardian-signature', 'timestamp', 'x-leakstop-timestamp', 'x-leakstop-signature', 'x-leakstop-token'),
  fc.oneof(token, fc.constantFrom('sha256=', `sha256=${'0'.repeat(64)}`, 'secret_scanning_alert', 'ping'), fc.nat().map((n) => String(Math.floor(Date.now() / 1000) - (n % 1000)))),
);
/** Names every object answers to: a lookup table indexed by a sender's string must not find them. */
const prototypeNames = fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf');
const body = fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.from(b)));

/** Sets or deletes values at random places of a valid payload, so deliveries get past authentication and JSON. */
function mutated(valid: Record<string, unknown>): fc.Arbitrary<string> {
  const places = pathsIn(valid);
  const edit = fc.record({ at: fc.constantFrom(...places), value: fc.option(fc.oneof(fc.jsonValue(), prototypeNames), { nil: undefined }) });
  return fc.array(edit, { maxLength: 3 }).map((edits) => {
    const copy = structuredClone(valid);
    for (const { at, value } of edits) setAt(copy, at, value);
    return JSON.stringify(copy);
  });
}

function pathsIn(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null || prefix.length > 4) return [prefix];
  return [prefix, ...Object.keys(value).flatMap((k) => pathsIn((value as Record<string, unknown>)[k], [...prefix, k]))];
}

function setAt(target: Record<string, unknown>, at: string[], value: unknown): void {
  if (!at.length) return;
  let node: any = target;
  for (const key of at.slice(0, -1)) node = typeof node?.[key] === 'object' && node[key] !== null ? node[key] : undefined;
  if (node === undefined) return;
  if (value === undefined) delete node[at[at.length - 1]];
  else node[at[at.length - 1]] = value;
}

async function workflowsOn(h: Harness): Promise<number> {
  return (await h.client.workflow.count(`TaskQueue = '${h.taskQueue}'`)).count;
}

async function eventuallyEqual(read: () => Promise<number>, expected: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last = await read();
  while (last !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    last = await read();
  }
  expect(last).toBe(expected);
}

test('unauthenticated deliveries of any shape are refused without a 5xx and start nothing', async () => {
  const h = await startHarness();
  try {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), contentType, headers, body, async (route, type, extra, payload) => {
        const reply = await h.post(route, payload, { ...extra, 'content-type': type });
        expect([401, 413, 415]).toContain(reply.status);
        expect(h.reports).toEqual([]);
        expect(h.alertReads).toEqual([]);
        expect(h.kept).toEqual([]);
      }),
      { numRuns: 200 },
    );
    expect(await workflowsOn(h)).toBe(0);
  } finally {
    await h.close();
  }
});

test('authenticated deliveries of any shape never get a 5xx, and only 202s start workflows', async () => {
  const unknown = githubAlert(0, 'not-an-aws-key', { secretType: 'adafruit_io_key' });
  const h = await startHarness({ unknownAlert: unknown });
  const [githubKey, gitguardianKey] = [newKeyId(), newKeyId()];
  h.alerts.set(191, githubAlert(191, githubKey));
  h.identities.set(31605, gitguardianKey);

  // GitHub's scheme computed here directly: the octokit child process is too slow for hundreds of runs.
  const hub = (payload: string) => `sha256=${createHmac('sha256', SECRETS.github).update(payload).digest('hex')}`;
  const sign: Record<Route, (payload: string, event: string) => Record<string, string>> = {
    '/webhooks/github': (payload, event) => ({ 'content-type': 'application/json', 'x-github-event': event, 'x-hub-signature-256': hub(payload) }),
    '/webhooks/gitguardian': (payload) => signedGitGuardian(payload),
    '/webhooks/generic': (payload) => signedGeneric(payload),
    '/webhooks/aws-health': () => awsHealthHeaders(),
  };
  const delivery = fc.oneof(
    fc.tuple(fc.constant<Route>('/webhooks/github'), fc.oneof(mutated(githubAlertEvent({ number: 191 })), fc.json())),
    fc.tuple(fc.constant<Route>('/webhooks/gitguardian'), fc.oneof(mutated(gitguardianEvent({ id: 31605, occurrence: true })), fc.json())),
    fc.tuple(fc.constant<Route>('/webhooks/generic'), fc.oneof(mutated(leakInput(newKeyId())), mutated(JSON.parse(truffleHogLine({ raw: newKeyId() }))), fc.json())),
    fc.tuple(fc.constant<Route>('/webhooks/aws-health'), fc.oneof(mutated(awsHealthEvent('AWS_RISK_CREDENTIALS_EXPOSED', [newKeyId()])), fc.json())),
  );

  const named = new Set<string>();
  try {
    await fc.assert(
      fc.asyncProperty(delivery, fc.oneof(fc.constant('secret_scanning_alert'), fc.constant('secret_scanning_alert_location'), prototypeNames), async ([route, payload], event) => {
        const before = h.reports.length;
        const reply: Reply = await h.post(route, payload, sign[route](payload, event));
        expect(reply.status).toBeLessThan(500);
        if (reply.status !== 202) expect(h.reports.length).toBe(before);
        const incidents: { incidentId: string }[] = reply.body.incidents ?? (reply.body.incidentId ? [reply.body] : []);
        for (const { incidentId } of incidents) named.add(incidentId);
      }),
      { numRuns: 150 },
    );
    await eventuallyEqual(() => workflowsOn(h), named.size);
  } finally {
    await h.close();
  }
});
