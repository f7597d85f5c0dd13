// Tests run from TypeScript sources (not dist) so a failing test points at the
// line that is wrong. ts-jest compiles to CommonJS for jest; type errors are
// caught once by `pnpm typecheck`, so here it only transpiles (fast, and it
// keeps the Wine run short).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: '<rootDir>/jest.environment.cjs',
  roots: ['<rootDir>/packages', '<rootDir>/examples', '<rootDir>/test'],
  testMatch: ['**/test/**/*.test.ts'],
  // The consumer fixtures are projects of their own, installed and tested
  // outside the repository by test/consumers/run.mjs (`pnpm test:consumers`)
  // against the packed tarballs; here they would meet the sources instead.
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/consumers/fixtures/'],
  modulePathIgnorePatterns: ['<rootDir>/test/consumers/fixtures/'],
  // A test's own waits are bounded where they happen (within(), until(), a
  // child's timeout), each failing with a message that names what did not
  // come. Jest's 5 s default sat below the sum of those bounds in tests that
  // start processes or cut peers at a real frameTimeout, so on a loaded
  // machine (Wine, 2 cores) it fired first, with no message at all.
  testTimeout: 30_000,
  moduleFileExtensions: ['ts', 'cts', 'js', 'cjs', 'mjs', 'json'],
  moduleNameMapper: {
    '^@pipebus/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^@pipebus/([a-z-]+)/(di|testkit|transport-kit)$': '<rootDir>/packages/$1/src/$2/index.ts',
    // jest runs the CommonJS dialect, so it takes tshy's CommonJS override of
    // a module that needs import.meta (core's typedi loader, its `require`).
    '^\\./load-typedi\\.js$': '<rootDir>/packages/core/src/di/load-typedi-cjs.cts',
    '^(\\.{1,2}/)+cjs-require\\.js$': '<rootDir>/packages/core/src/cjs-require-cjs.cts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  // arktype (a devDependency of @pipebus/contract's tests) ships ES modules
  // only, which jest's CommonJS runtime cannot load: it is compiled to
  // CommonJS like our sources.
  // ([/\\] for the Windows run under Wine, whose paths use backslashes.)
  transformIgnorePatterns: ['[/\\\\]node_modules[/\\\\](?!(arktype|arkregex|@ark)[/\\\\])'],
  transform: {
    '^.+[/\\\\]node_modules[/\\\\](arktype|arkregex|@ark[/\\\\][^/\\\\]+)[/\\\\].+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true, module: 'commonjs', moduleResolution: 'node', target: 'ES2022' } }],
    '^.+\\.c?ts$': [
      'ts-jest',
      {
        tsconfig: {
          isolatedModules: true,
          module: 'commonjs',
          moduleResolution: 'node',
          target: 'ES2022',
          experimentalDecorators: true,
          // typedi reads constructor parameter types from this metadata, even
          // for parameters marked with @Inject().
          emitDecoratorMetadata: true,
          esModuleInterop: true,
        },
      },
    ],
  },
};
