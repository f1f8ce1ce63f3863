import fc from 'fast-check';
import { MAX_REPORTS_PER_DELIVERY } from '../../triggers/webhooks/reporting';
import { truffleHogLine } from '../webhooks/fixtures';
import { newKeyId, signedGeneric } from '../webhooks/harness';
import { recordingIngress } from './ingress-stub';

// Finding 6, the ingress's side: one signed 256 KiB NDJSON delivery holds ~5,000 findings, with no cap and
// no dedupe (150 identical lines gave 149 joins). Now findings of one credential are one report, and a
// delivery names at most MAX_REPORTS_PER_DELIVERY distinct credentials, or is refused whole.

const ndjson = (keys: string[]) => keys.map((raw, i) => truffleHogLine({ raw, line: i + 1 })).join('\n');

test('150 identical findings are one report', async () => {
  const ingress = await recordingIngress();
  try {
    const body = ndjson(Array(150).fill(newKeyId()));
    const reply = await ingress.post('/webhooks/generic', body, signedGeneric(body));
    expect(reply.status).toBe(202);
    expect(reply.body.incidents).toHaveLength(150);
    expect(ingress.reports).toHaveLength(1);
  } finally {
    await ingress.close();
  }
});

test('a delivery naming more distinct credentials than the cap is refused whole, by field', async () => {
  const ingress = await recordingIngress();
  try {
    const body = ndjson(Array.from({ length: MAX_REPORTS_PER_DELIVERY + 1 }, newKeyId));
    const reply = await ingress.post('/webhooks/generic', body, signedGeneric(body));
    expect(reply).toEqual({ status: 400, body: { error: expect.stringMatching(/^findings: 101 distinct credentials in one delivery; at most 100/), fields: ['findings'] } });
    expect(ingress.reports).toEqual([]);
  } finally {
    await ingress.close();
  }
});

test('whatever mix of findings arrives: never a 5xx, one report per distinct credential at most', async () => {
  const ingress = await recordingIngress();
  try {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 120 }), async (distinct, lines) => {
        const keys = Array.from({ length: distinct }, newKeyId);
        const picked = Array.from({ length: lines }, (_, i) => keys[i % distinct]!);
        const before = ingress.reports.length;
        const body = ndjson(picked);
        const reply = await ingress.post('/webhooks/generic', body, signedGeneric(body));
        expect(reply.status).toBeLessThan(500);
        expect(ingress.reports.length - before).toBe(new Set(picked).size);
      }),
      { numRuns: 25 },
    );
  } finally {
    await ingress.close();
  }
});
