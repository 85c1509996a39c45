/**
 * Node.js's on-disk compile cache (V8 code cache, `module.enableCompileCache`) for the plan's
 * command line. Loading @pulumi/pulumi (which loads the TypeScript compiler for its closure
 * serialiser), the providers' SDKs and kubernetes-models is most of `npm start`'s first second,
 * and that load is one core's work that nothing can overlap; with the code cache V8 skips parsing
 * and compiling what it compiled on an earlier run (0.2-0.3 s of CPU per run measured).
 *
 * Imported first by tools/plan.ts, for its side effect, so that it is on before the SDKs load. The
 * cache goes under node_modules/.cache/ (next to jest's and the verifier's data folders), not the
 * temporary folder, which a run leaves as it found it; V8 keys it by file, content and its own
 * version, so a changed file or another Node.js is recompiled. Only when plan.ts is the entry point:
 * under jest, which loads modules its own way, it would only write files.
 */
import { enableCompileCache } from "module";
import { join } from "path";

if (require.main?.filename === join(__dirname, "plan.ts")) enableCompileCache(join(__dirname, "..", "node_modules", ".cache", "node-compile-cache"));
