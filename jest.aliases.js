// The tsconfig.json path aliases, for jest's moduleNameMapper (unit and e2e).
module.exports = {
  '^@app/common(|/.*)$': '<rootDir>/libs/common/src$1',
  '^@app/pki(|/.*)$': '<rootDir>/libs/pki/src$1',
  '^@app/device-protocol(|/.*)$': '<rootDir>/libs/device-protocol/src$1',
};
