import type { Octokit as OctokitCore } from '@octokit/core';
import type { Api as RestApi } from '@octokit/plugin-rest-endpoint-methods';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from 'octokit';
import { foreignOrigin, originOf } from '../../domain/origin';
import { PermanentError } from '../types';

// Typed from octokit's parts: with this project's `moduleResolution: node`, TypeScript cannot follow the
// `exports` of octokit's own declarations (`@octokit/core/types`), which would make every client `any`.
export type GitHubClient = OctokitCore & RestApi;

/**
 * Leakstop as a GitHub App installation: each client mints the installation's token (an hour long) from
 * the App's private key when it needs one, and every client in the process shares the minted tokens.
 * Some endpoints take nothing else (an organization's fine-grained token list).
 */
export interface GitHubAppAuth {
  appId: string;
  installationId: number;
  /** The App's private key (PEM, PKCS#1 as GitHub issues it, or PKCS#8). Never sent: it signs a 10-minute JWT. */
  privateKey: string;
}

/** Leakstop's own GitHub identity: a token (PAT, installation token) or a GitHub App installation. */
export type GitHubAuth = string | GitHubAppAuth;

/**
 * Installation tokens minted in this process, shared by every client (auth-app's cache interface; it keeps
 * each until shortly before it expires). Bounded: a process acts as one or a few installations.
 */
const installationTokens = new Map<string, string>();
const tokenCache = {
  get: (key: string) => installationTokens.get(key),
  set: (key: string, value: string) => {
    if (installationTokens.size >= 100) installationTokens.delete(installationTokens.keys().next().value!);
    installationTokens.set(key, value);
  },
};

export interface GitHubClientOptions {
  /** `https://api.github.com` by default; `https://HOST/api/v3` for GitHub Enterprise Server; a local fake in tests. */
  baseUrl?: string;
  /** A token (PAT, installation or user token), or a GitHub App installation. Omit for unauthenticated calls such as credential revocation. */
  auth?: GitHubAuth;
  /**
   * How often one request may wait out a rate limit before it fails (default 2). Waiting longer than
   * that, or longer than `maxRetryAfterSeconds`, is better left to Temporal's activity retry.
   */
  rateLimitRetries?: number;
  /** The longest single rate-limit wait, in seconds, accepted inside a call (default 60). */
  maxRetryAfterSeconds?: number;
  /** Retries of server errors (5xx) and network failures, with octokit's growing back-off (default 3). */
  retries?: number;
  /** Clients with the same id share one throttle (GitHub counts limits per user or app). */
  throttleId?: string;
}

export const GITHUB_API = 'https://api.github.com';

/** Redirects followed within the API's origin for one request (GitHub moves a renamed repository with one). */
const MAX_REDIRECTS = 5;
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * The one way Leakstop builds a GitHub client: octokit with its throttling (GitHub's concurrency and
 * write-pacing guidance) and retry plugins configured. Rate-limit waits follow GitHub's own
 * `retry-after` / `x-ratelimit-reset`, and are bounded so a call never spins or blocks for long.
 */
export function createGitHubClient(o: GitHubClientOptions = {}): GitHubClient {
  const maxRetries = o.rateLimitRetries ?? 2;
  const maxWait = o.maxRetryAfterSeconds ?? 60;
  const onLimit = (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < maxRetries && retryAfter <= maxWait;
  const baseUrl = o.baseUrl ?? GITHUB_API;
  const client: GitHubClient = new Octokit({
    baseUrl,
    ...(typeof o.auth === 'object'
      ? { authStrategy: createAppAuth, auth: { appId: o.auth.appId, privateKey: o.auth.privateKey, installationId: o.auth.installationId, cache: tokenCache } }
      : { auth: o.auth }),
    userAgent: 'leakstop',
    request: { fetch: fetchWithin(baseUrl) },
    throttle: {
      id: o.throttleId ?? 'leakstop',
      onRateLimit: onLimit,
      onSecondaryRateLimit: onLimit,
    },
    retry: {
      retries: o.retries ?? 3,
      // 429 is the throttling plugin's to handle (it knows retry-after); the rest are answers, not accidents.
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451],
    },
    log: { debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error },
  });
  // Registered after the plugins, so it sees the error once octokit's retries are spent: a redirect
  // away from the API is refused every time, and retrying later will not change that.
  client.hook.error('request', (error) => {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof ForeignRedirect) throw new PermanentError(cause.message, 'invalid');
    throw error;
  });
  return client;
}

class ForeignRedirect extends Error {
  override name = 'ForeignRedirect';
}

/**
 * The fetch octokit uses: redirects are followed only within the API's origin. Node's own fetch follows
 * any redirect; it drops Authorization on the way to another origin, but still makes the request, and
 * for a 307 or 308 sends the body (a post-mortem, a sealed secret) along.
 */
function fetchWithin(baseUrl: string): typeof fetch {
  return async (input, init = {}) => {
    let url = new URL(input instanceof Request ? input.url : input);
    let request: RequestInit = { ...init, redirect: 'manual' };
    for (let hops = 0; ; hops++) {
      const res = await fetch(url, request);
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || !location) return res;
      await res.body?.cancel();
      const next = new URL(location, url);
      const foreign = foreignOrigin(next, baseUrl);
      if (foreign) throw new ForeignRedirect(`GitHub answered a redirect (${res.status}) to ${foreign}; Leakstop's GitHub client calls only ${originOf(baseUrl)}`);
      if (hops >= MAX_REDIRECTS) throw new Error(`GitHub redirected ${url.pathname} more than ${MAX_REDIRECTS} times`);
      // As fetch itself does: a 303, or a 301/302 answering a POST, continues as a GET without a body.
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && request.method === 'POST')) {
        const headers = new Headers(request.headers);
        headers.delete('content-type');
        headers.delete('content-length');
        request = { ...request, method: 'GET', body: undefined, headers };
      }
      url = next;
    }
  };
}

/** The HTTP status of a failed octokit call (RequestError), or undefined for other failures. */
export function httpStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** Response headers of a failed octokit call, lower-cased as octokit gives them. */
export function errorHeaders(err: unknown): Record<string, string | number | undefined> {
  return (err as { response?: { headers?: Record<string, string | number | undefined> } } | null)?.response?.headers ?? {};
}

/** Where people browse the GitHub whose API is at `baseUrl` (api.github.com → github.com, GHES /api/v3 → host). */
export function webUrlFor(baseUrl: string = GITHUB_API): string {
  if (baseUrl.replace(/\/$/, '') === GITHUB_API) return 'https://github.com';
  return baseUrl.replace(/\/api\/v3\/?$/, '').replace(/\/$/, '');
}
