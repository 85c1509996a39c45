/**
 * The one TypeScript transform of this repository's own tools and tests: esbuild, transpiling
 * only, as tsc would emit for tsconfig.json (target ES2022 with define semantics for class fields,
 * CommonJS, `import()` as a require). Jest's transformer (jest.esbuild.cjs) and the command lines'
 * loader (tools/register.cjs) both use it; `npm run typecheck` (tsc --strict) is the type check.
 */
const { createHash } = require("crypto");
const { version } = require("esbuild/package.json");

const OPTIONS = {
  loader: "ts",
  format: "cjs",
  target: "es2022",
  platform: "node",
  sourcemap: "inline",
  // Jest runs no ES modules without --experimental-vm-modules; Node.js requires an ES module itself.
  supported: { "dynamic-import": false },
  tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
};

/** Changes with esbuild's version, the options, the file's path and its text. */
function cacheKey(source, filename) {
  return createHash("sha256").update(version).update(JSON.stringify(OPTIONS)).update(filename).update("\0").update(source).digest("hex");
}

/** JavaScript with an inline source map; esbuild is loaded on the first call. */
function transform(source, filename) {
  return require("esbuild").transformSync(source, { ...OPTIONS, sourcefile: filename }).code;
}

module.exports = { OPTIONS, cacheKey, transform };
