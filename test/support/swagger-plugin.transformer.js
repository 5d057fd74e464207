// Runs the @nestjs/swagger CLI plugin inside ts-jest, with the options of
// nest-cli.json, so the e2e tests see the same OpenAPI document as `nest build`.
const transformer = require('@nestjs/swagger/plugin');
const { compilerOptions } = require('../../nest-cli.json');

const options = compilerOptions.plugins.find((p) => p.name === '@nestjs/swagger').options;

module.exports.name = 'nestjs-swagger-transformer';
module.exports.version = 1;
module.exports.factory = (cs) => transformer.before(options, cs.program);
