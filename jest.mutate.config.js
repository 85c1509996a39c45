/**
 * The suites `npm run mutate` runs against each mutant (stryker.config.json): the mock-based
 * ones that state the mutated promises by value. Each mutant runs all of them (every graph is
 * built in a beforeAll), so the list stays short: no real-PostgreSQL, CLI or child-process suite.
 */
const base = require("./jest.config");

module.exports = {
  ...base,
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
