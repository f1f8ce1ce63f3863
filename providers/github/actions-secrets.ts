import { createHash } from 'node:crypto';
import type { StoreWrite } from '../../domain/results';
import type { ResolvedConsumer, StoreSpec } from '../../domain/schemas';
import { PermanentError, type IncidentContext, type SecretStore } from '../types';
import { createGitHubClient, httpStatus, type GitHubClient, type GitHubClientOptions } from './client';
import { permanentFor } from './permanent-errors';
import { sealForGitHub } from './sealed-box';
import { GitHubActionsSecretSpecSchema, repoParts, storeSpecOf, type GitHubActionsSecretSpec, type GitHubStoreConsumer } from './specs';

/** GitHub's rule for secret names: letters, digits and underscores, not starting with a digit or GITHUB_. */
const SECRET_NAME = /^(?!GITHUB_)[A-Za-z_][A-Za-z0-9_]*$/i;

interface Target {
  /** How people read it: `acme/api`, `acme/api (environment prod)`, `organization acme`. */
  where: string;
  publicKey(): Promise<{ key_id: string; key: string }>;
  /** When the secret was last written, or undefined when it does not exist. */
  updatedAt(): Promise<string | undefined>;
  put(encrypted: string, keyId: string): Promise<void>;
}

/**
 * GitHub Actions secrets of a repository, an environment or an organization; the consumer's key is the
 * secret's name. GitHub keeps no versions, so a retried write simply writes the same value again
 * (harmless). The reported version is the public key id plus a marker of incident and consumer; a write
 * reports `changed: false` when the secret was already written since the incident started.
 */
export class GitHubActionsSecretStore implements SecretStore {
  readonly kind = 'github-actions-secret' as const;
  private readonly client: GitHubClient;

  constructor(o: GitHubClientOptions) {
    this.client = createGitHubClient(o);
  }

  async write(consumer: ResolvedConsumer | GitHubStoreConsumer, value: string, ctx: IncidentContext): Promise<StoreWrite> {
    const spec = storeSpecOf(consumer, GitHubActionsSecretSpecSchema);
    if (!SECRET_NAME.test(consumer.key)) {
      throw new PermanentError(`consumer ${consumer.name}: "${consumer.key}" is not a valid Actions secret name (letters, digits, _; not GITHUB_…)`, 'invalid');
    }
    const target = this.target(spec, consumer.key);
    return this.call(target, async () => {
      const before = await target.updatedAt();
      const { key_id, key } = await target.publicKey();
      await target.put(await sealForGitHub(key, value), key_id);
      return {
        consumer: consumer.name,
        store: consumer.store,
        key: `${target.where}: ${consumer.key}`,
        version: `${key_id}:${incidentMarker(ctx.incidentId, consumer.name)}`,
        // Timestamps are whole seconds: compare from the second the incident started.
        changed: !(before && Date.parse(before) >= Math.floor(Date.parse(ctx.startedAt) / 1000) * 1000),
      };
    });
  }

  /**
   * The secrets' names (GitHub shows names and dates, never values), every page, those starting with
   * `prefix`: discovery reports the ones named like a credential as unverified candidates.
   */
  async names(spec: StoreSpec, prefix: string | undefined, signal: AbortSignal): Promise<string[]> {
    const s = GitHubActionsSecretSpecSchema.parse(spec);
    const gh = this.client;
    const where = s.organization ? `organization ${s.organization}` : s.environment ? `${s.repository} (environment ${s.environment})` : s.repository!;
    const page = async (n: number): Promise<{ names: string[]; total: number }> => {
      const request = { per_page: 100, page: n, request: { signal } };
      const { data } = s.organization
        ? await gh.rest.actions.listOrgSecrets({ org: s.organization, ...request })
        : s.environment
          ? await gh.rest.actions.listEnvironmentSecrets({ ...repoParts(s.repository!), environment_name: s.environment, ...request })
          : await gh.rest.actions.listRepoSecrets({ ...repoParts(s.repository!), ...request });
      return { names: data.secrets.map((x) => x.name), total: data.total_count };
    };
    const out: string[] = [];
    try {
      // At most 100 pages (10,000 secrets): a scope holds far fewer (GitHub allows 1,000 per organization).
      for (let n = 1; n <= 100 && !signal.aborted; n++) {
        const { names, total } = await page(n);
        out.push(...names);
        if (names.length === 0 || out.length >= total) break;
      }
    } catch (err) {
      throw permanentFor(err, `GitHub Actions secrets of ${where}`) ?? err;
    }
    return out.filter((name) => !prefix || name.toUpperCase().startsWith(prefix.toUpperCase()));
  }

  /** Always undefined: GitHub never returns a secret's value, to anyone. */
  async read(): Promise<string | undefined> {
    return undefined;
  }

  private target(spec: GitHubActionsSecretSpec, name: string): Target {
    const gh = this.client;
    const since = async (get: () => Promise<{ data: { updated_at: string } }>) =>
      get().then((r) => r.data.updated_at, (err) => (httpStatus(err) === 404 ? undefined : Promise.reject(err)));
    if (spec.organization) {
      const org = spec.organization;
      return {
        where: `organization ${org}`,
        publicKey: async () => (await gh.rest.actions.getOrgPublicKey({ org })).data,
        updatedAt: () => since(() => gh.rest.actions.getOrgSecret({ org, secret_name: name })),
        put: async (encrypted_value, key_id) => {
          await gh.rest.actions.createOrUpdateOrgSecret({
            org,
            secret_name: name,
            encrypted_value,
            key_id,
            visibility: spec.visibility!,
            ...(spec.selectedRepositoryIds ? { selected_repository_ids: spec.selectedRepositoryIds } : {}),
          });
        },
      };
    }
    const { owner, repo } = repoParts(spec.repository!);
    if (spec.environment) {
      const environment_name = spec.environment;
      return {
        where: `${spec.repository} (environment ${environment_name})`,
        publicKey: async () => (await gh.rest.actions.getEnvironmentPublicKey({ owner, repo, environment_name })).data,
        updatedAt: () => since(() => gh.rest.actions.getEnvironmentSecret({ owner, repo, environment_name, secret_name: name })),
        put: async (encrypted_value, key_id) => {
          await gh.rest.actions.createOrUpdateEnvironmentSecret({ owner, repo, environment_name, secret_name: name, encrypted_value, key_id });
        },
      };
    }
    return {
      where: spec.repository!,
      publicKey: async () => (await gh.rest.actions.getRepoPublicKey({ owner, repo })).data,
      updatedAt: () => since(() => gh.rest.actions.getRepoSecret({ owner, repo, secret_name: name })),
      put: async (encrypted_value, key_id) => {
        await gh.rest.actions.createOrUpdateRepoSecret({ owner, repo, secret_name: name, encrypted_value, key_id });
      },
    };
  }

  /** Refusals retrying cannot fix become PermanentError, named by target; the value never appears. */
  private async call<T>(target: Target, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw permanentFor(err, `GitHub Actions secret in ${target.where}`) ?? err;
    }
  }
}

/** Same incident and consumer → same marker, so a retried write reports the same version. */
export function incidentMarker(incidentId: string, consumer: string): string {
  return createHash('sha256').update(`${incidentId}\0${consumer}`).digest('hex').slice(0, 12);
}
