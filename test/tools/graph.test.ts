/** Levels, depth, width and the Mermaid picture, on hand-made graphs and on the real program. */
import { Capture } from "../../tools/capture";
import { graphStats, mermaid, serviceOf, topologicalOrder } from "../../tools/graph";
import { captureStack } from "../../tools/run";
import { handmade, handmadeCapture } from "../handmadeGraph";

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

  it("draws one subgraph per enabled service and puts each service's resources in it", () => {
    const text = mermaid(c);
    expect(text.startsWith("flowchart LR\n")).toBe(true);
    for (const key of ["auth", "client_auth", "users", "payment", "fleet", "charging", "booking", "telematics", "core", "notifications"]) {
      expect(text).toContain(`subgraph ${key}[`);
    }
    const schema = c.resources.find((r) => r.type === "postgresql:index/schema:Schema" && r.name.startsWith("booking"))!;
    expect(serviceOf(c, schema)).toBe("booking");
  });
});
