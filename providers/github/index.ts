import type { ProviderModule } from '../module';
import { GitHubActionsSecretStore } from './actions-secrets';
import type { GitHubAuth } from './client';
import { GitHubActionsVariableStore } from './actions-variables';
import { GitHubConfigSchema, githubConfig } from './config';
import { GitHubTokenProvider } from './credential';
import { GitHubWorkflowDeployer } from './deployer';
import { githubTokenKind } from './kind';
import { RevocationQueue } from './revocation-queue';
import { GitHubActionsSecretSpecSchema, GitHubActionsVariableSpecSchema, GitHubWorkflowDeployerSpecSchema } from './spec-schemas';

/** Leakstop's GitHub settings: the API (GitHub Enterprise, or a local fake in tests) and its own token. */
export interface GitHubSettings {
  baseUrl?: string;
  /** For Actions secrets and variables, workflow dispatch, issues and alerts (not for revocation): a token or a GitHub App installation. */
  token?: GitHubAuth;
}

export function githubSettings(ctx: { env: NodeJS.ProcessEnv; settings: Record<string, unknown> }): GitHubSettings {
  return (ctx.settings.github as GitHubSettings | undefined) ?? { baseUrl: ctx.env.LEAKSTOP_GITHUB_API_URL || undefined, token: ctx.env.LEAKSTOP_GITHUB_TOKEN || undefined };
}

/** GitHub tokens (revoked, replaced by a person, verified; an organization's listed for the audit), Actions secrets and variables, workflow_dispatch. */
export const githubModule: ProviderModule = {
  name: 'github',
  credential: githubTokenKind,
  stores: [
    { kind: 'github-actions-secret', spec: GitHubActionsSecretSpecSchema },
    { kind: 'github-actions-variable', spec: GitHubActionsVariableSpecSchema },
  ],
  deployers: [{ kind: 'github-workflow', spec: GitHubWorkflowDeployerSpecSchema }],
  config: GitHubConfigSchema,
  create(ctx) {
    const { baseUrl, token } = githubSettings(ctx);
    const { org, tokenLists } = githubConfig(ctx.config);
    const gh = { baseUrl, auth: token };
    const orgTokens = org ? { baseUrl, token, org, lists: tokenLists } : undefined;
    return {
      credential: new GitHubTokenProvider({ baseUrl, revocations: new RevocationQueue({ baseUrl }), orgTokens }, ctx.vault),
      stores: [new GitHubActionsSecretStore(gh), new GitHubActionsVariableStore(gh)],
      deployers: [new GitHubWorkflowDeployer(gh)],
    };
  },
};
