import { randomInt } from 'node:crypto';
import { githubAlert, githubAlertEvent, nextAlertNumber } from '../webhooks/fixtures';
import { signedGitHub, startHarness, type Harness } from '../webhooks/harness';

// The attacker owns a GitHub account or repository whose name, joined with dashes, reads like one of
// the victim's: `acme-api/x#5` and `acme/api-x#5`. A leak in the attacker's repository must not
// take the place of, or be silently merged into, the victim's "needs identification" record.

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ pending: true });
});
afterAll(() => h.close());

const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

/** A signed alert for the other half of an AWS pair (no key id: needs identification) in `owner/name`. */
function secretKeyAlert(owner: string, name: string, number: number, action = 'created') {
  const event = githubAlertEvent({ number, action, secretType: 'aws_secret_access_key' });
  event.repository.owner.login = owner;
  event.repository.name = name;
  event.repository.full_name = `${owner}/${name}`;
  const body = JSON.stringify(event);
  return { body, headers: signedGitHub('secret_scanning_alert', body) };
}

test('two alerts whose repositories read alike once dashed wait as two pending records', async () => {
  const number = nextAlertNumber();
  h.alerts.set(number, githubAlert(number, SECRET_KEY, { secretType: 'aws_secret_access_key' }));
  const org = `acme${randomInt(1e9)}`;
  const victim = secretKeyAlert(`${org}-api`, 'x', number);
  const attacker = secretKeyAlert(org, 'api-x', number);

  const first = await h.post('/webhooks/github', victim.body, victim.headers);
  const second = await h.post('/webhooks/github', attacker.body, attacker.headers);

  expect(first).toEqual({ status: 202, body: { needsIdentification: true, githubAlert: { repository: `${org}-api/x`, number }, pendingId: expect.any(String) } });
  expect(second).toEqual({ status: 202, body: { needsIdentification: true, githubAlert: { repository: `${org}/api-x`, number }, pendingId: expect.any(String) } });
  expect(second.body.pendingId).not.toBe(first.body.pendingId);
  for (const id of [first.body.pendingId, second.body.pendingId]) {
    expect(id).toMatch(/^leak-unidentified-[A-Za-z0-9_.-]+$/);
    expect((await h.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');
  }

  // Still one record per alert: a later delivery about the victim's alert finds the first.
  const reopened = secretKeyAlert(`${org}-api`, 'x', number, 'reopened');
  expect((await h.post('/webhooks/github', reopened.body, reopened.headers)).body.pendingId).toBe(first.body.pendingId);
});
