/** One Temporal dev server and one moto server for the whole run (global set-up); workflows bundled once. */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // octokit v5, @octokit/auth-app and @kubernetes/client-node 1.x are ESM-only; see test/support/octokit-in-jest.ts.
  moduleNameMapper: { '^octokit$': '<rootDir>/test/support/octokit-in-jest.ts', '^@octokit/auth-app$': '<rootDir>/test/support/auth-app-in-jest.ts', '^@kubernetes/client-node$': '<rootDir>/test/support/kubernetes-in-jest.ts' },
  setupFiles: ['<rootDir>/test/support/quiet.ts', '<rootDir>/test/support/providers.ts'],
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 120_000,
  maxWorkers: 2,
};
