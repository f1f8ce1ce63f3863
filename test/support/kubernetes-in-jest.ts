import { nodeRequire } from './node-require';

// @kubernetes/client-node 1.x is ESM-only (see test/support/node-require.ts); the worker at run time needs no such help.
module.exports = nodeRequire()('@kubernetes/client-node');
