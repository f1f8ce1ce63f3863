import { leakInput, truffleHogLine } from './fixtures';
import { newKeyId, nowSeconds, signedGeneric, startHarness, type Harness } from './harness';

// POST /webhooks/generic: Leakstop's own input, or TruffleHog `--json` output, HMAC-signed with a timestamp.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("Leakstop's own input", () => {
  test('starts the incident; the source is always generic', async () => {
    const keyId = newKeyId();
    const body = JSON.stringify(leakInput(keyId, { exposure: { source: 'manual', public: true } }));
    const reply = await h.post('/webhooks/generic', body, signedGeneric(body));

    expect(reply).toEqual({ status: 202, body: { incidentId: expect.stringMatching(/^leak-aws-/), joined: false } });
    expect(h.reports.at(-1)).toEqual({ ...leakInput(keyId), exposure: { source: 'generic', public: true } });
    expect(await h.incidentExists(keyId)).toBe(true);
  });

  test('an exposure left out defaults to the generic source', async () => {
    const keyId = newKeyId();
    const { exposure: _, ...input } = leakInput(keyId);
    const body = JSON.stringify(input);

    expect((await h.post('/webhooks/generic', body, signedGeneric(body))).status).toBe(202);
    expect(h.reports.at(-1)?.exposure).toEqual({ source: 'generic' });
  });

  test('missing and bad fields are each named, and nothing starts', async () => {
    const keyId = newKeyId();
    const { requestedBy: _, ...input } = leakInput(keyId, { exposure: { line: 0 } });
    const body = JSON.stringify(input);
    const reply = await h.post('/webhooks/generic', body, signedGeneric(body));

    expect(reply.status).toBe(400);
    expect(reply.body.fields).toEqual(['exposure.line', 'requestedBy']);
    expect(reply.body.error).toMatch(/^requestedBy: /m);
    expect(await h.incidentExists(keyId)).toBe(false);
  });

  test('an array of inputs with one bad item starts none of them', async () => {
    const [a, b] = [newKeyId(), newKeyId()];
    const { requestedBy: _, ...second } = leakInput(b);
    const body = JSON.stringify([leakInput(a), second]);
    const reply = await h.post('/webhooks/generic', body, signedGeneric(body));

    expect(reply).toEqual({ status: 400, body: { error: expect.stringMatching(/^findings\[1\]\.requestedBy: /), fields: ['findings[1].requestedBy'] } });
    expect(await h.incidentExists(a)).toBe(false);
    expect(await h.incidentExists(b)).toBe(false);
  });

  test('a credential id of the wrong shape is named, not echoed', async () => {
    const body = JSON.stringify(leakInput('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'));
    const reply = await h.post('/webhooks/generic', body, signedGeneric(body));

    expect(reply).toEqual({ status: 400, body: { error: expect.stringContaining('credentialId: must be an AWS access key id'), fields: ['credentialId'] } });
    expect(reply.body.error).not.toContain('wJalrXUtnFEMI');
  });
});

describe('signature', () => {
  test('a stale or future timestamp is refused even when the signature is right', async () => {
    const keyId = newKeyId();
    const body = JSON.stringify(leakInput(keyId));
    for (const at of [nowSeconds() - 310, nowSeconds() + 310]) { // clear of the 300 s window, whatever the clock does meanwhile
      expect(await h.post('/webhooks/generic', body, signedGeneric(body, { at }))).toEqual({ status: 401, body: { error: 'stale timestamp' } });
    }
    expect(await h.incidentExists(keyId)).toBe(false);
  });

  test('a wrong secret, a moved timestamp, a changed body or a missing header is refused', async () => {
    const keyId = newKeyId();
    const body = JSON.stringify(leakInput(keyId));
    const moved = { ...signedGeneric(body), 'x-leakstop-timestamp': String(nowSeconds() - 1) };
    const { 'x-leakstop-timestamp': _, ...noTimestamp } = signedGeneric(body);

    expect(await h.post('/webhooks/generic', body, signedGeneric(body, { secret: 'wrong' }))).toEqual({ status: 401, body: { error: 'bad signature' } });
    expect(await h.post('/webhooks/generic', body, moved)).toEqual({ status: 401, body: { error: 'bad signature' } });
    expect(await h.post('/webhooks/generic', `${body} `, signedGeneric(body))).toEqual({ status: 401, body: { error: 'bad signature' } });
    expect(await h.post('/webhooks/generic', body, noTimestamp)).toEqual({ status: 401, body: { error: 'missing X-Leakstop-Timestamp header' } });
    expect(await h.incidentExists(keyId)).toBe(false);
  });
});

