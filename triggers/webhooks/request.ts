import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { fieldPath } from '../../domain/issues';
import { HttpError, readBody } from '../respond';

/** Far above any scanner's alert; a larger body is refused before it is buffered. */
export const BODY_LIMIT = 256 * 1024;

export interface WebhookRequest {
  headers: IncomingHttpHeaders;
  /** The bytes as received: signatures are computed over these, never over re-serialised JSON. */
  raw: Buffer;
  /** The content type without its parameters, lower-cased. */
  mediaType: string;
}

export interface Problem {
  field: string;
  message: string;
}

/** Checks the content type, then reads the body up to `limit` bytes. */
export async function readWebhook(req: IncomingMessage, accepts: readonly string[], limit = BODY_LIMIT): Promise<WebhookRequest> {
  const [type = '', ...params] = (req.headers['content-type'] ?? '').split(';');
  const mediaType = type.trim().toLowerCase();
  const charset = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('charset='));
  if (!accepts.includes(mediaType) || (charset && charset !== 'charset=utf-8')) {
    throw new HttpError(415, `content type must be ${accepts.join(' or ')} (UTF-8)`);
  }
  return { headers: req.headers, raw: await readBody(req, limit), mediaType };
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The parser's own message quotes the body, which may hold a secret: it is never passed on. */
export function parseJson(text: string, field = 'body'): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, `${field} is not valid JSON`, [field]);
  }
}

/** Validates `value`; problems name their field by path, below `at` (e.g. `findings[1].Raw`). */
export function check<S extends z.ZodType>(schema: S, value: unknown, at: PropertyKey[] = []): { data: z.output<S> } | { problems: Problem[] } {
  const result = schema.safeParse(value);
  if (result.success) return { data: result.data };
  return { problems: result.error.issues.map((i) => ({ field: fieldPath([...at, ...i.path], 'body'), message: i.message })) };
}

export function invalid(problems: Problem[]): HttpError {
  const message = problems.map((p) => `${p.field}: ${p.message}`).join('\n');
  return new HttpError(400, message, [...new Set(problems.map((p) => p.field))]);
}

/** `check`, refusing the request with a 400 that names each bad field. */
export function parsePayload<S extends z.ZodType>(schema: S, value: unknown, at: PropertyKey[] = []): z.output<S> {
  const result = check(schema, value, at);
  if ('problems' in result) throw invalid(result.problems);
  return result.data;
}
