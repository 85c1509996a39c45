/**
 * A capture cache for one test run. The program is deterministic under the mocks (tools/capture.ts
 * derives every id, ARN and password from names and inputs), so two runs with the same project,
 * stack, config and secret keys register the same graph. Jest runs each test file in a fresh
 * module registry, and many files capture the same stack: with `VOLTERYDE_CAPTURE_CACHE` set to a
 * folder, `captureStack` stores each capture there and later files read it instead of running
 * the program again.
 *
 * The folder belongs to one run of one program: jest's global setup (test/captureCache.setup.cjs)
 * makes a new one and its teardown removes it, so an edited program never meets an old capture.
 * The mutation run (jest.mutate.config.js) does not set it: there, each mutant is a different
 * program in the same process. Nothing else sets it; `npm start` and `pulumi` never cache.
 */
import { createHash } from "crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "fs";
import { join } from "path";
import { deserialize, serialize } from "v8";
import { Capture, SecretValue } from "./capture";

export const CACHE_ENV = "VOLTERYDE_CAPTURE_CACHE";

/** What a capture depends on besides the program: exactly the inputs of `capture()`. */
export interface CaptureKey {
  readonly project: string;
  readonly stack: string;
  readonly config: Readonly<Record<string, string>>;
  readonly secretKeys: readonly string[];
}

export function cacheKey(key: CaptureKey): string {
  const config = Object.entries(key.config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const secretKeys = [...new Set(key.secretKeys)].sort();
  return createHash("sha256").update(JSON.stringify([key.project, key.stack, config, secretKeys])).digest("hex");
}

/** Marks a SecretValue across v8 serialisation, which keeps undefined and nesting but not classes. */
const SECRET = "\u0000volteryde:secret";

// Plain loops: Object.fromEntries(Object.entries(...).map(...)) made each capture twice more
// (a prod capture, plain Node.js: encode 3.3 -> 0.8 ms, decode 4.1 -> 0.8 ms).
function encode(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (v instanceof SecretValue) return { [SECRET]: encode(v.value) };
  if (Array.isArray(v)) {
    const list = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) list[i] = encode(v[i]);
    return list;
  }
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(v)) copy[k] = encode((v as Record<string, unknown>)[k]);
  return copy;
}

/**
 * Rebuilt in this realm: v8.deserialize makes Node's own arrays and objects, which
 * util.isDeepStrictEqual tells apart from a jest sandbox's by their prototypes.
 */
function decode(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) {
    const list = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) list[i] = decode(v[i]);
    return list;
  }
  const o = v as Record<string, unknown>;
  if (SECRET in o) return new SecretValue(decode(o[SECRET]));
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(o)) copy[k] = decode(o[k]);
  return copy;
}

/** The folder of this run's cache, or undefined when caching is off. */
export function cacheFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env[CACHE_ENV];
  return dir ? dir : undefined;
}

export function readCached(dir: string, key: CaptureKey): Capture | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, `${cacheKey(key)}.bin`));
  } catch {
    return undefined;
  }
  return decode(deserialize(bytes)) as Capture;
}

/** Written aside and renamed, so a reader in another worker sees a whole capture or none. */
export function writeCached(dir: string, key: CaptureKey, capture: Capture): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${cacheKey(key)}.bin`);
  const aside = `${file}.${process.pid}.tmp`;
  writeFileSync(aside, serialize(encode(capture)));
  renameSync(aside, file);
}
