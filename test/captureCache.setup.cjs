/**
 * Jest global setup: a new capture cache folder for this run (tools/captureCache.ts). Workers
 * start after this and inherit the variable. Folders left by a run that was killed are removed
 * once they are a day old.
 */
const { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } = require("fs");
const { join } = require("path");

const PARENT = join(__dirname, "..", "node_modules", ".cache", "captures");
const DAY = 24 * 60 * 60 * 1000;

module.exports = async function setup() {
  mkdirSync(PARENT, { recursive: true });
  for (const f of readdirSync(PARENT)) {
    const p = join(PARENT, f);
    if (Date.now() - statSync(p).mtimeMs > DAY) rmSync(p, { recursive: true, force: true });
  }
  process.env.VOLTERYDE_CAPTURE_CACHE = mkdtempSync(join(PARENT, "run-"));
};
