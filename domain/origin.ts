// Outbound calls go only to configured origins (design notes, Trust). A URL that a remote system
// hands back (a status URL, a Location header, a redirect) is followed only when it stays on the
// origin that was configured, so credentials meant for that origin never reach another host.
// Pure: each provider that makes calls turns a refusal into its own error.

/** `scheme://host[:port]` (the port only when not the scheme's default); undefined for a non-URL or an opaque origin (file:, data:). */
export function originOf(url: string | URL, base?: string | URL): string | undefined {
  try {
    const origin = new URL(url, base).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * Where `url` leads when that is not the origin of `configured`, for an error message; undefined when
 * it stays there. A relative `url` is resolved against `configured`, as a client would. Only origins
 * are named: the path or query of a refused URL may carry a token of its own.
 */
export function foreignOrigin(url: string | URL, configured: string | URL): string | undefined {
  const target = originOf(url, configured);
  if (target && target === originOf(configured)) return undefined;
  return target ?? 'a URL without an http(s) origin';
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Whether a configured URL may carry a secret: https anywhere, http only to this machine (a local test
 * double, a sidecar, an agent on loopback), never across a network in the clear.
 */
export function securesSecrets(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname));
  } catch {
    return false;
  }
}
