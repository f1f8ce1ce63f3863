import { nodeRequire } from './node-require';

// @octokit/auth-app is ESM-only, like octokit (see test/support/node-require.ts).
export const { createAppAuth } = nodeRequire()('@octokit/auth-app') as typeof import('@octokit/auth-app');
