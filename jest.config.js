// Unit tests: specs sit next to the code they test (apps/**, libs/**, bench/**, tools/**), and
// resolve the same path aliases as TypeScript.
/** @type {import('jest').Config} */
module.exports = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/bench', '<rootDir>/tools'],
  testRegex: '.*\\.spec\\.ts$',
  // Type errors are `npm run typecheck`'s job; tests only transpile.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testEnvironment: 'node',
  // A bound against hangs, not a speed limit: on a busy machine RSA key generation alone can take seconds.
  testTimeout: 30000,
  moduleNameMapper: require('./jest.aliases'),
  // Jest's own report, then one plain closing line with the counts (test/support/summary-reporter.js).
  reporters: ['default', ['<rootDir>/test/support/summary-reporter.js', { label: 'unit' }]],
};
