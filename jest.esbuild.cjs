/**
 * Jest's transformer: esbuild (tools/transform.cjs), transpiling only. On a cold cache it takes
 * about a fifth less CPU than ts-jest's transpile-only mode (measured on five suites: 6.6 s
 * against 8.4 s user); `npm run typecheck` (tsc --strict) remains the type check. No test uses
 * jest.mock, whose hoisting esbuild would not do.
 */
const { cacheKey, transform } = require("./tools/transform.cjs");

module.exports = {
  process(source, filename) {
    return { code: transform(source, filename) };
  },
  getCacheKey(source, filename) {
    return cacheKey(source, filename);
  },
};
