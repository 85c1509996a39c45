/** The TypeScript compiler, loaded on first use (tools/lazy/index.cjs). */
const lazyModule = require("./module.cjs");

module.exports = lazyModule(() => require("typescript"));
