import { durationMs } from '../../domain/duration';
import { foreignOrigin, originOf } from '../../domain/origin';
import { redact } from '../../domain/redact';
import type { DeployHandle, DeployResult } from '../../domain/results';
import type { DeployerSpec, ResolvedConsumer } from '../../domain/schemas';
import type { HttpHookSpec as HookSpec } from './spec';
import { PermanentError, type Deployer, type IncidentContext } from '../types';

/**
 * A generic deploy hook, the contract documented in the README:
 *   POST <url>  {incidentId, consumer, reason}  with `Idempotency-Key: <incident>:<consumer>`
 *     → 2xx {id, statusUrl}  (or a Location header)
 *   GET <statusUrl> → {status: "running" | "succeeded" | "failed", detail?}
 * The idempotency key lets the hook recognise a retried POST after a crash.
 *
 * The hook's answers are not trusted to send Leakstop anywhere: the status URL must be on the hook's
 * own origin, and no request follows a redirect, because every request carries the hook's secret
 * headers (`headersFromEnv`).
 */
export class HttpDeployHook implements Deployer {
  readonly kind = 'http-hook' as const;

  async redeploy(consumer: ResolvedConsumer, ctx: IncidentContext): Promise<DeployHandle> {
    const spec = hookSpec(consumer.deployerSpec);
    const what = `deploy hook for ${consumer.name}`;
    const secrets = headersFromEnv(spec);
    const res = await callHook(spec.url, what, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': `${ctx.incidentId}:${consumer.name}`,
        ...secrets,
      },
      body: JSON.stringify({ incidentId: ctx.incidentId, consumer: consumer.name, reason: 'credential-rotated' }),
    });
    const text = await res.text();
    if (res.status >= 400 && res.status < 500 && res.status !== 429) {
      throw new PermanentError(`${what} answered ${res.status}: ${scrub(text.slice(0, 4096), secrets).slice(0, 200)}`, res.status === 404 ? 'not-found' : 'denied');
    }
    if (!res.ok) throw new Error(`${what} answered ${res.status}`);
    const body = parseJson(text);
    const given = stringField(body, 'statusUrl') ?? res.headers.get('location') ?? undefined;
    if (!given) throw new PermanentError(`${what} returned no statusUrl or Location`, 'invalid');
    const statusUrl = onHookOrigin(given, spec, what);
    return { consumer: consumer.name, id: stringField(body, 'id') ?? statusUrl, statusUrl };
  }

  async waitFor(handle: DeployHandle, anySpec: DeployerSpec, heartbeat: () => void): Promise<DeployResult> {
    const spec = hookSpec(anySpec);
    const what = `deploy ${handle.id} of ${handle.consumer}`;
    // Checked again here: the handle comes back from workflow history, which may predate this rule.
    const statusUrl = onHookOrigin(handle.statusUrl, spec, `deploy hook for ${handle.consumer}`);
    const secrets = headersFromEnv(spec);
    const deadline = Date.now() + durationMs(spec.timeout);
    const interval = durationMs(spec.pollInterval);
    for (;;) {
      heartbeat();
      const res = await callHook(statusUrl, `status URL of ${what}`, { headers: secrets });
      const body = parseJson(await res.text());
      const status = stringField(body, 'status');
      const detail = stringField(body, 'detail')?.slice(0, 1000);
      if (res.ok && status === 'succeeded') return { consumer: handle.consumer, id: handle.id, status: 'succeeded', detail: detail && scrub(detail, secrets) };
      if (res.ok && status === 'failed') {
        throw new PermanentError(`${what} failed${detail ? `: ${scrub(detail, secrets)}` : ''}`, 'failed');
      }
      if (Date.now() > deadline) {
        throw new PermanentError(`${what} did not finish within ${spec.timeout}`, 'failed');
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  }
}

function hookSpec(spec: DeployerSpec | undefined): HookSpec {
  if (spec?.kind !== 'http-hook') throw new PermanentError(`not an http-hook deployer: ${spec?.kind}`, 'invalid');
  return spec as HookSpec;
}

/** The status URL, resolved against the hook's URL, if it stays on the hook's origin. */
function onHookOrigin(statusUrl: string, spec: HookSpec, what: string): string {
  const foreign = foreignOrigin(statusUrl, spec.url);
  if (foreign) {
    throw new PermanentError(
      `${what} answered a status URL on ${foreign}, not the hook's origin ${originOf(spec.url)}: Leakstop sends the hook's headers only to its own origin`,
      'invalid',
    );
  }
  return new URL(statusUrl, spec.url).toString();
}

/** One request to the hook. A redirect is an answer, not an instruction: following it would carry the hook's headers along. */
async function callHook(url: string, what: string, init: RequestInit): Promise<Response> {
  const res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    const location = res.headers.get('location');
    const to = location ? ` to ${originOf(location, url) ?? 'a URL without an http(s) origin'}` : '';
    throw new PermanentError(`${what} answered a redirect (${res.status})${to}; Leakstop does not follow redirects from a deploy hook: configure the URL it should call`, 'invalid');
  }
  return res;
}

function headersFromEnv(spec: HookSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [header, variable] of Object.entries(spec.headersFromEnv)) {
    const value = process.env[variable];
    if (value === undefined) throw new PermanentError(`deploy hook header ${header} needs environment variable ${variable}`, 'invalid');
    out[header] = value;
  }
  return out;
}

/**
 * Text the hook wrote (an error body, a detail), without the values of the hook's own headers: a hook
 * may echo its token, and what it writes ends up in messages and workflow history. `Bearer <token>`
 * is removed whole and as its token. Then the usual redaction of credential shapes.
 */
function scrub(text: string, secrets: Record<string, string>): string {
  const values = Object.values(secrets).flatMap((v) => [v, ...v.split(/\s+/).filter((part) => part.length >= 8)]);
  let out = text;
  for (const value of [...new Set(values)].filter(Boolean).sort((a, b) => b.length - a.length)) out = out.split(value).join('[redacted]');
  return redact(out);
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}

/** A string field of a parsed answer; anything else (a number, an object) counts as absent. */
function stringField(body: unknown, name: string): string | undefined {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}
