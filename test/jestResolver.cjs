/**
 * Jest's module resolution, but for the few requests of @pulumi/pulumi that tools/lazy/index.cjs
 * lists: those get a stand-in that loads the real module on first use. The SDK requires them at
 * import (the TypeScript compiler, the Automation API, ...), the program never uses them, and
 * jest evaluates every module again for each test file: the compiler alone cost ~0.2 s per file.
 * Nothing else changes: any use loads the real one.
 */
const { lazyFor } = require("../tools/lazy/index.cjs");

module.exports = (request, options) => lazyFor(request, options.basedir) ?? options.defaultResolver(request, options);
