/**
 * Modules of @pulumi/pulumi that the SDK requires at import and the program never uses, handed
 * to it as stand-ins that load the real module on first use (tools/lazy/module.cjs). Jest
 * evaluates every module again for each test file, and the command lines (tools/register.cjs)
 * load the SDK at every start; `require("@pulumi/pulumi")` in plain Node.js took ~120 ms with
 * these loaded and ~80 ms without (318 against 217 modules; three runs each, Node.js 24).
 *
 * Both jest's resolver (test/jestResolver.cjs) and tools/register.cjs's resolution hook ask
 * `lazyFor` with the request and the folder of the module that makes it; every other request
 * resolves as before. `pulumi up` never goes through either: the Pulumi language host loads the
 * program with its own ts-node and the SDK loads everything at import.
 */
const { join, sep } = require("path");

const SDK = "/node_modules/@pulumi/pulumi";

/** [request, folder of the module that makes it, stand-in]; above each, who requires it and for what. */
const DEFERRED = [
  // typescript-shim.js, for closure serialisation (runtime/closure/parseFunction.js): the 9 MB compiler.
  ["typescript", SDK, "typescript.cjs"],
  // index.js: `pulumi.automation` (LocalWorkspace, Stack: driving the CLI), with execa and its tree.
  ["./automation", SDK, "pulumiAutomation.cjs"],
  // runtime/closure/codePaths.js, which packages a function's dependencies for closure serialisation.
  ["normalize-package-data", `${SDK}/runtime/closure`, "normalizePackageData.cjs"],
];

/** The stand-in's path for `request` made from a module in `folder`, or undefined. */
function lazyFor(request, folder) {
  const from = folder.split(sep).join("/");
  const hit = DEFERRED.find(([r, f]) => r === request && from.endsWith(f));
  return hit && join(__dirname, hit[2]);
}

module.exports = { lazyFor, DEFERRED };
