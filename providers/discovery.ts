import { stringify } from 'yaml';
import { durationMs } from '../domain/duration';
import type { DiscoveredPlace } from '../domain/incident';
import type { Consumer, CredentialEntry, Inventory, ResolvedConsumer } from '../domain/schemas';
import type { Catalog } from './catalog';
import type { Registry } from './registry';
import type { SecretStore } from './types';

// Where credentials live: every store of the inventory that can be listed is searched, each under its
// prefixes and bounded in time, for credentials any provider module recognises: AWS access key ids by
// their public id, tokens by their format (then named by their fingerprint). Values are compared here,
// in the process, and dropped: only where a credential was found, and how, leaves this file.

/** What a store says runs from one of its entries (SecretStore.runners), and one of those. */
export type Runners = Awaited<ReturnType<NonNullable<SecretStore['runners']>>>;
export type Runner = Runners['runners'][number];

/** Entries longer than this are not one credential's setting (a bundle, a certificate chain): skipped. */
const MAX_VALUE = 64 * 1024;

export interface Found {
  /** The inventory's name of the store, and the entry in it (for OpenBao, `path#field`). */
  store: string;
  key: string;
  provider: string;
  /** Empty for a candidate by name: which credential of the kind it holds, if any, cannot be told. */
  credentialId: string;
  /** `name`: a store that never shows values (GitHub Actions secrets) has an entry named like this kind's settings; unverified. */
  matchedBy: 'id' | 'fingerprint' | 'name';
  /** What a consumer of this entry receives, when the entry is the credential (or its JSON); none when it is found inside other text. */
  field?: string;
}

export interface Discovery {
  found: Found[];
  /** Sources that failed or were cut off by the timeout (what they found before counts). */
  problems: { store: string; problem: string }[];
  /** How many entries were compared. */
  entries: number;
  ms: number;
}

export async function discover(o: { inventory: Inventory; registry: Registry; catalog: Catalog; now?: () => number }): Promise<Discovery> {
  const now = o.now ?? Date.now;
  const began = now();
  const timeout = durationMs(o.inventory.discovery.timeout);
  const configured = o.inventory.discovery.sources;
  const names = Object.keys(configured).length ? Object.keys(configured) : Object.keys(o.inventory.stores);
  const matchers = matchersFor(o.catalog);
  const namedKinds = o.catalog.kinds.map((k) => o.catalog.credential(k)).filter((k) => k.secretNames);
  const found: Found[] = [];
  const problems: Discovery['problems'] = [];
  let entries = 0;
  await Promise.all(
    names.map(async (store) => {
      const spec = o.inventory.stores[store]!;
      const impl = o.registry.store(spec.kind);
      const signal = AbortSignal.timeout(timeout);
      const prefixes = configured[store]?.prefixes.length ? configured[store]!.prefixes : [undefined];
      if (!impl.scan && impl.names) {
        // Values cannot be read: entries named like a kind's settings are candidates, by name only.
        for (const prefix of prefixes) {
          try {
            for (const key of await impl.names(spec, prefix, signal)) {
              entries++;
              for (const kind of namedKinds) if (kind.secretNames!.test(key)) found.push({ store, key, provider: kind.kind, credentialId: '', matchedBy: 'name' });
            }
          } catch (err) {
            problems.push({ store, problem: signal.aborted ? `cut off after ${o.inventory.discovery.timeout}` : (err as Error).message.slice(0, 300) });
          }
        }
        return;
      }
      if (!impl.scan) return void problems.push({ store, problem: `a ${spec.kind} store cannot be listed` });
      for (const prefix of prefixes) {
        try {
          await impl.scan(spec, prefix, (key, value) => {
            entries++;
            if (value.length <= MAX_VALUE) found.push(...matchers(value).map((m) => ({ store, key, ...m })));
          }, signal);
        } catch (err) {
          problems.push({ store, problem: signal.aborted ? `cut off after ${o.inventory.discovery.timeout}` : (err as Error).message.slice(0, 300) });
        }
        if (signal.aborted) break;
      }
    }),
  );
  return { found: dedupe(found), problems, entries, ms: now() - began };
}

/** For one value: every credential in it, named as its module names it, and what a consumer of it would receive. */
function matchersFor(catalog: Catalog): (value: string) => Omit<Found, 'store' | 'key'>[] {
  const kinds = catalog.kinds.map((k) => catalog.credential(k));
  return (value) => {
    const out: Omit<Found, 'store' | 'key'>[] = [];
    const whole = value.trim();
    const json = isJsonObject(whole);
    for (const kind of kinds) {
      // A public id (an AWS access key id) is matched as itself.
      if (kind.idsInText) {
        for (const id of whole.match(new RegExp(kind.idsInText.source, 'g')) ?? []) {
          if (kind.checkId(id) !== undefined) continue;
          out.push({ provider: kind.kind, credentialId: id, matchedBy: 'id', ...fieldFor(kind.fields, whole === id, json, 0) });
        }
      }
      // A secret is matched by its format, then named by its module (a fingerprint of the value).
      for (const pattern of Object.values(kind.patterns)) {
        for (const m of whole.matchAll(new RegExp(pattern.source, 'g'))) {
          if (pattern.plausible && !pattern.plausible(m[0])) continue;
          const r = kind.recognise({ scanner: 'pasted', raw: m[0] });
          if ('credentialId' in r) out.push({ provider: kind.kind, credentialId: r.credentialId, matchedBy: 'fingerprint', ...fieldFor(kind.fields, whole === m[0], json, 0) });
        }
      }
    }
    return out;
  };
}

