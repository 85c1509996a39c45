/**
 * Levels, depth, width and the Mermaid picture, on hand-made graphs and on the real program.
 *
 * @slow Mermaid's parser in a process of its own, on both stacks' pictures
 */
import { spawnSync } from "child_process";
import { writeFileSync } from "fs";
import { join } from "path";
import { Capture } from "../../tools/capture";
import { graphStats, mermaidOverview, mermaidService, serviceOf, topologicalOrder } from "../../tools/graph";
import { captureStack } from "../../tools/run";
import { handmade, handmadeCapture } from "../handmadeGraph";
import { tempDir } from "../tempDirs";

/** Mermaid's own parser, at its default settings, on each file (see parseMermaid.mjs). */
function parseMermaid(files: string[]): { file: string; ok: boolean; error?: string; type?: string }[] {
  const run = spawnSync(process.execPath, [join(__dirname, "parseMermaid.mjs"), ...files], { encoding: "utf8", timeout: 60_000 });
  if (run.status !== 0) throw new Error(`parseMermaid failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const SERVICES = ["auth", "client-auth", "users", "payment", "fleet", "charging", "booking", "telematics", "core", "notifications"];

const res = handmade;
const graph = handmadeCapture;

describe("graphStats", () => {
  it("measures depth as the longest chain and width as the widest level", () => {
    // a -> b -> c ; a -> d ; e alone
    const g = graph([res("a"), res("b", ["a"]), res("c", ["b"]), res("d", ["a"]), res("e")]);
    const s = graphStats(g);
    expect(s.depth).toBe(3);
    expect(s.perLevel).toEqual([2, 2, 1]);
    expect(s.width).toBe(2);
    expect(s.criticalPath).toEqual(["urn:a", "urn:b", "urn:c"]);
  });

  it("counts the provider as something a resource waits for", () => {
    const g = graph([res("prov"), res("x", [], { provider: "urn:prov" })]);
    expect(graphStats(g).depth).toBe(2);
  });

  it("expands a dependency on a component to the component's custom descendants", () => {
    const g = graph([
      res("comp", [], { custom: false }),
      res("inner1", [], { parent: "urn:comp" }),
      res("inner2", ["inner1"], { parent: "urn:comp" }),
      res("after", ["comp"]),
    ]);
    const s = graphStats(g);
    expect(s.levels.get("urn:after")).toBe(3);
    expect(s.components).toBe(1);
    expect(s.resources).toBe(3);
  });

  it("reports a cycle instead of looping", () => {
    expect(() => graphStats(graph([res("a", ["b"]), res("b", ["a"])]))).toThrow("dependency cycle");
  });

  it("orders resources so every dependency comes first", () => {
    const g = graph([res("c", ["b"]), res("b", ["a"]), res("a")]);
    expect(topologicalOrder(g).map((r) => r.name)).toEqual(["a", "b", "c"]);
  });
});

describe("the real program's graph", () => {
  let c: Capture;
  beforeAll(async () => {
    c = await captureStack("dev");
  });

  it("has no cycle and every dependency and parent points at a registered resource", () => {
    const urns = new Set(c.resources.map((r) => r.urn));
    expect(c.resources.flatMap((r) => r.dependencies).length).toBeGreaterThan(100);
    for (const r of c.resources) {
      for (const d of r.dependencies) expect(urns).toContain(d);
      if (r.parent) expect(urns).toContain(r.parent);
      if (r.provider) expect(urns).toContain(r.provider);
    }
    expect(graphStats(c).depth).toBeGreaterThan(1);
  });

  it("draws an overview with one node per service and per shared layer, and arrows between them", () => {
    const text = mermaidOverview(c);
    expect(text.startsWith("flowchart LR\n")).toBe(true);
    for (const key of SERVICES) expect(text).toContain(`svc_${key.replace("-", "_")}["${key}<br/>`);
    for (const shared of ["shared_PostgreSQL", "shared_Kubernetes", "shared_AWS"]) expect(text).toContain(`${shared}["`);
    // booking reads svc_users: the users schema's grants to booking wait on booking's role.
    expect(text).toContain("svc_booking --> svc_users");
    expect(text).not.toContain("svc_users --> svc_booking");
    const schema = c.resources.find((r) => r.type === "postgresql:index/schema:Schema" && r.name.startsWith("booking"))!;
    expect(serviceOf(c, schema)).toBe("booking");
  });

  it("draws each service on its own: its resources by layer and the groups it waits on", () => {
    const text = mermaidService(c, "booking");
    expect(text).toContain('subgraph PostgreSQL["booking: PostgreSQL"]');
    expect(text).toContain('subgraph Kubernetes["booking: Kubernetes"]');
    expect(text).toMatch(/\["Schema<br\/>booking-[a-z-]+"\]/);
    expect(text).toContain('ext_users["service users"]');
    expect(text).not.toMatch(/\["[^"]*<br\/>users-/);
  });

  /** Mermaid's parser runs once (a process of its own) on both stacks' pictures and on one over its edge limit. */
  type Parsed = ReturnType<typeof parseMermaid>;
  let pictures: Parsed;
  let overLimit: Parsed;
  beforeAll(async () => {
    const dir = tempDir("mermaid-");
    const files: string[] = [];
    for (const stack of ["dev", "prod"]) {
      const s = stack === "dev" ? c : await captureStack(stack);
      files.push(join(dir, `${stack}-overview.mmd`));
      writeFileSync(files[files.length - 1], mermaidOverview(s));
      for (const key of SERVICES) {
        files.push(join(dir, `${stack}-${key}.mmd`));
        writeFileSync(files[files.length - 1], mermaidService(s, key));
      }
    }
    const big = join(dir, "big.mmd");
    writeFileSync(big, ["flowchart LR", ...Array.from({ length: 501 }, (_, i) => `  a${i} --> b${i}`)].join("\n"));
    const results = parseMermaid([...files, big]);
    pictures = results.filter((r) => r.file !== big);
    overLimit = results.filter((r) => r.file === big);
  }, 60_000);

  it("gives pictures Mermaid's parser accepts at its default limits, for both stacks", () => {
    expect(pictures.filter((r) => !r.ok)).toEqual([]);
    expect(pictures).toHaveLength(22);
    expect(pictures.every((r) => r.type === "flowchart-v2")).toBe(true);
  });

  it("has a parser check that refuses a picture over Mermaid's default edge limit", () => {
    expect(overLimit).toHaveLength(1);
    expect(overLimit[0]).toMatchObject({ ok: false, error: expect.stringContaining("Edge limit exceeded") });
  });
});
