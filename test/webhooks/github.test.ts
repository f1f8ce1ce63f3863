import { catalog } from '../../providers';
import { githubAlert, githubAlertEvent, githubLocationEvent, githubPing, nextAlertNumber } from './fixtures';
import { newKeyId, SECRETS, signedGitHub, startHarness, type Harness } from './harness';

// POST /webhooks/github: GitHub's own example payloads, signed with @octokit/webhooks.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** An alert whose secret (served by the GitHub stub) is a fresh AWS key id. */
function awsAlert(o: { action?: string } = {}) {
  const number = nextAlertNumber();
  const keyId = newKeyId();
  h.alerts.set(number, githubAlert(number, keyId));
  return { number, keyId, body: JSON.stringify(githubAlertEvent({ number, action: o.action })) };
}

test('a created alert for an AWS key starts its incident, with the exposure read from the alert', async () => {
  const { number, keyId, body } = awsAlert();
  const reply = await h.post('/webhooks/github', body, signedGitHub('secret_scanning_alert', body));

  expect(reply).toEqual({ status: 202, body: { incidentId: expect.stringMatching(/^leak-aws-[0-9a-f]{16}$/), joined: false } });
  expect(await h.incidentExists(keyId)).toBe(true);
  expect(h.reports.at(-1)).toEqual({
    provider: 'aws-iam',
    credentialId: keyId,
    requestedBy: 'github:Codertocat',
    exposure: {
      source: 'github-secret-scanning',
      public: false, // the example repository is private
      repository: 'Codertocat/Hello-World',
      url: `https://github.com/Codertocat/Hello-World/security/secret-scanning/${number}`,
      commit: 'f14d7debf9775f957cf4f1e8176da0786431f72b',
      path: 'deploy/prod.env',
      line: 12,
      notes: `GitHub secret scanning alert #${number} (aws_access_key_id): created`,
      alert: { repository: 'Codertocat/Hello-World', number }, // closed as revoked at the end
    },
  });
  expect(h.kept).toEqual([]);
  expect(h.logs.join('\n')).not.toContain(keyId);
});

test('publicly_leaked marks the exposure public; a second report of the key joins the incident', async () => {
  const { number, keyId, body } = awsAlert();
  const first = await h.post('/webhooks/github', body, signedGitHub('secret_scanning_alert', body));
  const leaked = JSON.stringify(githubAlertEvent({ number, action: 'publicly_leaked' }));
  const second = await h.post('/webhooks/github', leaked, signedGitHub('secret_scanning_alert', leaked));

  expect(second).toEqual({ status: 202, body: { incidentId: first.body.incidentId, joined: true } });
  expect(h.reports.at(-1)?.exposure.public).toBe(true);
  expect(await h.incidentExists(keyId)).toBe(true);
});

test('a delivery signed with the previous secret is accepted while the secret rotates', async () => {
  const { keyId, body } = awsAlert({ action: 'reopened' });
  const reply = await h.post('/webhooks/github', body, signedGitHub('secret_scanning_alert', body, SECRETS.githubPrevious));

  expect(reply.status).toBe(202);
  expect(await h.incidentExists(keyId)).toBe(true);
});

test('a bad or missing signature is refused with 401 before GitHub is asked for anything', async () => {
  const { number, keyId, body } = awsAlert();
  const forged = await h.post('/webhooks/github', body, signedGitHub('secret_scanning_alert', body, 'not-our-secret'));
  const { 'x-hub-signature-256': _, ...unsigned } = signedGitHub('secret_scanning_alert', body);
  const missing = await h.post('/webhooks/github', body, unsigned);

  expect(forged).toEqual({ status: 401, body: { error: 'bad signature' } });
  expect(missing).toEqual({ status: 401, body: { error: 'missing X-Hub-Signature-256 header' } });
  expect(h.alertReads).not.toContain(number);
  expect(await h.incidentExists(keyId)).toBe(false);
});

test('a location event reports the place it names', async () => {
  const number = nextAlertNumber();
  const keyId = newKeyId();
  h.alerts.set(number, githubAlert(number, keyId));
  const body = JSON.stringify(githubLocationEvent({ number, path: 'src/settings.py', line: 40 }));
  const reply = await h.post('/webhooks/github', body, signedGitHub('secret_scanning_alert_location', body));

  expect(reply.status).toBe(202);
  expect(h.reports.at(-1)).toMatchObject({
    credentialId: keyId,
    requestedBy: 'github:secret-scanning', // the example has no sender
    exposure: { path: 'src/settings.py', line: 40, commit: 'f14d7debf9775f957cf4f1e8176da0786431f72b' },
  });
});

test('ping is answered; other events and non-leak actions are ignored with the reason', async () => {
  const ping = JSON.stringify(githubPing());
  const push = JSON.stringify({ ref: 'refs/heads/main' });
  const { number, keyId } = awsAlert();
  const resolved = JSON.stringify(githubAlertEvent({ number, action: 'resolved' }));

  expect(await h.post('/webhooks/github', ping, signedGitHub('ping', ping))).toEqual({ status: 200, body: { ok: true } });
  expect(await h.post('/webhooks/github', push, signedGitHub('push', push))).toEqual({ status: 200, body: { ignored: 'event "push" is not a secret scanning alert' } });
  expect(await h.post('/webhooks/github', resolved, signedGitHub('secret_scanning_alert', resolved))).toEqual({
    status: 200,
    body: { ignored: 'secret_scanning_alert action "resolved" does not expose a secret' },
  });
  expect(h.alertReads).not.toContain(number);
  expect(await h.incidentExists(keyId)).toBe(false);
});

