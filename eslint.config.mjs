// Flat config: TypeScript-aware rules for the extension, its webviews, tests and benchmarks.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'node_modules/**',
      '.tools/**',
      '.venv/**',
      'trainer/**',
      '.test-results/**',
      'demo/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Stand-in child processes for tests (plain Node scripts run with `node`, not bundled).
    files: ['test/fixtures/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', setTimeout: 'readonly', setInterval: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The core must stay testable without VS Code: only adapters (view/ folders, extension.ts) may import it.
    files: ['src/**/*.ts'],
    ignores: ['src/extension.ts', 'src/**/view/**', 'src/vscode/**', 'src/**/*View.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'vscode',
              message: 'Core modules must not import vscode; put VS Code code in a view/ adapter.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['webviews/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'vscode',
              message: 'Webview code runs in the browser; talk to the host through src/protocol.',
            },
          ],
        },
      ],
    },
  },
  {
    // Small modules (docs/architecture.md): a file over 350 lines or a function over 80 holds more than one concern.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 350 }],
      'max-lines-per-function': ['error', { max: 80 }],
    },
  },
  {
    // push(...items) and Math.min(...items) pass every item as a call argument: past ~125k, V8 throws "Maximum
    // call stack size exceeded" (a 200k-entry trainer history did). Use pushAll (src/util/arrays.ts) or a loop.
    files: ['src/**/*.ts', 'webviews/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.property.name=/^(push|unshift)$/] > SpreadElement',
          message:
            'Spreading into push/unshift overflows the stack for long arrays: use pushAll (src/util/arrays.ts).',
        },
        {
          selector:
            "CallExpression[callee.object.name='Math'][callee.property.name=/^(min|max)$/] > SpreadElement",
          message: 'Spreading into Math.min/max overflows the stack for long arrays: use a loop.',
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // Plain CommonJS that mocha loads by path (the count reporter).
    files: ['test/support/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
