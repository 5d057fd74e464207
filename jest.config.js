// Unit tests: specs sit next to the code they test (apps/**, libs/**).
// The same path aliases as tsconfig.json, so tests import what the apps import.
const aliases = {
  '^@app/common(|/.*)$': '<rootDir>/libs/common/src$1',
  '^@app/pki(|/.*)$': '<rootDir>/libs/pki/src$1',
  '^@app/device-protocol(|/.*)$': '<rootDir>/libs/device-protocol/src$1',
};

/** @type {import('jest').Config} */
module.exports = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs'],
  testRegex: '.*\\.spec\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
  testEnvironment: 'node',
  moduleNameMapper: aliases,
};
module.exports.aliases = aliases;
