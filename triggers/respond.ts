import type { IncomingMessage, ServerResponse } from 'node:http';
import { redactDeep } from '../domain/redact';

/** Every JSON body the ingress sends goes through the redaction mechanism. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(redactDeep(body)));
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
  }
}

/**
 * Reads a request body up to `limit` bytes: a larger one is a 413, not a memory problem. A declared
 * length over the limit is refused before a byte is read; a body without one (chunked) is counted as
 * it arrives. Past the limit the rest is read and dropped rather than the socket destroyed: a
 * destroyed socket reaches the sender as a reset, not as the 413 that tells it why.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) return reject(tooLarge(limit));
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      over = true;
      chunks.length = 0;
      reject(tooLarge(limit));
    });
    req.on('end', () => over || resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const tooLarge = (limit: number) => new HttpError(413, `body larger than ${limit} bytes`);

/**
 * After an answer given before the body was read to its end: the rest is drained (read and dropped,
 * never held) and the connection not reused, since its next request would start mid-body.
 */
export function discardUnread(req: IncomingMessage, headers: Record<string, string>): Record<string, string> {
  if (req.complete) return headers;
  req.resume();
  return { ...headers, connection: 'close' };
}
