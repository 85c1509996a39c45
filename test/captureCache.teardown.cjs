/** Jest global teardown: removes this run's capture cache (test/captureCache.setup.cjs). */
const { rmSync } = require("fs");

module.exports = async function teardown() {
  const dir = process.env.VOLTERYDE_CAPTURE_CACHE;
  if (dir) rmSync(dir, { recursive: true, force: true });
};
