import type { Probe } from './settings';

export type ProbeAnswer = 'valid' | 'refused';

/**
 * Asks the issuer whether `secret` works, the way the inventory's probe says: one request, no redirect
 * followed (a redirect would send the credential somewhere the configuration did not name), bounded in
 * time. A status that is neither valid nor refused is an error, so the step is retried, then a person decides.
 * Errors name the host only: the URL may carry the credential in its query.
 */
export async function probe(p: Probe, secret: string): Promise<ProbeAnswer> {
  const url = new URL(p.url);
  const headers: Record<string, string> = {};
  if ('query' in p.credentialIn) url.searchParams.set(p.credentialIn.query, secret);
  else headers[p.credentialIn.header] = `${p.credentialIn.prefix}${secret}`;
  let status: number;
  try {
    const res = await fetch(url, { method: p.method, headers, redirect: 'manual', signal: AbortSignal.timeout(p.timeoutMs) });
    status = res.status;
    await res.body?.cancel();
  } catch (err) {
    throw new Error(`the probe at ${url.host} did not answer: ${(err as Error).name === 'TimeoutError' ? `no answer in ${p.timeoutMs} ms` : (err as Error).message}`);
  }
  if (p.valid.includes(status)) return 'valid';
  if (p.refused.includes(status)) return 'refused';
  throw new Error(`the probe at ${url.host} answered ${status}, which the inventory counts neither as valid (${p.valid.join(', ')}) nor as refused (${p.refused.join(', ')})`);
}
