import { awsHealthEvent, githubAlert, githubAlertEvent, leakInput, nextAlertNumber, truffleHogLine } from './fixtures';
import { awsHealthHeaders, newKeyId, signedGeneric, signedGitGuardian, signedGitHub, startHarness, type Harness } from './harness';

// What every endpoint shares: size and type limits, JSON, signatures, methods; and one leak reported
// by several sources landing in one incident.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const endpoints: { route: string; sign: (body: string) => Record<string, string> }[] = [
  { route: '/webhooks/github', sign: (body) => signedGitHub('secret_scanning_alert', body) },
  { route: '/webhooks/gitguardian', sign: (body) => signedGitGuardian(body) },
  { route: '/webhooks/generic', sign: (body) => signedGeneric(body) },
  { route: '/webhooks/aws-health', sign: () => awsHealthHeaders() },
];

describe.each(endpoints)('$route', ({ route, sign }) => {
  const oversized = JSON.stringify({ padding: 'x'.repeat(300 * 1024) });

  test('an oversized body is refused with 413', async () => {
    expect(await h.post(route, oversized, sign(oversized))).toEqual({ status: 413, body: { error: 'body larger than 262144 bytes' } });
  });

  test('an oversized body sent without a length still gets its 413, not a reset connection', async () => {
    const chunks = new TextEncoder().encode(oversized);
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < chunks.length; i += 16 * 1024) controller.enqueue(chunks.slice(i, i + 16 * 1024));
        controller.close();
      },
    });
    const reply = await h.post(route, stream as unknown as string, sign(oversized), { duplex: 'half' } as RequestInit);
    expect(reply.status).toBe(413);
  });

  test('a body that is not JSON by its content type is refused with 415', async () => {
    const body = '{}';
    expect(await h.post(route, body, { ...sign(body), 'content-type': 'application/x-www-form-urlencoded' })).toEqual({
      status: 415,
      body: { error: expect.stringMatching(/^content type must be application\/json/) },
    });
  });

  test('malformed JSON, correctly signed, is a 400 that does not quote the body', async () => {
    const keyId = newKeyId();
    const body = `{"credentialId": "${keyId}", "secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"`;
    expect(await h.post(route, body, sign(body))).toEqual({ status: 400, body: { error: 'body is not valid JSON', fields: ['body'] } });
    expect(await h.incidentExists(keyId)).toBe(false);
  });

  test('a delivery whose signature does not match is refused with 401', async () => {
    const keyId = newKeyId();
    const body = JSON.stringify(route === '/webhooks/aws-health' ? awsHealthEvent('AWS_RISK_CREDENTIALS_EXPOSED', [keyId]) : leakInput(keyId));
    const headers = route === '/webhooks/aws-health' ? awsHealthHeaders('stolen-from-elsewhere') : sign(`${body}\n`);
    const reply = await h.post(route, body, headers);
    expect(reply.status).toBe(401);
    expect(await h.incidentExists(keyId)).toBe(false);
  });

  test('only POST is allowed', async () => {
    const res = await fetch(h.url(route));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

test('other paths are left to the next route', async () => {
  expect((await fetch(h.url('/webhooks/gitlab'), { method: 'POST', body: '{}' })).status).toBe(404);
  expect((await fetch(h.url('/healthz'))).status).toBe(404);
});

test('query strings do not change the route', async () => {
  const body = '{}';
  expect((await h.post('/webhooks/generic?from=ci', body, signedGeneric(body))).status).toBe(400);
});

test('the same leak reported by GitHub, then TruffleHog, then AWS Health is one incident', async () => {
  const keyId = newKeyId();
  const number = nextAlertNumber();
  h.alerts.set(number, githubAlert(number, keyId));
  const alert = JSON.stringify(githubAlertEvent({ number }));
  const finding = truffleHogLine({ raw: keyId });
  const health = JSON.stringify(awsHealthEvent('AWS_RISK_CREDENTIALS_EXPOSED', [keyId]));

  const fromGitHub = await h.post('/webhooks/github', alert, signedGitHub('secret_scanning_alert', alert));
  const fromTruffleHog = await h.post('/webhooks/generic', finding, signedGeneric(finding, { contentType: 'application/x-ndjson' }));
  const fromAws = await h.post('/webhooks/aws-health', health, awsHealthHeaders());

  expect(fromGitHub).toEqual({ status: 202, body: { incidentId: expect.stringMatching(/^leak-aws-/), joined: false } });
  expect(fromTruffleHog.body.incidents).toEqual([{ index: 0, incidentId: fromGitHub.body.incidentId, joined: true }]);
  expect(fromAws.body.incidents).toEqual([{ incidentId: fromGitHub.body.incidentId, joined: true }]);
});

test('every decision is logged, without secrets', async () => {
  const keyId = newKeyId();
  const body = JSON.stringify(leakInput(keyId));
  await h.post('/webhooks/generic', body, signedGeneric(body, { secret: 'wrong' }));
  await h.post('/webhooks/generic', body, signedGeneric(body));

  expect(h.logs.slice(-2)).toEqual(['webhook generic: 401 bad signature', expect.stringMatching(/^webhook generic: 202 leak-aws-[0-9a-f]{16} started$/)]);
});
