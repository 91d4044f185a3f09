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
