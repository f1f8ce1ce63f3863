import { findGitHubTokens } from './token-format';
import type { StoreWrite } from '../../domain/results';
import type { ResolvedConsumer, StoreSpec } from '../../domain/schemas';
import { PermanentError, type IncidentContext, type SecretStore } from '../types';
import { incidentMarker } from './actions-secrets';
import { createGitHubClient, httpStatus, type GitHubClient, type GitHubClientOptions } from './client';
import { permanentFor } from './permanent-errors';
import { GitHubActionsVariableSpecSchema, repoParts, storeSpecOf, type GitHubStoreConsumer } from './specs';

const VARIABLE_NAME = /^(?!GITHUB_)[A-Za-z_][A-Za-z0-9_]*$/i;
/** Consumer fields that carry secret material (domain/schemas.ts SECRET_FIELDS): never plain text. */
const SECRET_BEARING_FIELDS = new Set(['json', 'secretAccessKey']);

/**
 * GitHub Actions variables of a repository, for values that are not secret (an access key id, a token's
 * owner). Variables are plain text for anyone who can read the repository, so secret material is
 * refused. Created or updated; a value already in place is left alone (`changed: false`).
 */
export class GitHubActionsVariableStore implements SecretStore {
  readonly kind = 'github-actions-variable' as const;
  private readonly client: GitHubClient;

  constructor(o: GitHubClientOptions) {
    this.client = createGitHubClient(o);
  }

  async write(consumer: ResolvedConsumer | GitHubStoreConsumer, value: string, ctx: IncidentContext): Promise<StoreWrite> {
    const spec = storeSpecOf(consumer, GitHubActionsVariableSpecSchema);
    if (SECRET_BEARING_FIELDS.has(consumer.field) || findGitHubTokens(value).length) {
      throw new PermanentError(
        `consumer ${consumer.name}: an Actions variable is readable by anyone who can read ${spec.repository}; refusing to put secret material (field ${consumer.field}) in it. Use a github-actions-secret store`,
        'invalid',
      );
    }
    if (!VARIABLE_NAME.test(consumer.key)) {
      throw new PermanentError(`consumer ${consumer.name}: "${consumer.key}" is not a valid Actions variable name`, 'invalid');
    }
    const { owner, repo } = repoParts(spec.repository);
    const name = consumer.key;
    const result = { consumer: consumer.name, store: consumer.store, key: `${spec.repository}: ${name}`, version: incidentMarker(ctx.incidentId, consumer.name) };
    try {
      const current = await this.current(owner, repo, name);
      if (current === value) return { ...result, changed: false };
      if (current === undefined) {
        const created = await this.client.rest.actions.createRepoVariable({ owner, repo, name, value }).then(
          () => true,
          (err) => (httpStatus(err) === 409 ? false : Promise.reject(err)), // created meanwhile: update it below
        );
        if (created) return { ...result, changed: true };
      }
      await this.client.rest.actions.updateRepoVariable({ owner, repo, name, value });
      return { ...result, changed: true };
    } catch (err) {
      throw permanentFor(err, `Actions variable ${name} in ${spec.repository}`) ?? err;
    }
  }

  async read(consumer: ResolvedConsumer | GitHubStoreConsumer): Promise<string | undefined> {
    const { owner, repo } = repoParts(storeSpecOf(consumer, GitHubActionsVariableSpecSchema).repository);
    return this.current(owner, repo, consumer.key);
  }

  private current(owner: string, repo: string, name: string): Promise<string | undefined> {
    return this.client.rest.actions.getRepoVariable({ owner, repo, name }).then(
      (r) => r.data.value,
      (err) => (httpStatus(err) === 404 ? undefined : Promise.reject(err)),
    );
  }
}
