/**
 * How the command lines load TypeScript: `node --require ./tools/register.cjs tools/plan.ts`
 * (npm start, npm run audit, and the processes the tests start). It hooks the `.ts` extension
 * only: each of our files is transpiled by tools/transform.cjs (the transform jest uses) and the
 * result is kept under node_modules/.cache/ts-register, one entry per file, used while the file's
 * text, its path, esbuild and the options are the same. The packages' JavaScript loads as Node.js
 * loads it, with Node.js's compile cache on (V8's code cache, under node_modules/.cache/).
 *
 * Why not tsx, which `npm start` used: tsx hooks the resolution and loading of every module, and
 * the plan loads ~1,400 from node_modules for 48 of ours; its start was ~1.3 s against ~0.55 s
 * here (`--timings`, dev). esbuild-register hooks only what it transpiles but keeps no
 * transform, so it transpiled the 48 files on every start (~1.0 s). Errors are reported at
 * TypeScript lines (inline source maps, `process.setSourceMapsEnabled`).
 *
 * The package has no "type", so Node.js loads the `.ts` entry point as CommonJS, through this
 * hook (its own type stripping would treat our `import` syntax as an ES module and fail to
 * resolve the extensionless imports). The hook is `require.extensions`, as ts-node and
 * esbuild-register install theirs (deprecated in the documentation only, DEP0039); Node.js's CJS
 * resolver tries every extension in it, which is how `./lib` finds `lib.ts`.
 */
const { createHash } = require("crypto");
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require("fs");
const { enableCompileCache, registerHooks } = require("module");
const { dirname, join } = require("path");
const { fileURLToPath, pathToFileURL } = require("url");
const { lazyFor } = require("./lazy/index.cjs");
const { cacheKey, transform } = require("./transform.cjs");

const CACHE_ROOT = join(__dirname, "..", "node_modules", ".cache");
/** Where the transpiled files are kept (a test points it at a folder of its own). */
const TRANSFORMS = process.env.VOLTERYDE_TS_CACHE || join(CACHE_ROOT, "ts-register");

enableCompileCache(join(CACHE_ROOT, "node-compile-cache"));
process.setSourceMapsEnabled(true);

/** The JavaScript of a `.ts` file: kept, or transpiled now and kept (written whole, then renamed). */
function javascriptOf(filename) {
  const source = readFileSync(filename, "utf8");
  const key = `// ${cacheKey(source, filename)}\n`;
  const entry = join(TRANSFORMS, `${createHash("sha256").update(filename).digest("hex")}.js`);
  try {
    const kept = readFileSync(entry, "utf8");
    if (kept.startsWith(key)) return kept.slice(key.length);
  } catch {
    // not kept yet
  }
  const code = transform(source, filename);
  try {
    mkdirSync(TRANSFORMS, { recursive: true });
    const partial = `${entry}.${process.pid}`;
    writeFileSync(partial, key + code);
    renameSync(partial, entry);
  } catch {
    // A read-only cache only costs the next start the transform.
  }
  return code;
}

require.extensions[".ts"] = (module, filename) => module._compile(javascriptOf(filename), filename);

// The SDK's modules that the program never uses (the TypeScript compiler, the Automation API, ...)
// are loaded on first use (tools/lazy/index.cjs), as jest's resolver does for the tests: ~0.1 s
// less at every start. A resolution hook (module.registerHooks, Node.js 22.15+; it sees require()
// calls too) that answers those requests and passes every other on.
registerHooks({
  resolve(specifier, context, nextResolve) {
    const lazy = context.parentURL?.startsWith("file:") && lazyFor(specifier, dirname(fileURLToPath(context.parentURL)));
    return lazy ? { url: pathToFileURL(lazy).href, shortCircuit: true } : nextResolve(specifier, context);
  },
});
