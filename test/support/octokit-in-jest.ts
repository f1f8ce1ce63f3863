import Module from 'node:module';

// octokit v5 is ESM-only. Jest 30 loads ESM through require() only on Node >= 24.9, and jest.config.js
// does not transform node_modules, so under Jest on Node 20 `import { Octokit } from 'octokit'` fails.
// Node itself (>= 20.19) can require() ESM: this module hands over the real package from Node's own
// loader. jest.config.js maps `^octokit$` to this file (moduleNameMapper), for every test at once.


type ModuleClass = { createRequire(path: string): NodeJS.Require };

/** Jest replaces `node:module` with a subclass whose createRequire is Jest's; its parent is Node's. */
function nodeRequire(): NodeJS.Require {
  const jestModule = Module as unknown as ModuleClass;
  const parent = Object.getPrototypeOf(jestModule) as Partial<ModuleClass>;
  const node = typeof parent.createRequire === 'function' ? (parent as ModuleClass) : jestModule;
  return node.createRequire(__filename);
}

const octokit = nodeRequire()('octokit') as typeof import('octokit');
export const { Octokit, RequestError, App, OAuthApp, createNodeMiddleware } = octokit;