function fieldFor(fields: readonly string[], whole: boolean, json: boolean, index: number): { field?: string } {
  if (whole && fields[index]) return { field: fields[index] };
  return json ? { field: 'json' } : {};
}

function isJsonObject(text: string): boolean {
  if (!text.startsWith('{')) return false;
  try {
    const v = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

function dedupe(found: Found[]): Found[] {
  const seen = new Set<string>();
  return found.filter((f) => {
    const k = `${f.store}\0${f.key}\0${f.provider}\0${f.credentialId}`;
    return !seen.has(k) && (seen.add(k), true);
  });
}

/**
 * The inventory with what discovery found added: consumers of credentials it lists (matched by owner or
 * id), new entries for the rest (by owner where the provider could name one, else by credential id).
 * Places where a credential sits inside other text cannot be written as a whole: they are listed at the
 * end, commented, for a person to decide.
 */
export function draftInventory(inventory: Inventory, found: Found[], owners: ReadonlyMap<string, string>): string {
  const credentials: CredentialEntry[] = inventory.credentials.map((c) => ({ ...c, consumers: [...c.consumers] }));
  const inText: Found[] = [];
  for (let f of found) {
    if (!f.field) {
      inText.push(f);
      continue;
    }
    f = placeOf(f);
    const owner = owners.get(`${f.provider}\0${f.credentialId}`);
    let entry = credentials.find((c) => c.provider === f.provider && (c.credentialId === f.credentialId || (owner !== undefined && c.owner === owner)));
    if (!entry) credentials.push((entry = { provider: f.provider, ...(owner ? { owner } : { credentialId: f.credentialId }), consumers: [] }));
    if (entry.consumers.some((c) => c.store === f.store && c.key === f.key)) continue;
    const consumer: Consumer = { name: consumerName(entry, f), store: f.store, key: f.key, field: f.field! };
    entry.consumers.push(consumer);
  }
  const draft = stringify({ ...inventory, credentials }, { lineWidth: 0 });
  const notes = inText.filter((f) => f.matchedBy !== 'name').map((f) => `#   ${f.provider} ${f.credentialId} in ${f.store} ${f.key} (inside other text: write it by hand, or split the entry)`);
  const byName = inText.filter((f) => f.matchedBy === 'name').map((f) => `#   ${f.store} ${f.key}: named like a credential of kind ${f.provider} (unverified: the store never shows values; add it as a consumer if it holds one)`);
  return `# Draft inventory from leakstop inventory discover: review before use.\n${draft}${notes.length ? `# Found inside other text, not added:\n${notes.join('\n')}\n` : ''}${byName.length ? `# Candidates by name only, not added:\n${byName.join('\n')}\n` : ''}`;
}

function consumerName(entry: CredentialEntry, f: Found): string {
  const base = `${f.store}-${f.key}`.replace(/[^A-Za-z0-9_.]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || f.store;
  let name = base;
  for (let n = 2; entry.consumers.some((c) => c.name === name); n++) name = `${base}-${n}`;
  return name;
}

/**
 * Where a consumer of a found credential writes: a public id in one field of a secret (OpenBao's
 * `path#field`) has its secret beside it, so the consumer is the whole secret, merged as JSON.
 */
export function placeOf(f: Found): Found {
  return f.matchedBy === 'id' && f.key.includes('#') ? { ...f, key: f.key.split('#')[0]!, field: 'json' } : f;
}

/** Discovery needs no vault: a store that asked for one would be a bug. */
export const NO_VAULT = {
  put: () => Promise.reject(new Error('discovery keeps no secret')),
  get: () => Promise.reject(new Error('discovery reads no vault')),
  delete: () => Promise.resolve(),
};

/**
 * During an incident: the places holding this credential that the inventory does not list (`known`),
 * and consumers for those a value can be written to: one per place and what runs from it (the store's
 * runners, each with its deployer spec), so that each is restarted once the new value is written there;
 * the place alone when nothing runs from it that its store can name. None when the inventory names no
 * sources. With `report`, nothing is written, so what runs from the places is not looked for.
 */
export async function unlistedPlaces(o: {
  inventory: Inventory;
  registry: Registry;
  catalog: Catalog;
  provider: string;
  credentialId: string;
  known: { store: string; key: string }[];
  now?: () => number;
}): Promise<{ places: DiscoveredPlace[]; consumers: ResolvedConsumer[]; mode: Inventory['discovery']['discovered']; problems: string[]; ms: number } | undefined> {
  const cfg = o.inventory.discovery;
  if (Object.keys(cfg.sources).length === 0) return undefined;
  const now = o.now ?? Date.now;
  const began = now();
  const d = await discover(o);
  const listed = (store: string, key: string) => o.known.some((k) => k.store === store && (k.key === key || k.key.split('#')[0] === key));
  const places = new Map<string, DiscoveredPlace>();
  for (const f of d.found) {
    if (f.provider !== o.provider || (f.matchedBy !== 'name' && f.credentialId !== o.credentialId)) continue;
    const p = placeOf(f);
    if (!listed(p.store, p.key)) places.set(`${p.store}\0${p.key}`, { store: p.store, key: p.key, matchedBy: p.matchedBy, ...(p.field ? { field: p.field } : {}) });
  }
  const found = [...places.values()];
  const writable = found.filter((p) => p.field);
  const problems = d.problems.map((p) => `${p.store}: ${p.problem}`);
  const runners = cfg.discovered === 'report' ? new Map<DiscoveredPlace, Runner[]>() : await runnersOf(writable, o.inventory, o.registry, problems);
  const names = new Set<string>();
  const unique = (name: string) => {
    let n = name;
    for (let i = 2; names.has(n); i++) n = `${name}-${i}`;
    return names.add(n), n;
  };
  const consumers = writable.flatMap((p): ResolvedConsumer[] => {
    const base = { store: p.store, key: p.key, field: p.field!, ...(p.field === 'json' ? { merge: true } : {}), storeSpec: o.inventory.stores[p.store]! };
    const rs = runners.get(p) ?? [];
    if (rs.length === 0) return [{ name: unique(discoveredName(p)), ...base }];
    return rs.map((r) => ({ name: unique(`${discoveredName(p)}/${slug(r.name)}`), ...base, deploy: discoveredDeployer(p.store, r.name), deployerSpec: r.deployer }));
  });
  return { places: found, consumers, mode: cfg.discovered, problems, ms: now() - began };
}

/**
 * What runs from each place, asked of its store (stores that cannot say have none), each store bounded by
 * the discovery timeout as its search was. A store that fails or is cut off is a problem, as is whatever
 * runs from a place but is left to a person: its places are then written without a restart.
 */
async function runnersOf(places: DiscoveredPlace[], inventory: Inventory, registry: Registry, problems: string[]): Promise<Map<DiscoveredPlace, Runner[]>> {
  const out = new Map<DiscoveredPlace, Runner[]>();
  const stores = [...new Set(places.map((p) => p.store))];
  await Promise.all(
    stores.map(async (store) => {
      const spec = inventory.stores[store]!;
      const impl = registry.store(spec.kind);
      if (!impl.runners) return;
      const signal = AbortSignal.timeout(durationMs(inventory.discovery.timeout));
      await Promise.all(
        places
          .filter((p) => p.store === store)
          .map(async (p) => {
            try {
              const r = await impl.runners!(spec, p.key, signal);
              out.set(p, r.runners);
              problems.push(...r.leftAlone.map((why) => `${store} ${p.key}: ${why}`));
              // A store stops listing once the signal aborts: what it named is restarted, the rest may be missing.
              if (signal.aborted) problems.push(`${store} ${p.key}: listing what runs from it was cut off after ${inventory.discovery.timeout}; more may read it than is restarted`);
            } catch (err) {
              const why = signal.aborted ? `cut off after ${inventory.discovery.timeout}` : (err as Error).message.slice(0, 300);
              problems.push(`${store} ${p.key}: what runs from it could not be listed (${why}); it is written but nothing is restarted`);
            }
          }),
      );
    }),
  );
  return out;
}

/** A discovered place's consumer name: `discovered-<store>-<key>`, in the characters consumer names use; `/<runner>` follows for each thing that runs from it. */
export const discoveredName = (p: { store: string; key: string }) => `discovered-${p.store}-${p.key}`.replace(/[^A-Za-z0-9_.]+/g, '-').replace(/-+$/, '').slice(0, 100);

/** The name a discovered runner's deployer goes by (a consumer's `deploy`, and the post-mortem's `deployers:` entry). */
export const discoveredDeployer = (store: string, runner: string) => slug(`discovered-${store}-${runner}`).slice(0, 120);

const slug = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '-');

/** Owners, where a provider can name one from the public id alone (an AWS key's IAM user), by `provider\0id`. */
export async function ownersOf(found: readonly Found[], registry: Registry): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  for (const f of found.filter((x) => x.matchedBy === 'id')) {
    const key = `${f.provider}\0${f.credentialId}`;
    if (owners.has(key)) continue;
    const owner = await registry.credential(f.provider).identify({ id: f.credentialId }).then((i) => i.owner, () => undefined);
    if (owner && owner !== 'unknown') owners.set(key, owner);
  }
  return owners;
}
