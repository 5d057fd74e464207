// Layer rules, checked by `npm run deps:check` (part of `npm test`).
// The tsconfig.json path aliases (@app/common, ...) are resolved like TypeScript does.
// Nest, the broker clients and the validation libraries the Nest apps use.
const FRAMEWORK = '^node_modules/(@nestjs/|amqplib/|amqp-connection-manager/|class-validator/|class-transformer/)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'libs-never-import-apps',
      comment: 'Libraries are shared by the apps; an app is never a dependency of a library.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'protocol-is-framework-free',
      comment:
        'The device protocol library is loaded by the CLI, the simulator and firmware tools: ' +
        'nothing it loads, directly or not, may pull in Nest or a broker client.',
      severity: 'error',
      from: { path: '^libs/device-protocol/src/', pathNot: '\\.spec\\.ts$' },
      to: { path: FRAMEWORK, reachable: true },
    },
    {
      name: 'common-core-is-framework-free',
      comment:
        '@app/common and @app/common/device-command are the framework-free parts of the common library; ' +
        'what only the Nest apps use is @app/common/nest (libs/common/src/nest.ts).',
      severity: 'error',
      from: { path: '^libs/common/src/(index|device-command)\\.ts$' },
      to: { path: FRAMEWORK, reachable: true },
    },
    {
      name: 'domain-knows-no-adapters',
      comment:
        'Domain code depends on ports; the database and infrastructure adapters depend on it, never the reverse.',
      severity: 'error',
      from: { path: '/domain/' },
      to: { path: '/(database|infrastructure)/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes load order matter and hides which module owns what.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage|\\.local)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a layer rule is about what code knows, not only what it loads.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['main', 'types', 'typings'],
    },
  },
};