describe('TruffleHog --json', () => {
  test('two findings in NDJSON start two incidents; an unverified finding of a detector without a provider is listed as ignored', async () => {
    const [a, b] = [newKeyId(), newKeyId()];
    const [reports, logs] = [h.reports.length, h.logs.length];
    const body = [truffleHogLine({ raw: a }), JSON.stringify({ ...JSON.parse(truffleHogLine({ raw: 'pcsk_1234abcd', detector: 'Pinecone', type: 1003 })), Verified: false }), truffleHogLine({ raw: b, file: 'infra/main.tf', line: 3 })].join('\n') + '\n';
    const reply = await h.post('/webhooks/generic', body, signedGeneric(body, { contentType: 'application/x-ndjson' }));

    expect(reply).toEqual({
      status: 202,
      body: {
        incidents: [
          { index: 0, incidentId: expect.stringMatching(/^leak-aws-/), joined: false },
          { index: 2, incidentId: expect.stringMatching(/^leak-aws-/), joined: false },
        ],
        ignored: [{ index: 1, reason: 'Leakstop has no provider for TruffleHog detector "Pinecone"' }],
      },
    });
    expect(await h.incidentExists(a)).toBe(true);
    expect(await h.incidentExists(b)).toBe(true);
    expect(h.reports.at(-1)).toEqual({
      provider: 'aws-iam',
      credentialId: b,
      requestedBy: 'generic:trufflehog',
      exposure: {
        source: 'trufflehog',
        public: false,
        repository: 'https://github.com/acme/api.git',
        commit: '9fceb02d0ae598e95dc970b74767f19372d61af8',
        path: 'infra/main.tf',
        line: 3,
        notes: 'TruffleHog AWS finding, verified live',
      },
    });
    // RawV2 carries the secret access key: it is never read, so it is nowhere.
    expect(JSON.stringify(h.reports.slice(reports)) + h.logs.slice(logs).join('\n')).not.toContain('wJalrXUtnFEMI');
  });

  test('lines posted as application/json work too, and the detector number alone is enough', async () => {
    const keyId = newKeyId();
    const line = JSON.parse(truffleHogLine({ raw: keyId }));
    delete line.DetectorName;
    const body = `${JSON.stringify(line)}\n${truffleHogLine({ raw: keyId, file: 'other.py' })}`;
    const before = h.reports.length;
    const reply = await h.post('/webhooks/generic', body, signedGeneric(body));

    expect(reply.status).toBe(202);
    // Two findings of one key in one delivery are one report: one incident, named for both lines.
    expect(reply.body.incidents.map((i: { index: number; joined: boolean }) => [i.index, i.joined])).toEqual([[0, false], [1, false]]);
    expect(new Set(reply.body.incidents.map((i: { incidentId: string }) => i.incidentId)).size).toBe(1);
    expect(h.reports.length - before).toBe(1);
  });

  test('one bad finding refuses the whole delivery, naming it, and starts nothing', async () => {
    const [a, b] = [newKeyId(), newKeyId()];
    const noRaw = JSON.parse(truffleHogLine({ raw: b }));
    delete noRaw.Raw;
    const body = `${truffleHogLine({ raw: a })}\n${JSON.stringify(noRaw)}\n`;
    const reply = await h.post('/webhooks/generic', body, signedGeneric(body, { contentType: 'application/x-ndjson' }));

    expect(reply).toEqual({ status: 400, body: { error: 'findings[1].Raw: required for AWS findings', fields: ['findings[1].Raw'] } });
    expect(await h.incidentExists(a)).toBe(false);
    expect(await h.incidentExists(b)).toBe(false);
  });

  test('a line that is not JSON is named', async () => {
    const keyId = newKeyId();
    const body = `${truffleHogLine({ raw: keyId })}\n{"DetectorName": "AWS", "Raw": "AKIA\n`;
    const reply = await h.post('/webhooks/generic', body, signedGeneric(body, { contentType: 'application/x-ndjson' }));

    expect(reply).toEqual({ status: 400, body: { error: 'findings[1] is not valid JSON', fields: ['findings[1]'] } });
    expect(await h.incidentExists(keyId)).toBe(false);
  });

  test('only findings Leakstop cannot act on: 200, each with its reason', async () => {
    const body = truffleHogLine({ raw: 'ABIAAAAAAAAAAAAAAAAA' });
    const reply = await h.post('/webhooks/generic', body, signedGeneric(body));

    expect(reply).toEqual({
      status: 200,
      body: { ignored: 'no finding Leakstop can act on', findings: [{ index: 0, reason: 'an AWS ABIA/ACCA credential is not an IAM access key' }] },
    });
  });
});