test('a secret type without a provider is ignored, saying which, before its secret is fetched', async () => {
  const number = nextAlertNumber();
  const body = JSON.stringify(githubAlertEvent({ number, secretType: 'github_ssh_private_key' }));
  const reply = await h.post('/webhooks/github', body, signedGitHub('secret_scanning_alert', body));

  expect(reply).toEqual({ status: 200, body: { ignored: 'an SSH private key is not a token: Leakstop has no provider that rotates SSH keys' } });
  expect(h.alertReads).not.toContain(number);
});

test('a GitHub token goes to the github-token provider when Leakstop has one, and is ignored by name otherwise', async () => {
  const number = nextAlertNumber();
  const token = `ghp_${'A1b2C3d4E5'.repeat(3)}abcdef`;
  h.alerts.set(number, githubAlert(number, token, { secretType: 'github_personal_access_token' }));
  const body = JSON.stringify(githubAlertEvent({ number, secretType: 'github_personal_access_token' }));
  const reply = await h.post('/webhooks/github', body, signedGitHub('secret_scanning_alert', body));

  if (catalog.has('github-token')) {
    expect(reply.status).toBe(202);
    expect(h.kept).toContainEqual({ provider: 'github-token', secret: token });
    expect(h.reports.at(-1)).toMatchObject({ provider: 'github-token', credentialId: expect.stringMatching(/^sha256:[0-9a-f]{16}$/) });
    // The vault handle is derived from the credential by the worker, never carried in the report.
    expect(h.reports.at(-1)).not.toHaveProperty('secretHandle');
  } else {
    expect(reply).toEqual({ status: 200, body: { ignored: 'Leakstop has no github-token provider yet (secret type github_personal_access_token)' } });
    expect(h.alertReads).not.toContain(number);
    expect(h.kept).toEqual([]);
  }
  expect(JSON.stringify(reply.body) + h.logs.join('\n')).not.toContain(token);
});

test('the secret half of an AWS pair is accepted as needing identification, and starts nothing', async () => {
  const number = nextAlertNumber();
  const secretKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  h.alerts.set(number, githubAlert(number, secretKey, { secretType: 'aws_secret_access_key' }));
  const body = JSON.stringify(githubAlertEvent({ number, secretType: 'aws_secret_access_key' }));
  const reports = h.reports.length;
  const reply = await h.post('/webhooks/github', body, signedGitHub('secret_scanning_alert', body));

  expect(reply).toEqual({ status: 202, body: { needsIdentification: true, githubAlert: { repository: 'Codertocat/Hello-World', number } } });
  expect(h.reports.length).toBe(reports);
  expect(h.logs.at(-1)).toMatch(/^webhook github: 202 needs identification: GitHub alert Codertocat\/Hello-World#\d+ \(aws_secret_access_key\)/);
  expect(JSON.stringify(reply.body) + h.logs.join('\n')).not.toContain(secretKey);
});

test('an alert already resolved on GitHub is ignored', async () => {
  const { number, keyId, body } = awsAlert();
  h.alerts.set(number, githubAlert(number, keyId, { state: 'resolved' }));
  const reply = await h.post('/webhooks/github', body, signedGitHub('secret_scanning_alert', body));

  expect(reply).toEqual({ status: 200, body: { ignored: `alert Codertocat/Hello-World#${number} is already resolved` } });
  expect(await h.incidentExists(keyId)).toBe(false);
});

test('missing fields are named; a missing event header too', async () => {
  const { keyId } = awsAlert();
  const event = githubAlertEvent({ number: 1 });
  delete event.alert.number;
  delete event.repository.owner;
  const body = JSON.stringify(event);
  const reply = await h.post('/webhooks/github', body, signedGitHub('secret_scanning_alert', body));
  const { 'x-github-event': _, ...noEvent } = signedGitHub('secret_scanning_alert', body);

  expect(reply.status).toBe(400);
  expect(reply.body.fields).toEqual(['alert.number', 'repository.owner']);
  expect(reply.body.error).toMatch(/^alert\.number: /m);
  expect(await h.post('/webhooks/github', body, noEvent)).toEqual({ status: 400, body: { error: 'missing X-GitHub-Event header', fields: ['X-GitHub-Event'] } });
  expect(await h.incidentExists(keyId)).toBe(false);
});

test('GitHub API failure is a 502 the sender can redeliver, and starts nothing', async () => {
  const number = nextAlertNumber();
  const body = JSON.stringify(githubAlertEvent({ number }));
  const reply = await h.post('/webhooks/github', body, signedGitHub('secret_scanning_alert', body));

  expect(reply).toEqual({ status: 502, body: { error: 'could not reach the GitHub API; deliver again later' } });
  expect(h.logs.at(-1)).toContain(`no alert #${number} in the stub`);
});
