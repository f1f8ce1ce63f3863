import Module from 'node:module';

// ESM-only packages (octokit v5, @kubernetes/client-node 1.x) under Jest on Node 20: Jest 30 loads ESM
// through require() only on Node >= 24.9, and jest.config.js does not transform node_modules, but Node
// itself (>= 20.19) can require() ESM. The *-in-jest.ts modules hand over the real package from Node's
// own loader; jest.config.js maps the package names to them, for every test at once.

type ModuleClass = { createRequire(path: string): NodeJS.Require };

/** Node's own require. Jest replaces `node:module` with a subclass whose createRequire is Jest's; its parent is Node's. */
export function nodeRequire(): NodeJS.Require {
  const jestModule = Module as unknown as ModuleClass;
  const parent = Object.getPrototypeOf(jestModule) as Partial<ModuleClass>;
  const node = typeof parent.createRequire === 'function' ? (parent as ModuleClass) : jestModule;
  return node.createRequire(__filename);
}
