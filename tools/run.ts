/**
 * Runs the real program for a stack under mocks: Pulumi.<stack>.yaml's config, optionally with
 * some keys overridden (tests use this to try both delivery modes or a bad value).
 */
import { main } from "../program";
import { Capture, CapturedResource, capture } from "./capture";
import { CaptureKey, cacheFolder, readCached, writeCached } from "./captureCache";
import { ROOT, readStackConfig, stackConfigFromObject } from "./stackConfig";

export interface RunOptions {
  /** Config keys (without the project prefix) to set; `undefined` removes a key. */
  readonly overrides?: Record<string, unknown>;
  readonly root?: string;
  /** The stack file to read instead of Pulumi.<stack>.yaml (the change preview's `--base`). */
  readonly file?: string;
  /** Receives each registered resource, also when the program throws. */
  readonly sink?: CapturedResource[];
}

export async function captureStack(stack: string, options: RunOptions = {}): Promise<Capture> {
  const base = options.file ? readStackConfig(stack, options.root ?? ROOT, options.file) : readStackConfig(stack, options.root ?? ROOT);
  const config = { ...base.config };
  const secretKeys = new Set(base.secretKeys);
  const extra = stackConfigFromObject(stack, base.project, Object.fromEntries(Object.entries(options.overrides ?? {}).filter(([, v]) => v !== undefined)));
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    const full = `${base.project}:${key}`;
    if (value === undefined) {
      delete config[full];
      secretKeys.delete(full);
    } else {
      config[full] = extra.config[full];
      if (extra.secretKeys.includes(full)) secretKeys.add(full);
      else secretKeys.delete(full);
    }
  }
  const key: CaptureKey = { project: base.project, stack, config, secretKeys: [...secretKeys] };
  // A test run's cache (tools/captureCache.ts); a sink wants the registrations as they happen.
  const dir = options.sink ? undefined : cacheFolder();
  const cached = dir ? readCached(dir, key) : undefined;
  if (cached) return cached;
  const c = await capture({ ...key, sink: options.sink, program: () => main() as unknown as Record<string, unknown> });
  if (dir) writeCached(dir, key, c);
  return c;
}
