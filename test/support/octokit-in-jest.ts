import { nodeRequire } from './node-require';

// octokit v5 is ESM-only (see test/support/node-require.ts).
const octokit = nodeRequire()('octokit') as typeof import('octokit');
export const { Octokit, RequestError, App, OAuthApp, createNodeMiddleware } = octokit;
