import { githubAlert, githubAlertEvent, nextAlertNumber } from '../webhooks/fixtures';
import { newKeyId, signedGitHub, startHarness, type Harness } from '../webhooks/harness';

// The attacker once saw a signed GitHub delivery (a proxy's log, a misrouted webhook, a shared
// "Recent Deliveries" screenshot) and sends it again. GitHub signs only the body and dates nothing;
// X-GitHub-Delivery is not signed, so the attacker may change it too.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

function awsAlertDelivery() {
  const number = nextAlertNumber();
  const keyId = newKeyId();
  h.alerts.set(number, githubAlert(number, keyId));
  const body = JSON.stringify(githubAlertEvent({ number }));
  return { number, keyId, body, headers: signedGitHub('secret_scanning_alert', body) };
}

const duplicate = { status: 200, body: { ignored: expect.stringMatching(/^duplicate delivery/) } };

test('the same signed delivery sent again, as is or under a new X-GitHub-Delivery, starts and joins nothing', async () => {
  const { body, headers } = awsAlertDelivery();
  const first = await h.post('/webhooks/github', body, headers);
  expect(first).toEqual({ status: 202, body: { incidentId: expect.stringMatching(/^leak-aws-/), joined: false } });
  const reports = h.reports.length;

  const again = await h.post('/webhooks/github', body, headers);
  const renamed = await h.post('/webhooks/github', body, { ...headers, 'x-github-delivery': 'attacker-chosen-delivery-id' });

  expect(again).toEqual(duplicate);
  expect(renamed).toEqual(duplicate);
  expect(h.reports.length).toBe(reports);
  expect(h.logs.at(-1)).toMatch(/^webhook github: 200 ignored: duplicate delivery/);
});

test('a replay after the incident finished does not start it again', async () => {
  const { body, headers } = awsAlertDelivery();
  const first = await h.post('/webhooks/github', body, headers);
  expect(first.status).toBe(202);
  const incident = h.client.workflow.getHandle(first.body.incidentId);
  await incident.terminate('finished, for the test');

  const replay = await h.post('/webhooks/github', body, { ...headers, 'x-github-delivery': 'attacker-chosen-delivery-id' });

  expect(replay).toEqual(duplicate);
  expect((await incident.describe()).status.name).toBe('TERMINATED'); // the latest run: none was started after it
});

test('a new delivery about the same alert is still handled', async () => {
  const { number, body, headers } = awsAlertDelivery();
  const first = await h.post('/webhooks/github', body, headers);
  const leaked = JSON.stringify(githubAlertEvent({ number, action: 'publicly_leaked' }));
  const second = await h.post('/webhooks/github', leaked, signedGitHub('secret_scanning_alert', leaked));

  expect(second).toEqual({ status: 202, body: { incidentId: first.body.incidentId, joined: true } });
});

test('a delivery that failed (GitHub API down) is handled when GitHub delivers it again', async () => {
  const number = nextAlertNumber();
  const keyId = newKeyId();
  const body = JSON.stringify(githubAlertEvent({ number }));
  const headers = signedGitHub('secret_scanning_alert', body);

  expect((await h.post('/webhooks/github', body, headers)).status).toBe(502); // the stub has no such alert yet
  h.alerts.set(number, githubAlert(number, keyId));
  const redelivered = await h.post('/webhooks/github', body, headers);

  expect(redelivered).toEqual({ status: 202, body: { incidentId: expect.stringMatching(/^leak-aws-/), joined: false } });
  expect(await h.incidentExists(keyId)).toBe(true);
});

test('the duplicate answer names the first delivery, not the id the replay claims', async () => {
  const { body, headers } = awsAlertDelivery();
  await h.post('/webhooks/github', body, headers);
  const replay = await h.post('/webhooks/github', body, { ...headers, 'x-github-delivery': 'attacker-chosen-delivery-id' });

  expect(replay.body.ignored).toContain(`first delivered as ${headers['x-github-delivery']}`);
  expect(replay.body.ignored).not.toContain('attacker-chosen');
});
