import { durationMs } from '../../domain/duration';
import type { DeployHandle, DeployResult } from '../../domain/results';
import type { DeployerSpec, ResolvedConsumer } from '../../domain/schemas';
import { PermanentError, type Deployer, type IncidentContext } from '../types';

/**
 * A generic deploy hook, the contract documented in the README:
 *   POST <url>  {incidentId, consumer, reason}  with `Idempotency-Key: <incident>:<consumer>`
 *     → 2xx {id, statusUrl}  (or a Location header)
 *   GET <statusUrl> → {status: "running" | "succeeded" | "failed", detail?}
 * The idempotency key lets the hook recognise a retried POST after a crash.
 */
export class HttpDeployHook implements Deployer {
  readonly kind = 'http-hook' as const;

  async redeploy(consumer: ResolvedConsumer, ctx: IncidentContext): Promise<DeployHandle> {
    const spec = hookSpec(consumer.deployerSpec);
    const res = await fetch(spec.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': `${ctx.incidentId}:${consumer.name}`,
        ...headersFromEnv(spec),
      },
      body: JSON.stringify({ incidentId: ctx.incidentId, consumer: consumer.name, reason: 'credential-rotated' }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (res.status >= 400 && res.status < 500 && res.status !== 429) {
      throw new PermanentError(`deploy hook for ${consumer.name} answered ${res.status}: ${text.slice(0, 200)}`, res.status === 404 ? 'not-found' : 'denied');
    }
    if (!res.ok) throw new Error(`deploy hook for ${consumer.name} answered ${res.status}`);
    const body = parseJson(text) as { id?: string; statusUrl?: string };
    const statusUrl = body.statusUrl ?? res.headers.get('location') ?? undefined;
    if (!statusUrl) throw new PermanentError(`deploy hook for ${consumer.name} returned no statusUrl or Location`, 'invalid');
    return { consumer: consumer.name, id: body.id ?? statusUrl, statusUrl: new URL(statusUrl, spec.url).toString() };
  }

  async waitFor(handle: DeployHandle, anySpec: DeployerSpec, heartbeat: () => void): Promise<DeployResult> {
    const spec = hookSpec(anySpec);
    const deadline = Date.now() + durationMs(spec.timeout);
    const interval = durationMs(spec.pollInterval);
    for (;;) {
      heartbeat();
      const res = await fetch(handle.statusUrl, { headers: headersFromEnv(spec), signal: AbortSignal.timeout(15_000) });
      const body = parseJson(await res.text()) as { status?: string; detail?: string };
      if (res.ok && body.status === 'succeeded') return { consumer: handle.consumer, id: handle.id, status: 'succeeded', detail: body.detail };
      if (res.ok && body.status === 'failed') {
        throw new PermanentError(`deploy ${handle.id} of ${handle.consumer} failed${body.detail ? `: ${body.detail}` : ''}`, 'failed');
      }
      if (Date.now() > deadline) {
        throw new PermanentError(`deploy ${handle.id} of ${handle.consumer} did not finish within ${spec.timeout}`, 'failed');
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  }
}

type HookSpec = Extract<DeployerSpec, { kind: 'http-hook' }>;

function hookSpec(spec: DeployerSpec | undefined): HookSpec {
  if (spec?.kind !== 'http-hook') throw new PermanentError(`not an http-hook deployer: ${spec?.kind}`, 'invalid');
  return spec;
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

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}
