import { awsHealthEvent } from './fixtures';
import { awsHealthHeaders, newKeyId, startHarness, type Harness } from './harness';

// POST /webhooks/aws-health: AWS Health risk events, through an EventBridge API destination.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

test('an exposed-credentials event starts one incident per key, public', async () => {
  const [a, b] = [newKeyId(), newKeyId()];
  const body = JSON.stringify(awsHealthEvent('AWS_RISK_CREDENTIALS_EXPOSED', [a, b]));
  const reply = await h.post('/webhooks/aws-health', body, awsHealthHeaders());

  expect(reply).toEqual({
    status: 202,
    body: {
      incidents: [
        { incidentId: expect.stringMatching(/^leak-aws-/), joined: false },
        { incidentId: expect.stringMatching(/^leak-aws-/), joined: false },
      ],
    },
  });
  expect(await h.incidentExists(a)).toBe(true);
  expect(await h.incidentExists(b)).toBe(true);
  expect(h.reports.at(-1)).toEqual({
    provider: 'aws-iam',
    credentialId: b,
    requestedBy: 'aws-health',
    exposure: { source: 'aws-health', public: true, detectedAt: '2024-05-02T10:15:00.000Z', notes: expect.stringMatching(/^AWS Health AWS_RISK_CREDENTIALS_EXPOSED \(arn:aws:health:/) },
  });
});

test('a compromised-credentials event is not marked public', async () => {
  const keyId = newKeyId();
  const body = JSON.stringify(awsHealthEvent('AWS_RISK_CREDENTIALS_COMPROMISED', [keyId]));

  expect((await h.post('/webhooks/aws-health', body, awsHealthHeaders())).status).toBe(202);
  expect(h.reports.at(-1)?.exposure.public).toBe(false);
});

test('a wrong or missing token is refused', async () => {
  const keyId = newKeyId();
  const body = JSON.stringify(awsHealthEvent('AWS_RISK_CREDENTIALS_EXPOSED', [keyId]));

  expect(await h.post('/webhooks/aws-health', body, awsHealthHeaders('wrong'))).toEqual({ status: 401, body: { error: 'bad x-leakstop-token' } });
  expect(await h.post('/webhooks/aws-health', body, { 'content-type': 'application/json' })).toEqual({ status: 401, body: { error: 'missing x-leakstop-token header' } });
  expect(await h.incidentExists(keyId)).toBe(false);
});

test('other Health events and other sources are ignored with the reason', async () => {
  const keyId = newKeyId();
  const console = JSON.stringify(awsHealthEvent('AWS_RISK_ACCOUNT_CONSOLE_COMPROMISE', [keyId]));
  const ec2 = JSON.stringify({ ...awsHealthEvent('AWS_RISK_CREDENTIALS_EXPOSED', [keyId]), source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification' });

  expect(await h.post('/webhooks/aws-health', console, awsHealthHeaders())).toEqual({ status: 200, body: { ignored: 'AWS Health event "AWS_RISK_ACCOUNT_CONSOLE_COMPROMISE" is not about an access key' } });
  expect(await h.post('/webhooks/aws-health', ec2, awsHealthHeaders())).toEqual({ status: 200, body: { ignored: 'not an AWS Health event' } });
  expect(await h.incidentExists(keyId)).toBe(false);
});

test('missing fields are named; an event naming no key is refused, not dropped', async () => {
  const keyId = newKeyId();
  const event = awsHealthEvent('AWS_RISK_CREDENTIALS_EXPOSED', [keyId]);
  delete event.detail.eventTypeCode;
  const noCode = JSON.stringify(event);
  const noKey = JSON.stringify(awsHealthEvent('AWS_RISK_CREDENTIALS_EXPOSED', ['AWS_ACCOUNT']));

  expect(await h.post('/webhooks/aws-health', noCode, awsHealthHeaders())).toEqual({
    status: 400,
    body: { error: expect.stringMatching(/^detail\.eventTypeCode: /), fields: ['detail.eventTypeCode'] },
  });
  expect(await h.post('/webhooks/aws-health', noKey, awsHealthHeaders())).toEqual({
    status: 400,
    body: { error: 'detail.affectedEntities: names no AWS access key id', fields: ['detail.affectedEntities'] },
  });
  expect(await h.incidentExists(keyId)).toBe(false);
});
