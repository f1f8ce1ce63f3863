import { randomInt } from 'node:crypto';
import { gitguardianEvent } from './fixtures';
import { gitguardianSignature, newKeyId, nowSeconds, signedGitGuardian, startHarness, type Harness } from './harness';

// POST /webhooks/gitguardian: GitGuardian's custom webhook, signed as its documentation describes.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const incidentId = () => 30_000 + randomInt(1e9);

test("the test helper signs exactly like GitGuardian's documented example", () => {
  // From the custom webhook documentation: timestamp "0", token "foo", payload "bar".
  expect(gitguardianSignature('0', 'foo', 'bar')).toBe('sha256=172fe3d694b734aa53dc892fd3b8d62163fc240064de570ba006900bb54a0fc2');
});

test('an incident the inventory identifies starts its incident, with where GitGuardian found it', async () => {
  const id = incidentId();
  const keyId = newKeyId();
  h.identities.set(id, keyId);
  const body = JSON.stringify(gitguardianEvent({ id, action: 'new_occurrence', occurrence: true }));
  const reply = await h.post('/webhooks/gitguardian', body, signedGitGuardian(body));

  expect(reply).toEqual({ status: 202, body: { incidentId: expect.stringMatching(/^leak-aws-/), joined: false } });
  expect(await h.incidentExists(keyId)).toBe(true);
  expect(h.reports.at(-1)).toEqual({
    provider: 'aws-iam',
    credentialId: keyId,
    requestedBy: 'gitguardian:GitGuardian',
    exposure: {
      source: 'gitguardian',
      public: true,
      url: 'https://github.com/acme/api/commit/4b825dc642cb6eb9a060e54bf8d69288fbee4904#diff-1',
      repository: 'acme/api',
      commit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
      path: 'config/aws.env',
      detectedAt: '2024-05-02T10:15:31.666Z',
      notes: `GitGuardian incident ${id} (AWS Keys): new_occurrence`,
    },
  });
});

test('an incident nobody can identify is accepted as needing identification, logged, and starts nothing', async () => {
  const id = incidentId();
  const body = JSON.stringify(gitguardianEvent({ id }));
  const reports = h.reports.length;
  const reply = await h.post('/webhooks/gitguardian', body, signedGitGuardian(body));

  expect(reply).toEqual({ status: 202, body: { needsIdentification: true, gitguardianIncidentId: id } });
  expect(h.reports.length).toBe(reports);
  expect(h.logs.at(-1)).toBe(`webhook gitguardian: 202 needs identification: GitGuardian incident ${id} (AWS Keys) matches no credential in the inventory; nothing started`);
});

test('a stale or future timestamp is refused even when the signature is right', async () => {
  const id = incidentId();
  const keyId = newKeyId();
  h.identities.set(id, keyId);
  const body = JSON.stringify(gitguardianEvent({ id }));

  for (const at of [nowSeconds() - 310, nowSeconds() + 310]) { // clear of the 300 s window, whatever the clock does meanwhile
    expect(await h.post('/webhooks/gitguardian', body, signedGitGuardian(body, { at }))).toEqual({ status: 401, body: { error: 'stale timestamp' } });
  }
  expect(await h.incidentExists(keyId)).toBe(false);
});

test('a bad signature, or one signed for another timestamp, is refused', async () => {
  const id = incidentId();
  const keyId = newKeyId();
  h.identities.set(id, keyId);
  const body = JSON.stringify(gitguardianEvent({ id }));
  const replayed = { ...signedGitGuardian(body, { at: nowSeconds() - 10 }), timestamp: String(nowSeconds()) };

  expect(await h.post('/webhooks/gitguardian', body, signedGitGuardian(body, { token: 'wrong' }))).toEqual({ status: 401, body: { error: 'bad signature' } });
  expect(await h.post('/webhooks/gitguardian', body, replayed)).toEqual({ status: 401, body: { error: 'bad signature' } });
  expect(await h.post('/webhooks/gitguardian', body, { 'content-type': 'application/json' })).toEqual({ status: 401, body: { error: 'missing Gitguardian-Signature header' } });
  expect(await h.incidentExists(keyId)).toBe(false);
});

test('the deprecated X-GitGuardian-Signature header still authenticates', async () => {
  const id = incidentId();
  h.identities.set(id, newKeyId());
  const body = JSON.stringify(gitguardianEvent({ id }));
  const { 'gitguardian-signature': signature, ...rest } = signedGitGuardian(body);

  expect((await h.post('/webhooks/gitguardian', body, { ...rest, 'x-gitguardian-signature': signature })).status).toBe(202);
});

test('non-leak actions, other detectors and the test message are ignored with the reason', async () => {
  const id = incidentId();
  const keyId = newKeyId();
  h.identities.set(id, keyId);
  const assigned = JSON.stringify(gitguardianEvent({ id, action: 'incident_assigned' }));
  const password = JSON.stringify(gitguardianEvent({ id, detector: 'pinecone_api_key' }));
  const welcome = JSON.stringify({ origin: 'GitGuardian', type: 'Welcome Message Token', gitguardian_link: 'http://dashboard.gitguardian.com/workspace/1/incidents/1', matches: [] });

  expect(await h.post('/webhooks/gitguardian', assigned, signedGitGuardian(assigned))).toEqual({ status: 200, body: { ignored: 'action "incident_assigned" does not expose a secret' } });
  expect(await h.post('/webhooks/gitguardian', password, signedGitGuardian(password))).toEqual({
    status: 200,
    body: { ignored: 'Leakstop has no provider for GitGuardian detector "pinecone_api_key"' },
  });
  expect(await h.post('/webhooks/gitguardian', welcome, signedGitGuardian(welcome))).toEqual({ status: 200, body: { ignored: 'GitGuardian test message' } });
  expect(await h.incidentExists(keyId)).toBe(false);
});

test('missing fields are named', async () => {
  const event = gitguardianEvent({ id: incidentId() });
  delete event.incident.detector;
  delete event.action;
  const body = JSON.stringify(event);
  const reply = await h.post('/webhooks/gitguardian', body, signedGitGuardian(body));

  expect(reply.status).toBe(400);
  expect(reply.body.fields).toEqual(['action', 'incident.detector']);
});
