/** Jest transpiles only (isolatedModules), with esbuild (jest.esbuild.cjs); `npm run typecheck` runs tsc --strict separately. */
module.exports = {
  // A vanilla V8 context per test file: global lookups without interceptors (test/jestEnvironment.cjs).
  // An absolute path, not <rootDir>: Stryker's jest runner requires the configured value as it is.
  testEnvironment: require.resolve("./test/jestEnvironment.cjs"),
  // Jest's order, but on a run without timings (a clean clone) the files marked `@slow` first.
  testSequencer: require.resolve("./test/jestSequencer.cjs"),
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": "<rootDir>/jest.esbuild.cjs",
  },
  // Examples import the consumer package by its name, as another project would (tsconfig `paths`).
  moduleNameMapper: { "^@volteryde/platform-outputs$": "<rootDir>/packages/platform-outputs/src/index.ts" },
  // Defers the SDK modules the program never uses (the TypeScript compiler, ...) to their first
  // use (test/jestResolver.cjs, tools/lazy/).
  resolver: "<rootDir>/test/jestResolver.cjs",
  testTimeout: 120000,
  // One capture cache per run: files that capture the same stack and config share it (tools/captureCache.ts).
  globalSetup: "<rootDir>/test/captureCache.setup.cjs",
  globalTeardown: "<rootDir>/test/captureCache.teardown.cjs",
  // Two cores: the real-PostgreSQL suites wait on child processes while captures run beside them.
  maxWorkers: 2,
  // Inside the clone rather than the temporary folder: a test run leaves nothing there.
  cacheDirectory: "<rootDir>/node_modules/.cache/jest",
};
