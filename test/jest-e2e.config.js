// e2e tests: the real broker and database (started by global setup when not
// already running), the real apps booted in-process over HTTPS and AMQPS.
const aliases = require('../jest.aliases');

/** @type {import('jest').Config} */
module.exports = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '..',
  roots: ['<rootDir>/test'],
  testRegex: '.*\\.e2e-spec\\.ts$',
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        // The Swagger CLI plugin, as in nest-cli.json, so the tested OpenAPI document is the shipped one.
        astTransformers: { before: ['<rootDir>/test/support/swagger-plugin.transformer.js'] },
        diagnostics: false,
      },
    ],
  },
  testEnvironment: 'node',
  moduleNameMapper: aliases,
  // Jest's own report, then one plain closing line with the counts (test/support/summary-reporter.js).
  reporters: ['default', ['<rootDir>/test/support/summary-reporter.js', { label: 'e2e' }]],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
};
