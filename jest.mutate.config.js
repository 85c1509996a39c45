/**
 * The suites `npm run mutate` runs against each mutant (stryker.config.json): the mock-based
 * ones that state the mutated promises by value. Each mutant runs all of them (every graph is
 * built in a beforeAll), so the list stays short: no real-PostgreSQL, CLI or child-process suite.
 */
const base = require("./jest.config");

// However jest was started: a mutant must never read a capture of another program.
delete process.env.VOLTERYDE_CAPTURE_CACHE;

module.exports = {
  ...base,
  // No capture cache: every mutant is another program in the same process (tools/captureCache.ts).
  globalSetup: undefined,
  globalTeardown: undefined,
  testMatch: [
    "<rootDir>/test/components/providers.test.ts",
    "<rootDir>/test/components/outputs.test.ts",
    "<rootDir>/test/components/workloads/pods.test.ts",
    "<rootDir>/test/components/workloads/podTemplate.test.ts",
    "<rootDir>/test/components/credentials/serviceCredentials.test.ts",
    // Pure (no capture): kills the validator mutants of the config's defaults.
    "<rootDir>/test/components/config/configSchema.test.ts",
  ],
};
