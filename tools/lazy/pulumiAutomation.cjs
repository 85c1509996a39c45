/** @pulumi/pulumi's Automation API, loaded on first use (tools/lazy/index.cjs). */
const lazyModule = require("./module.cjs");

module.exports = lazyModule(() => require("@pulumi/pulumi/automation"), { esModule: true });
