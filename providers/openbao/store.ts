import { stringsObjectIn } from '../../domain/merge';
import type { StoreWrite } from '../../domain/results';
import type { ResolvedConsumer, StoreSpec } from '../../domain/schemas';
import { PermanentError, type IncidentContext, type SecretStore } from '../types';
import { parseKey, type OpenBaoKvSpec } from './spec';

/** Attempts when another writer changed the secret between our read and our check-and-set write. */
const CAS_ATTEMPTS = 5;

interface Current {
  data: Record<string, string>;
  /** 0: no live version (never written, deleted or destroyed). */
  version: number;
}

/**
 * OpenBao (or Vault) KV v2. A write reads the secret, merges the consumer's field (other fields are
 * kept), and writes only if something changes, with check-and-set on the version it read: a retried
 * write finds its value already there and makes no second version, and a concurrent writer (another
 * consumer of the same secret, a person) is never overwritten, only merged with.
 */
export class OpenBaoKvStore implements SecretStore {
  readonly kind = 'openbao-kv' as const;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async write(consumer: ResolvedConsumer, value: string, _ctx: IncidentContext): Promise<StoreWrite> {
    const { spec, path, field } = this.target(consumer);
    const patch = field !== undefined ? { [field]: value } : jsonObject(value, consumer);
    const result = { consumer: consumer.name, store: consumer.store, key: consumer.key };
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const current = await this.current(spec, path, consumer);
      const merged = { ...current.data, ...patch };
      if (Object.entries(patch).every(([k, v]) => current.data[k] === v)) return { ...result, version: String(current.version), changed: false };
      const res = await this.call(spec, 'POST', `data/${path}`, consumer, { options: { cas: current.version }, data: merged });
      if (res.status === 400 && /check-and-set/i.test(res.text)) continue; // someone wrote in between: read again and merge
      if (!res.ok) throw this.failure(res, consumer);
      const version = (JSON.parse(res.text) as { data?: { version?: number } }).data?.version;
      return { ...result, version: String(version ?? current.version + 1), changed: true };
    }
    throw new Error(`OpenBao ${consumer.key}: the secret kept changing under ${CAS_ATTEMPTS} check-and-set writes`);
  }

  async read(consumer: ResolvedConsumer): Promise<string | undefined> {
    const { spec, path, field } = this.target(consumer);
    const { data, version } = await this.current(spec, path, consumer);
    if (version === 0) return undefined;
    return field !== undefined ? data[field] : JSON.stringify(data);
  }

  /** Every secret under `prefix` (a path, or the whole mount), each field visited as `path#field`. */
  async scan(spec: StoreSpec, prefix: string | undefined, visit: (key: string, value: string) => void, signal: AbortSignal): Promise<void> {
    const s = spec as OpenBaoKvSpec;
    const as = { name: 'discovery', store: 'discovery', key: prefix ?? '', field: 'json', storeSpec: s } as ResolvedConsumer;
    const folders = [prefix ? prefix.replace(/\/*$/, '/') : ''];
    for (let seen = 0; folders.length && !signal.aborted && seen < 100_000; ) {
      const folder = folders.shift()!;
      const res = await this.call(s, 'GET', `metadata/${folder}?list=true`, as);
      if (res.status === 404) continue;
      if (!res.ok) throw this.failure(res, as);
      for (const name of (JSON.parse(res.text) as { data: { keys: string[] } }).data.keys) {
        seen++;
        if (name.endsWith('/')) folders.push(`${folder}${name}`);
        else {
          const { data } = await this.current(s, `${folder}${name}`, as);
          for (const [field, value] of Object.entries(data)) if (typeof value === 'string') visit(`${folder}${name}#${field}`, value);
        }
      }
    }
  }

  private async current(spec: OpenBaoKvSpec, path: string, consumer: ResolvedConsumer): Promise<Current> {
    const res = await this.call(spec, 'GET', `data/${path}`, consumer);
    // 404 with a body naming the version: the latest version is deleted; without: never written.
    if (res.status === 404) {
      const version = (safeJson(res.text) as { data?: { metadata?: { version?: number } } } | undefined)?.data?.metadata?.version;
      return { data: {}, version: version ?? 0 };
    }
    if (!res.ok) throw this.failure(res, consumer);
    const body = JSON.parse(res.text) as { data: { data: Record<string, string> | null; metadata: { version: number } } };
    return { data: body.data.data ?? {}, version: body.data.metadata.version };
  }

  private async call(spec: OpenBaoKvSpec, method: 'GET' | 'POST', path: string, consumer: ResolvedConsumer, body?: unknown) {
    const token = this.env[spec.tokenEnv];
    if (!token) throw new PermanentError(`OpenBao ${consumer.key}: ${spec.tokenEnv} is not set (the token Leakstop uses for ${new URL(spec.address).host})`, 'denied');
    const url = `${spec.address.replace(/\/+$/, '')}/v1/${spec.mount}/${path}`;
    const headers: Record<string, string> = { 'x-vault-token': token, ...(spec.namespace ? { 'x-vault-namespace': spec.namespace } : {}) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'error', signal: AbortSignal.timeout(10_000) });
    return { ok: res.ok, status: res.status, text: await res.text() };
  }

  private target(consumer: ResolvedConsumer): { spec: OpenBaoKvSpec; path: string; field?: string } {
    const key = parseKey(consumer.key);
    if ('problem' in key) throw new PermanentError(`consumer ${consumer.name}: key ${key.problem}`, 'invalid');
    return { spec: consumer.storeSpec as OpenBaoKvSpec, ...key };
  }

  /** OpenBao's own words, never the request (which held the secret). */
  private failure(res: { status: number; text: string }, consumer: ResolvedConsumer): Error {
    const errors = ((safeJson(res.text) as { errors?: unknown[] } | undefined)?.errors ?? []).map(String).join('; ').replace(/\s+/g, ' ').trim().slice(0, 300);
    const what = `OpenBao ${consumer.key}: ${res.status}${errors ? ` ${errors}` : ''}`;
    if (res.status === 403) return new PermanentError(`${what} (the token may not write this path)`, 'denied');
    if (res.status === 404) return new PermanentError(`${what} (no KV v2 engine at this mount?)`, 'not-found');
    if (res.status === 400) return new PermanentError(what, 'invalid');
    return new Error(what); // 5xx, sealed (503): retried
  }
}

function jsonObject(value: string, consumer: ResolvedConsumer): Record<string, string> {
  const fields = stringsObjectIn(value);
  if (fields) return fields;
  throw new PermanentError(`consumer ${consumer.name}: key "${consumer.key}" names no field (path#field), and the value (field ${consumer.field}) is not a JSON object to merge`, 'invalid');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
