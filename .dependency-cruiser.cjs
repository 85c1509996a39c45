// The program's layers, checked by `npm run layers` (part of `npm test`). From the bottom up:
//
//   components/config       the catalogue, the config schema and its loading, naming: imports no other module
//   components/database     schemas, roles, grants, connection limits: imports config only
//   components/credentials  passwords, Secrets Manager, Kubernetes/ESO delivery: imports config only
//   components/workloads    ConfigMap, Jobs, Deployments, workers: imports config and credentials (the Secret keys)
//   components/*.ts         platform, providers, outputs: wire the modules together; may import any of them
//   program.ts, index.ts    read config, build the platform, export the outputs
//   tools/                  the offline plan and everything that reads the captured graph
//   test/, bench/           may import anything
//   packages/platform-outputs  the consumers' reader of the stack outputs: ships alone, imports nothing of ours
//   examples/               consumer projects: import the package by name, never the program
//   policy/                 the policy pack: runs alone under `pulumi preview --policy-pack`, imports nothing of ours
//
// A lower layer never imports a higher one, and nothing imports in a cycle. Type-only imports count
// (tsPreCompilationDeps): a type is as much a dependency as a value.
const TOP = "components/[^/]+\\.ts$";
const ABOVE_COMPONENTS = "^(program\\.ts|index\\.ts|tools/|test/|bench/|examples/|policy/|packages/)";
/** The program, its tools and tests: what a shipped folder (package, example, policy pack) must not import. */
const REPO = "^(components|tools|test|bench)/|^(program|index)\\.ts$";

/** A rule that forbids `from` to import any of `to` (regular expressions on paths from the repo root). */
function layer(name, comment, from, to) {
  return { name, comment, severity: "error", from: { path: from }, to: { path: to } };
}

module.exports = {
  forbidden: [
    { name: "no-circular", comment: "Import cycles make initialisation order fragile and hide layering mistakes.", severity: "error", from: {}, to: { circular: true } },
    { name: "not-to-unresolvable", comment: "An import that does not resolve.", severity: "error", from: {}, to: { couldNotResolve: true } },
    layer(
      "config-imports-no-module",
      "components/config is the bottom layer: catalogue, schema, loading, naming.",
      "^components/config/",
      `^components/(database|credentials|workloads)/|^${TOP}`,
    ),
    layer("database-imports-config-only", "components/database may import components/config only.", "^components/database/", `^components/(credentials|workloads)/|^${TOP}`),
    layer("credentials-imports-config-only", "components/credentials may import components/config only.", "^components/credentials/", `^components/(database|workloads)/|^${TOP}`),
    layer(
      "workloads-imports-config-and-credentials",
      "components/workloads may import components/config and components/credentials (the Secret keys pods read).",
      "^components/workloads/",
      `^components/database/|^${TOP}`,
    ),
    layer("components-never-import-tools", "The program never depends on the tools that read it.", "^components/", ABOVE_COMPONENTS),
    layer("program-never-imports-tools", "program.ts and index.ts are what `pulumi up` runs: no tool, test or bench code.", "^(program|index)\\.ts$", "^(tools|test|bench|examples|policy)/"),
    layer("package-ships-alone", "packages/platform-outputs is installed into other projects: it imports no file of this repository.", "^packages/platform-outputs/", `${REPO}|^packages/(?!platform-outputs/)`),
    layer("examples-use-the-package", "An example is a consumer project: it reads the platform through the package, never the program's files.", "^examples/", REPO),
    layer("policy-pack-runs-alone", "The policy pack runs in its own process with its own package.json: it imports no file outside policy/.", "^policy/", REPO),
    layer("tools-never-import-tests", "Tools are shipped; tests and benchmarks are not.", "^tools/", "^(test|bench)/"),
    {
      name: "sdks-by-submodule",
      comment:
        "Import @pulumi/aws and @pulumi/kubernetes by submodule (@pulumi/aws/secretsmanager, @pulumi/kubernetes/apps/v1, .../provider). @pulumi/aws's root loads ~260 service modules when run, @pulumi/kubernetes's ~100 of API groups we do not use; even as `import type` a root puts all its declaration files (~2,700 and ~650) into every type check (tsc, eslint, the host's type-checked ts-node).",
      severity: "error",
      from: {},
      to: { path: "^(node_modules/)?@pulumi/(aws|kubernetes)(/index\\.(js|d\\.ts))?$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // node_modules is not followed, but stays a destination so that a rule can name a package's file.
    exclude: { path: "^(out|bin|coverage)/|/dist/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    moduleSystems: ["cjs", "es6"],
    // ES-module-only packages (@actions/workflow-parser, and mermaid for the picture test) resolve
    // through their "import" export.
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
