/** One jest run, two projects: unit specs next to the code, end-to-end specs in test/. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
const moduleNameMapper = {
  '^@ledger/domain$': '<rootDir>/libs/domain/src',
  '^@ledger/event-log$': '<rootDir>/libs/event-log/src',
  '^@ledger/qmdl$': '<rootDir>/libs/qmdl/src',
  '^@ledger/radio$': '<rootDir>/libs/radio/src',
  '^@ledger/store$': '<rootDir>/libs/store/src',
  '^@ledger/analysis$': '<rootDir>/libs/analysis/src',
  '^@ledger/migrations$': '<rootDir>/migrations',
};
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'json'],
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};
module.exports = {
  // Tests wait for conditions, not for a speed: jest's 5 s default failed CPU-bound specs on a
  // loaded 2-core machine. A hang still fails, after a minute. (A global option: projects ignore it.)
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,migrations}/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
