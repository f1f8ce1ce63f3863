import { z } from 'zod';

// Inventory shapes for GitHub stores and deployers, part of StoreSpecSchema / DeployerSpecSchema.

const duration = z.string().regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 500ms, 30s, 15m or 2h');
const repository = z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, 'must be owner/repo');

/** A repository, environment or organization Actions secret. The consumer's `key` is the secret's name. */
export const GitHubActionsSecretSpecSchema = z
  .strictObject({
    kind: z.literal('github-actions-secret'),
    repository: repository.optional(),
    organization: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an organization login').optional(),
    /** A deployment environment of `repository`. */
    environment: z.string().min(1).optional(),
    /** Which repositories of the organization may use the secret (organization secrets only). */
    visibility: z.enum(['all', 'private', 'selected']).optional(),
    selectedRepositoryIds: z.array(z.number().int().positive()).optional(),
  })
  .superRefine((s, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (Boolean(s.repository) === Boolean(s.organization)) problem('repository', 'set exactly one of repository or organization');
    if (s.environment && !s.repository) problem('environment', 'needs a repository');
    if (s.organization && !s.visibility) problem('visibility', 'is required for an organization secret (all, private or selected)');
    if (s.repository && (s.visibility || s.selectedRepositoryIds)) problem('visibility', 'applies to organization secrets only');
    if (s.selectedRepositoryIds && s.visibility !== 'selected') problem('selectedRepositoryIds', 'needs visibility: selected');
  });

/** A repository Actions variable: plain text, readable by anyone who can read the repository. */
export const GitHubActionsVariableSpecSchema = z.strictObject({
  kind: z.literal('github-actions-variable'),
  repository,
});

export const GitHubStoreSpecSchema = z.discriminatedUnion('kind', [GitHubActionsSecretSpecSchema, GitHubActionsVariableSpecSchema]);
export type GitHubActionsSecretSpec = z.infer<typeof GitHubActionsSecretSpecSchema>;
export type GitHubActionsVariableSpec = z.infer<typeof GitHubActionsVariableSpecSchema>;
export type GitHubStoreSpec = z.infer<typeof GitHubStoreSpecSchema>;

/**
 * Redeploy by `workflow_dispatch`. The workflow receives Leakstop's run marker in the input named
 * `markerInput` and must show it in its `run-name:` (e.g. `run-name: deploy ${{ inputs.leakstop_run }}`),
 * so a retried dispatch finds the run it already started instead of starting another.
 */
export const GitHubWorkflowDeployerSpecSchema = z.strictObject({
  kind: z.literal('github-workflow'),
  repository,
  /** The workflow file name (`deploy.yml`) or its numeric id. */
  workflow: z.string().min(1),
  ref: z.string().min(1).default('main'),
  inputs: z.record(z.string(), z.string()).default({}),
  markerInput: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'must be a workflow input name')
    .default('leakstop_run'),
  timeout: duration.default('30m'),
  pollInterval: duration.default('10s'),
});
export type GitHubWorkflowDeployerSpec = z.infer<typeof GitHubWorkflowDeployerSpecSchema>;

