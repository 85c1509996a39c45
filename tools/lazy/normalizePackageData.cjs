/** normalize-package-data (one function), loaded on first use (tools/lazy/index.cjs). */
const lazyModule = require("./module.cjs");

module.exports = lazyModule(() => require("normalize-package-data"), { callable: true, esModule: undefined });
