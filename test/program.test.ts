/**
 * Invariants of the whole graph, for both stacks: they hold for every component, present and
 * future. Explicit providers, everything parented under the platform, stable child names.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { Capture, CapturedResource } from "../tools/capture";
import { captureStack } from "../tools/run";

const STACKS = ["dev", "prod"] as const;
const captures: Record<string, Capture> = {};

beforeAll(async () => {
  for (const stack of STACKS) captures[stack] = await captureStack(stack);
});

const providers = (c: Capture) => c.resources.filter((r) => r.type.startsWith("pulumi:providers:"));
const parentOf = (c: Capture, r: CapturedResource) => c.resources.find((p) => p.urn === r.parent);

describe.each(STACKS)("%s stack graph", (stack) => {
  it("creates exactly one explicit provider per package, at the top level", () => {
    const c = captures[stack];
    expect(providers(c).map((p) => `${p.type} ${p.name}`).sort()).toEqual([
      "pulumi:providers:aws aws",
      "pulumi:providers:kubernetes kubernetes",
      "pulumi:providers:postgresql supabase",
      "pulumi:providers:random random",
    ]);
    for (const p of providers(c)) expect(p.parent).toBeUndefined();
  });

  it("gives every custom resource one of those providers, matching its package", () => {
    const c = captures[stack];
    const byPackage = new Map(providers(c).map((p) => [p.type.split(":")[2], p.urn]));
    for (const r of c.resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) {
      const pkg = r.type.split(":")[0];
      expect({ resource: r.urn, provider: r.provider }).toEqual({ resource: r.urn, provider: byPackage.get(pkg) });
    }
  });

  it("parents everything but the providers under the one Platform component", () => {
    const c = captures[stack];
    const roots = c.resources.filter((r) => !r.parent && !r.type.startsWith("pulumi:providers:"));
    expect(roots.map((r) => `${r.type} ${r.name}`)).toEqual(["volteryde:index:Platform volteryde"]);
  });

  it("names components volteryde:<module>:<Type> and children after their component", () => {
    const c = captures[stack];
    expect(c.resources.filter((x) => !x.custom).length).toBeGreaterThan(30);
    for (const r of c.resources.filter((x) => !x.custom)) expect(r.type).toMatch(/^volteryde:[a-z]+:[A-Z][A-Za-z]+$/);
    for (const r of c.resources) {
      const parent = parentOf(c, r);
      if (!parent || parent.type === "volteryde:index:Platform") continue;
      expect(`${r.name}`).toMatch(new RegExp(`^${parent.name.replace(/[-]/g, "\\-")}(-|$)`));
    }
  });

  it("registers no two resources with the same type and name", () => {
    const c = captures[stack];
    const keys = c.resources.map((r) => `${r.type}::${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

it("index.ts exports every key of the stack-output contract, and nothing else", () => {
  // `pulumi up` runs index.ts, whose exports are the stack outputs; the capture reads main()'s
  // return value. The two must be the same contract.
  const source = readFileSync(join(__dirname, "..", "index.ts"), "utf8");
  const exported = [...source.matchAll(/^export const (\w+) = outputs\.(\w+);$/gm)];
  for (const [, name, key] of exported) expect(name).toBe(key);
  expect(exported.map((m) => m[1]).sort()).toEqual(Object.keys(captures.dev.outputs).sort());
});
