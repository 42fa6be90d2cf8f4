// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The domain lib is pure: no framework, no storage, no I/O, no clock, no
 * randomness. Time and ids arrive inside the command. These rules hold that
 * boundary for real (they are errors, and CI runs lint with --max-warnings=0).
 */
const impureModules = [
  '@nestjs/*',
  'level',
  'classic-level',
  'memory-level',
  'abstract-level',
  'rxjs',
  'rxjs/*',
  'fs',
  'fs/*',
  'node:*',
  'path',
  'os',
  'crypto',
  'child_process',
  'net',
  'http',
  'zlib',
  '@ledger/event-log',
  '@ledger/store',
  '@ledger/qmdl',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'apps/admin/dist/**', 'test/artifacts/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        AbortController: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
        queueMicrotask: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-require-imports': 'off',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../../*/src', '../../*/src/*', '**/libs/*/src/**'],
              message: 'Import a lib only through its alias (@ledger/...) and its index.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/domain/src/**/*.ts'],
    ignores: ['libs/domain/src/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [],
          patterns: [
            { group: impureModules, message: 'The domain is pure: no framework, storage, I/O, clock or randomness.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'The domain reads no environment.' },
        { name: 'setTimeout', message: 'The domain has no clock.' },
        { name: 'setInterval', message: 'The domain has no clock.' },
        { name: 'require', message: 'The domain imports statically, and only pure code.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='Date'][property.name='now']",
          message: 'The domain has no clock: time arrives inside the command.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'The domain has no clock: time arrives inside the command.',
        },
        {
          selector: "CallExpression[callee.name='Date']",
          message: 'The domain has no clock: time arrives inside the command.',
        },
        {
          selector: "MemberExpression[object.name='Math'][property.name='random']",
          message: 'The domain has no randomness: ids arrive inside the command.',
        },
        {
          selector: "CallExpression[callee.name='randomUUID']",
          message: 'The domain has no randomness: ids arrive inside the command.',
        },
        {
          selector: "MemberExpression[object.name='crypto']",
          message: 'The domain has no randomness: ids arrive inside the command.',
        },
        { selector: "MemberExpression[object.name='performance']", message: 'The domain has no clock.' },
      ],
    },
  },
  {
    // The radio lib is a codec over @ledger/qmdl and Node's stdlib: no framework, storage or
    // store, so the analysis feature, the HTTP layer and the CLI can all use it.
    files: ['libs/radio/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@nestjs/*',
                'level',
                'classic-level',
                'memory-level',
                'abstract-level',
                'rxjs',
                'rxjs/*',
                '@ledger/event-log',
                '@ledger/store',
                '@ledger/domain',
              ],
              message: 'The radio lib is a codec: no framework, storage or store.',
            },
            {
              group: ['../../*/src', '../../*/src/*', '**/libs/*/src/**'],
              message: 'Import a lib only through its alias (@ledger/...) and its index.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    // The analysis lib is decoders and analyzers as pure functions of the messages they are
    // given: no I/O, no framework, no clock, no randomness (reports must be reproducible).
    files: ['libs/analysis/src/**/*.ts'],
    ignores: ['libs/analysis/src/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...impureModules, '@ledger/radio', '@ledger/domain'],
              message: 'The analysis lib is pure: it takes decoded messages, it reads nothing.',
            },
            {
              group: ['../../*/src', '../../*/src/*', '**/libs/*/src/**'],
              message: 'Import a lib only through its alias (@ledger/...) and its index.ts.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'The analysis lib reads no environment.' },
        { name: 'setTimeout', message: 'The analysis lib has no clock.' },
        { name: 'setInterval', message: 'The analysis lib has no clock.' },
        { name: 'Buffer', message: 'The analysis lib works on Uint8Array (no Node globals).' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='Date'][property.name='now']",
          message: 'The analysis lib has no clock.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'The analysis lib has no clock.',
        },
        {
          selector: "MemberExpression[object.name='Math'][property.name='random']",
          message: 'The analysis lib has no randomness.',
        },
        { selector: "MemberExpression[object.name='performance']", message: 'The analysis lib has no clock.' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
