/**
 * Jest's module resolution, but for one request: when @pulumi/pulumi's typescript-shim.js asks
 * for `typescript`, it gets tools/lazyTypescript.cjs, which loads the real compiler on first use.
 * The SDK requires TypeScript at import for closure serialisation (runtime/closure/parseFunction.js),
 * which the program never uses; jest evaluates every module again for each test file, and the
 * 9 MB compiler cost about 0.2 s per file. Nothing else changes: any use loads the real one.
 */
const { join, sep } = require("path");

const SDK = `${sep}node_modules${sep}@pulumi${sep}pulumi`;
const LAZY = join(__dirname, "..", "tools", "lazyTypescript.cjs");

module.exports = (request, options) => {
  if (request === "typescript" && options.basedir.endsWith(SDK)) return LAZY;
  return options.defaultResolver(request, options);
};
