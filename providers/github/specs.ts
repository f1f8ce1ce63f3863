import type { z } from 'zod';
import {
  GitHubWorkflowDeployerSpecSchema,
  type GitHubStoreSpec,
  type GitHubWorkflowDeployerSpec,
} from './spec-schemas';
import type { DeployerSpec, ResolvedConsumer, StoreSpec } from '../../domain/schemas';
import { PermanentError } from '../types';

export * from './spec-schemas';

/** A consumer whose store is a GitHub one (what ResolvedConsumer becomes once the schemas are merged). */
export type GitHubStoreConsumer<S extends GitHubStoreSpec = GitHubStoreSpec> = Omit<ResolvedConsumer, 'storeSpec'> & { storeSpec: S };
export type GitHubDeployConsumer = Omit<ResolvedConsumer, 'deployerSpec'> & { deployerSpec?: GitHubWorkflowDeployerSpec };

/** The consumer's store spec, checked against `schema`; a wrong inventory entry is for a person to fix. */
export function storeSpecOf<S extends GitHubStoreSpec>(
  consumer: { name: string; storeSpec: StoreSpec | GitHubStoreSpec },
  schema: z.ZodType<S>,
): S {
  return checked(schema, consumer.storeSpec, `store of consumer ${consumer.name}`);
}

export function deployerSpecOf(spec: DeployerSpec | GitHubWorkflowDeployerSpec | undefined, consumer: string): GitHubWorkflowDeployerSpec {
  return checked(GitHubWorkflowDeployerSpecSchema, spec, `deployer of consumer ${consumer}`);
}

function checked<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.join('.') || '(spec)'}: ${i.message}`).join('; ');
  throw new PermanentError(`${what} is not a valid GitHub spec: ${problems}`, 'invalid');
}

/** Splits `owner/repo` (already checked by the schemas). */
export function repoParts(repository: string): { owner: string; repo: string } {
  const [owner, repo] = repository.split('/') as [string, string];
  return { owner, repo };
}
