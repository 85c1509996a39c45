/**
 * The test run's capture cache (tools/captureCache.ts): a capture read back is the capture the
 * program gives, secrets still SecretValue; each distinct config is its own entry; a sink or a
 * config error is never cached.
 */
import { readdirSync } from "fs";
import { isDeepStrictEqual } from "util";
import { CapturedResource, SecretValue } from "../../tools/capture";
import { CACHE_ENV, cacheKey } from "../../tools/captureCache";
import { captureStack } from "../../tools/run";
import { tempDir } from "../tempDirs";

const saved = process.env[CACHE_ENV];
afterAll(() => {
  if (saved === undefined) delete process.env[CACHE_ENV];
  else process.env[CACHE_ENV] = saved;
});

/** A capture with caching off. */
async function fresh(stack: string, overrides?: Record<string, unknown>) {
  delete process.env[CACHE_ENV];
  return captureStack(stack, { overrides });
}

/** This file's cache folder: the tests below add to what the ones before stored. */
let dir: string;
beforeAll(() => {
  dir = tempDir("captures-");
});
function useCache(): string {
  process.env[CACHE_ENV] = dir;
  return dir;
}

const entries = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".bin"));

describe("capture cache", () => {
  it.each([
    ["dev", undefined],
    ["prod", { secretsDelivery: "kubernetes", rotation: { active: "blue", blue: "2027-02", green: "2026-11", migrator: "2026-11" } }],
  ] as const)("%s: a capture read back equals the program's own, secrets still SecretValue", async (stack, overrides) => {
    const expected = await fresh(stack, overrides);
    const before = entries(useCache()).length;
    const first = await captureStack(stack, { overrides });
    expect(entries(dir)).toHaveLength(before + 1);
    const second = await captureStack(stack, { overrides });
    expect(entries(dir)).toHaveLength(before + 1);
    expect(second).not.toBe(first);
    expect(second).toStrictEqual(expected);
    // The fixtures compare captures with util.isDeepStrictEqual, which also compares prototypes.
    expect(isDeepStrictEqual(second, expected)).toBe(true);
    const secrets = (c: typeof second) =>
      c.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword").map((r) => r.outputs.result);
    expect(secrets(second).length).toBeGreaterThan(10);
    for (const s of secrets(second)) expect(s).toBeInstanceOf(SecretValue);
  });

  it("keeps one entry per stack and config, and a key changes with any config value or secret key", async () => {
    // dev and the prod variant are stored by the tests above.
    expect(entries(useCache())).toHaveLength(2);
    await captureStack("dev", { overrides: { nodeEnv: "staging" } });
    await captureStack("dev");
    await captureStack("dev", { overrides: { nodeEnv: "staging" } });
    expect(entries(dir)).toHaveLength(3);
    const key = { project: "volteryde-infra", stack: "dev", config: { "volteryde-infra:a": "1", "volteryde-infra:b": "2" }, secretKeys: ["volteryde-infra:a"] };
    expect(cacheKey({ ...key, config: { "volteryde-infra:b": "2", "volteryde-infra:a": "1" } })).toBe(cacheKey(key));
    expect(cacheKey({ ...key, config: { ...key.config, "volteryde-infra:b": "3" } })).not.toBe(cacheKey(key));
    expect(cacheKey({ ...key, secretKeys: [] })).not.toBe(cacheKey(key));
    expect(cacheKey({ ...key, stack: "prod" })).not.toBe(cacheKey(key));
  });

  it("runs the program for a sink every time and stores nothing, and never stores a config error", async () => {
    const stored = entries(useCache()).length;
    const sink: CapturedResource[] = [];
    await captureStack("prod", { sink });
    expect(sink.length).toBeGreaterThan(100);
    expect(entries(dir)).toHaveLength(stored);
    const bad = () => captureStack("dev", { overrides: { nodeEnv: "" } });
    await expect(bad()).rejects.toThrow(/volteryde-infra:nodeEnv/);
    await expect(bad()).rejects.toThrow(/volteryde-infra:nodeEnv/);
    expect(entries(dir)).toHaveLength(stored);
  });
});
