import Module from 'node:module';

// @kubernetes/client-node 1.x is ESM-only, like octokit v5 (see test/support/octokit-in-jest.ts, the
// same way out): under Jest on Node 20 it cannot be required through Jest's loader, so this module hands
// over the real package from Node's own loader (Node >= 20.19 requires ESM). jest.config.js maps
// `^@kubernetes/client-node$` here, for every test at once; the worker at run time needs no such help.

type ModuleClass = { createRequire(path: string): NodeJS.Require };

/** Jest replaces `node:module` with a subclass whose createRequire is Jest's; its parent is Node's. */
function nodeRequire(): NodeJS.Require {
  const jestModule = Module as unknown as ModuleClass;
  const parent = Object.getPrototypeOf(jestModule) as Partial<ModuleClass>;
  const node = typeof parent.createRequire === 'function' ? (parent as ModuleClass) : jestModule;
  return node.createRequire(__filename);
}

module.exports = nodeRequire()('@kubernetes/client-node');
