import type { AppsV1Api, ConfigurationOptions, CoreV1Api, ObservableMiddleware } from '@kubernetes/client-node';
import { STATUS_CODES } from 'node:http';
import { redact } from '../../domain/redact';
import { PermanentError } from '../types';
import { resolveCluster, type KubernetesConfig } from './config';

// The API clients for one configured cluster, from @kubernetes/client-node. The client is built from
// the inventory's cluster entry alone (server, CA, token), never from a kubeconfig on the machine, so
// calls go to the configured server only. Errors become Leakstop's: the API server's own words
// (redacted), never the library's message, which carries the whole response.

type Library = typeof import('@kubernetes/client-node');
let library: Promise<Library> | undefined;
/**
 * Loaded on first use: the library takes about a second to load, and most processes (the CLI, the
 * ingress, most workers) never call a cluster. It is ESM-only; the worker's Node (>= 20.19) requires it.
 */
const load = () => (library ??= import('@kubernetes/client-node'));

/** How long one API call may take before it is abandoned (and the step retried). */
const CALL_TIMEOUT_MS = 15_000;

export interface KubeApis {
  cluster: string;
  /** The configured API server, for links people follow. */
  server: string;
  core: CoreV1Api;
  apps: AppsV1Api;
  /**
   * Per-call options: abandoned after CALL_TIMEOUT_MS or when `signal` aborts, and for a patch, the patch
   * type (the library would otherwise send a JSON patch).
   */
  options(o?: { signal?: AbortSignal; mergePatch?: boolean }): ConfigurationOptions;
}

/** Builds the clients for `cluster` with its token as it is now (a rotated token file is picked up). */
export async function kubeApis(config: KubernetesConfig | undefined, cluster: string, env: NodeJS.ProcessEnv): Promise<KubeApis> {
  const c = resolveCluster(config, cluster, env);
  const k8s = await load();
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: c.name, server: c.server, caData: Buffer.from(c.ca).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'leakstop', token: c.token }],
    contexts: [{ name: c.name, cluster: c.name, user: 'leakstop' }],
    currentContext: c.name,
  });
  const options = (o: { signal?: AbortSignal; mergePatch?: boolean } = {}): ConfigurationOptions => {
    const timeout = AbortSignal.timeout(CALL_TIMEOUT_MS);
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
    const middleware: ObservableMiddleware = {
      pre: (req) => {
        req.setSignal(signal);
        if (o.mergePatch) req.setHeaderParam('Content-Type', 'application/merge-patch+json');
        return new k8s.Observable(Promise.resolve(req));
      },
      post: (res) => new k8s.Observable(Promise.resolve(res)),
    };
    return { middleware: [middleware], middlewareMergeStrategy: 'append' };
  };
  return { cluster: c.name, server: c.server, core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api), options };
}

/** The API server's answer to a failed call, if it was one (the library's ApiException). */
export function statusOf(err: unknown): { code: number; reason?: string; message?: string } | undefined {
  const e = err as { code?: unknown; body?: unknown };
  if (typeof e?.code !== 'number' || !('body' in (e as object))) return undefined;
  let body = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      body = { message: body };
    }
  }
  const s = (body ?? {}) as { reason?: unknown; message?: unknown };
  // Some answers come without a body (the library drops a 401's): then HTTP's name for the code.
  return { code: e.code, reason: typeof s.reason === 'string' ? s.reason : STATUS_CODES[e.code], message: typeof s.message === 'string' ? s.message : undefined };
}

/**
 * Runs an API call; a refusal retrying cannot fix becomes a PermanentError `${what}: <code> <reason>: <message>`
 * (redacted, bounded), anything else an Error of the same words (retried). `allow` lists codes the
 * caller handles itself (a 404 that means "not there"): those resolve to undefined.
 */
export async function kubeCall<T>(what: string, fn: () => Promise<T>, allow: readonly number[] = []): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const s = statusOf(err);
    if (s && allow.includes(s.code)) return undefined;
    if (!s) {
      const name = (err as Error)?.name === 'AbortError' ? 'no answer in time' : redact(String((err as Error)?.message ?? err)).slice(0, 300);
      throw new Error(`${what}: ${name}`);
    }
    const words = `${what}: ${s.code}${s.reason ? ` ${s.reason}` : ''}${s.message ? `: ${redact(s.message).replace(/\s+/g, ' ').slice(0, 300)}` : ''}`;
    if (s.code === 401) throw new PermanentError(`${words} (the cluster refused Leakstop's token)`, 'denied');
    if (s.code === 403) throw new PermanentError(`${words} (Leakstop's identity may not do this: check its RBAC role)`, 'denied');
    if (s.code === 404) throw new PermanentError(words, 'not-found');
    if (s.code === 400 || s.code === 422) throw new PermanentError(words, 'invalid');
    throw new Error(words); // 409, 429, 5xx: retried
  }
}
