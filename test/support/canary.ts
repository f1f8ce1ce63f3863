import { encodings } from '../../domain/redact';

/**
 * Every form in which a secret could be written: as is, URL-encoded, and base64 at each of the three
 * byte alignments it can have inside a longer base64 blob (standard and URL alphabets).
 */
export function forms(secret: string): string[] {
  const out = new Set(encodings(secret));
  const bytes = Buffer.from(secret, 'utf8');
  for (let k = 0; k < 3; k++) {
    for (const alphabet of ['base64', 'base64url'] as const) {
      const enc = Buffer.concat([Buffer.alloc(k), bytes]).toString(alphabet);
      // Drop the quad mixed with the padding bytes in front and the last quad (padding behind).
      out.add(enc.slice(k ? 4 : 0, -4));
    }
  }
  return [...out].filter((f) => f.length >= 12);
}

/** Where any secret occurs in a sink, in any form. Empty means clean. */
export function findLeaks(sink: string, text: string | Buffer, secrets: Record<string, string>): string[] {
  const hay = typeof text === 'string' ? text : text.toString('latin1');
  const hits: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    for (const f of forms(secret)) if (hay.includes(f)) hits.push(`${sink}: ${name} (${f === secret ? 'plain' : 'encoded'})`);
  }
  return hits;
}
