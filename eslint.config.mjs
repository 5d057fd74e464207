// Lint: typescript-eslint's type-aware recommended rules on every TypeScript file
// the root tsconfig.json type-checks; formatting is prettier's job alone
// (eslint-config-prettier turns off every rule that would fight it).
// `npm run lint` fails on any warning. A rule changed here says why; none is
// silenced line by line in the code.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.local/', 'certs/'] },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    // The few CommonJS config files (jest, the swagger transformer) are plain Node scripts.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node, sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module' } },
  {
    rules: {
      // An async function without await is how a Promise-returning port is implemented
      // synchronously (test doubles, a device's sendReply): `async` turns a throw into a
      // rejection, which is what every caller handles. Dropping it would change behaviour.
      '@typescript-eslint/require-await': 'off',
      // A leading underscore marks a parameter the signature requires but the body does
      // not use (a filter's ArgumentsHost, a fake repository's owner id).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
    rules: {
      // jest's asymmetric matchers (expect.any, expect.stringContaining, ...) are typed `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      // expect(mock.method) hands a jest mock to expect; it is never called unbound.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  prettier,
);
