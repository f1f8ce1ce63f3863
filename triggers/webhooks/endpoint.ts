import type { IncomingMessage, ServerResponse } from 'node:http';
import { ValidationError } from '../../domain/issues';
import { discardUnread, HttpError, sendJson } from '../respond';
import type { DeliveryKey, DeliveryLog } from './delivery-log';
import type { Started, WebhookDeps } from './deps';
import { readWebhook, type WebhookRequest } from './request';
import type { Authenticate } from './signatures';

/** One webhook: what it accepts, how its sender proves itself, and what it does with a delivery. */
export interface Endpoint {
  name: string;
  accepts: readonly string[];
  authenticate: Authenticate;
  /** Names an authenticated delivery by what its signature covers, so a replay of it is recognised. */
  deliveryKey?(req: WebhookRequest): DeliveryKey;
  handle(req: WebhookRequest): Promise<Reply>;
}

export interface Reply {
  status: 200 | 202;
  body: Record<string, unknown>;
  /** For the log line; never holds a secret. */
  summary: string;
}

export const ok = (body: Record<string, unknown>, summary: string): Reply => ({ status: 200, body, summary });

/** A delivery understood and deliberately not acted on; the reason tells the sender why. */
export const ignored = (reason: string, extra: Record<string, unknown> = {}): Reply => ({
  status: 200,
  body: { ignored: reason, ...extra },
  summary: `ignored: ${reason}`,
});

export const accepted = (started: Started): Reply => ({ status: 202, body: { ...started }, summary: describe(started) });

export const acceptedAll = (incidents: (Started & { index?: number })[], skipped: { index: number; reason: string }[] = []): Reply => ({
  status: 202,
  body: { incidents, ...(skipped.length ? { ignored: skipped } : {}) },
  summary: incidents.map(describe).join(', ') + (skipped.length ? ` (${skipped.length} ignored)` : ''),
});

/** A real leak whose credential nobody could name yet: accepted; it waits for a person (pendingId) where it can. */
export const unidentified = (body: Record<string, unknown>, summary: string): Reply => ({
  status: 202,
  body: { needsIdentification: true, ...body },
  summary: `needs identification: ${summary}; ${body.pendingId ? `waiting for a person as ${body.pendingId}` : 'nothing started'}`,
});

/** Opens the durable "needs identification" record when the ingress has one; else the leak is only logged. */
export async function pendingFor(
  deps: WebhookDeps,
  reference: string,
  pending: { exposure: unknown; requestedBy: string; reason: string },
): Promise<{ pendingId?: string }> {
  if (!deps.awaitIdentification) return {};
  return upstream('Temporal', 503, () => deps.awaitIdentification!(reference, pending));
}

const describe = (s: Started) => `${s.incidentId} ${s.joined ? 'joined' : 'started'}`;

/** A dependency (Temporal, the vault, GitHub's API) failed: the sender should deliver again later. */
export class UpstreamError extends HttpError {
  constructor(
    what: string,
    status: 502 | 503,
    readonly underlying: unknown,
  ) {
    super(status, `could not reach ${what}; deliver again later`);
  }
}

/** Runs `call`, letting refusals through and turning any other failure into an UpstreamError. */
export async function upstream<T>(what: string, status: 502 | 503, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof HttpError || err instanceof ValidationError) throw err;
    throw new UpstreamError(what, status, err);
  }
}

/** The one path every delivery takes: read, authenticate, skip a replay, handle, answer, log. */
export async function serve(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse, log: (line: string) => void, deliveries: DeliveryLog): Promise<void> {
  const { status, body, summary } = await answer(endpoint, req, deliveries);
  // A body left unread (refused early, or too large) is drained, and the connection not reused.
  sendJson(res, status, body, discardUnread(req, status === 405 ? { allow: 'POST' } : {}));
  log(`webhook ${endpoint.name}: ${status} ${summary}`);
}

/** A delivery whose signed content was handled already: a replay, or a sender's retry of a success. */
const duplicateDelivery = (firstSeenAs?: string) =>
  ignored(`duplicate delivery: the same signed content was already received${firstSeenAs ? ` (first delivered as ${firstSeenAs})` : ''}; it is not acted on twice`);

async function answer(endpoint: Endpoint, req: IncomingMessage, deliveries: DeliveryLog): Promise<{ status: number; body: Record<string, unknown>; summary: string }> {
  try {
    if (req.method !== 'POST') throw new HttpError(405, 'use POST');
    const request = await readWebhook(req, endpoint.accepts);
    endpoint.authenticate(request);
    const key = endpoint.deliveryKey?.(request);
    const claim = key && deliveries.claim(`${endpoint.name}:${key.digest}`, key.ttlMs, key.label);
    if (claim && claim.duplicate) return duplicateDelivery(claim.firstSeenAs);
    try {
      return await endpoint.handle(request);
    } catch (err) {
      // Only a handled delivery is remembered: one that was refused or failed may be delivered again.
      claim?.release();
      throw err;
    }
  } catch (err) {
    if (err instanceof UpstreamError) return { status: err.status, body: { error: err.message }, summary: `${err.message}: ${String(err.underlying)}` };
    if (err instanceof HttpError || err instanceof ValidationError) {
      const status = err instanceof HttpError ? err.status : 400;
      return { status, body: { error: err.message, ...(err.fields ? { fields: err.fields } : {}) }, summary: err.message.split('\n').join('; ') };
    }
    return { status: 500, body: { error: 'internal error' }, summary: `internal error: ${String(err)}` };
  }
}
