import { awsHealthEvent, leakInput, truffleHogLine } from '../webhooks/fixtures';
import { awsHealthHeaders, newKeyId, signedGeneric } from '../webhooks/harness';
import { recordingIngress } from './ingress-stub';

// Finding 1, the scanners' side: TruffleHog's `Verified` was never read, so a contributor who put a key id
// beside a fake secret in a scanned pull request got the key disabled; and a signed generic sender's own
// input was as good as a verified finding. The trigger now says what it vouches for, and nothing more.

const unverified = (raw: string) => truffleHogLine({ raw }).replace('"Verified":true', '"Verified":false');

test('an unverified TruffleHog finding is ignored; a verified one is authoritative', async () => {
  const ingress = await recordingIngress();
  try {
    const [fake, real] = [newKeyId(), newKeyId()];
    const ignored = await ingress.post('/webhooks/generic', unverified(fake), signedGeneric(unverified(fake)));
    expect(ignored).toEqual({ status: 200, body: { ignored: 'no finding Leakstop can act on', findings: [{ index: 0, reason: expect.stringMatching(/not verified live: ignored/) }] } });
    expect(ingress.reports).toEqual([]);

    const verified = truffleHogLine({ raw: real });
    expect((await ingress.post('/webhooks/generic', verified, signedGeneric(verified))).status).toBe(202);
    expect(ingress.reports).toEqual([{ input: expect.objectContaining({ credentialId: real, exposure: expect.objectContaining({ source: 'trufflehog' }) }), trust: 'authoritative' }]);
  } finally {
    await ingress.close();
  }
});

test('with the inventory opting in, an unverified finding opens an incident as a plain report', async () => {
  const ingress = await recordingIngress({ unverifiedFindings: 'report' });
  try {
    const keyId = newKeyId();
    expect((await ingress.post('/webhooks/generic', unverified(keyId), signedGeneric(unverified(keyId)))).status).toBe(202);
    expect(ingress.reports).toEqual([{ input: expect.objectContaining({ credentialId: keyId }), trust: 'reported' }]);
  } finally {
    await ingress.close();
  }
});

test("a signed sender's own input is a plain report and cannot claim trust or name an alert; AWS Health is authoritative", async () => {
  const ingress = await recordingIngress();
  try {
    const keyId = newKeyId();
    const plain = JSON.stringify(leakInput(keyId));
    expect((await ingress.post('/webhooks/generic', plain, signedGeneric(plain))).status).toBe(202);
    expect(ingress.reports.at(-1)?.trust).toBe('reported');

    const claims = JSON.stringify({ ...leakInput(newKeyId()), trust: 'authoritative' });
    expect(await ingress.post('/webhooks/generic', claims, signedGeneric(claims))).toEqual({ status: 400, body: { error: expect.stringMatching(/^trust: set only by Leakstop/), fields: ['trust'] } });
    const alert = JSON.stringify(leakInput(newKeyId(), { exposure: { source: 'generic', alert: { repository: 'victim/repo', number: 1 } } }));
    expect(await ingress.post('/webhooks/generic', alert, signedGeneric(alert))).toEqual({ status: 400, body: { error: expect.stringMatching(/^exposure\.alert: set only by the GitHub endpoint/), fields: ['exposure.alert'] } });
    expect(ingress.reports).toHaveLength(1);

    const health = JSON.stringify(awsHealthEvent('AWS_RISK_CREDENTIALS_EXPOSED', [newKeyId()]));
    expect((await ingress.post('/webhooks/aws-health', health, awsHealthHeaders())).status).toBe(202);
    expect(ingress.reports.at(-1)?.trust).toBe('authoritative');
  } finally {
    await ingress.close();
  }
});
