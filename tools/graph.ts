/**
 * Reading the captured graph as a deployment: levels (what the engine can run in parallel),
 * depth and width, counts per type, per component and per layer, and Mermaid pictures.
 */
import { SERVICE_KEYS } from "../components/config/catalogue";
import { Capture, CapturedResource } from "./capture";

/** Edges the engine waits on: dependencies, plus the provider a resource is created with. */
export function waitsOn(r: CapturedResource): string[] {
  return r.provider ? [...r.dependencies, r.provider] : [...r.dependencies];
}

export interface GraphStats {
  /** Custom resources (what the engine creates). */
  readonly resources: number;
  readonly components: number;
  /** Length of the longest chain of custom resources. */
  readonly depth: number;
  /** Most custom resources on one level: the most the engine can create at once. */
  readonly width: number;
  /** Level (1 = nothing to wait for) per custom resource URN. */
  readonly levels: ReadonlyMap<string, number>;
  /** Resources per level, level 1 first. */
  readonly perLevel: readonly number[];
  /** One longest chain, first to last. */
  readonly criticalPath: readonly string[];
}

/**
 * Levels over custom resources. A dependency on a component (dependsOn a component resource)
 * waits for the component's custom descendants, as the engine does.
 */
export function graphStats(c: Capture): GraphStats {
  const byUrn = new Map(c.resources.map((r) => [r.urn, r]));
  const children = new Map<string, CapturedResource[]>();
  for (const r of c.resources) {
    if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  }
  const customDescendants = (urn: string): string[] =>
    (children.get(urn) ?? []).flatMap((ch) => (ch.custom ? [ch.urn] : customDescendants(ch.urn)));
  const expand = (urn: string): string[] => {
    const r = byUrn.get(urn);
    if (!r) return [];
    return r.custom ? [urn] : customDescendants(urn);
  };

  const levels = new Map<string, number>();
  const via = new Map<string, string | undefined>();
  const visiting = new Set<string>();
  const level = (urn: string): number => {
    const known = levels.get(urn);
    if (known !== undefined) return known;
    if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
    visiting.add(urn);
    let best = 0;
    let from: string | undefined;
    for (const dep of waitsOn(byUrn.get(urn)!).flatMap(expand)) {
      const l = level(dep);
      if (l > best) {
        best = l;
        from = dep;
      }
    }
    visiting.delete(urn);
    levels.set(urn, best + 1);
    via.set(urn, from);
    return best + 1;
  };
  const custom = c.resources.filter((r) => r.custom);
  for (const r of custom) level(r.urn);

  const depth = Math.max(0, ...levels.values());
  const perLevel = Array.from({ length: depth }, (_, i) => [...levels.values()].filter((l) => l === i + 1).length);
  let tail = [...levels.entries()].find(([, l]) => l === depth)?.[0];
  const criticalPath: string[] = [];
  while (tail) {
    criticalPath.unshift(tail);
    tail = via.get(tail);
  }
  return {
    resources: custom.length,
    components: c.resources.length - custom.length,
    depth,
    width: Math.max(0, ...perLevel),
    levels,
    perLevel,
    criticalPath,
  };
}

/** The service a resource belongs to: the nearest ancestor component named after a service. */
export function serviceOf(c: Capture, r: CapturedResource): string | undefined {
  return serviceIn(new Map(c.resources.map((x) => [x.urn, x])), r);
}

/** `serviceOf` with the URN index built once by the caller (it walks every resource). */
function serviceIn(byUrn: ReadonlyMap<string, CapturedResource>, r: CapturedResource): string | undefined {
  for (let cur: CapturedResource | undefined = r; cur; cur = cur.parent ? byUrn.get(cur.parent) : undefined) {
    if (!cur.custom) {
      const key = SERVICE_KEYS.find((k) => cur!.name === k || cur!.name.startsWith(`${k}-`));
      if (key) return key;
    }
  }
  return undefined;
}

/** The component a resource is counted under: its nearest component ancestor, as `Type name`. */
function componentOf(r: CapturedResource, byUrn: Map<string, CapturedResource>): string {
  const parent = r.parent ? byUrn.get(r.parent) : undefined;
  if (!parent) return "(stack)";
  return `${parent.type.split(":").pop()} ${parent.name}`;
}

export function countBy<T>(items: readonly T[], key: (t: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export function perType(c: Capture): [string, number][] {
  return countBy(
    c.resources.filter((r) => r.custom),
    (r) => r.type,
  );
}

export function perComponent(c: Capture): [string, number][] {
  const byUrn = new Map(c.resources.map((x) => [x.urn, x]));
  return countBy(
    c.resources.filter((r) => r.custom),
    (r) => componentOf(r, byUrn),
  );
}

/** The layer a custom resource belongs to, by its provider package. */
export function layerOf(r: CapturedResource): string {
  if (r.type.startsWith("pulumi:providers:")) return "Providers";
  const pkg = r.type.split(":")[0];
  return ({ postgresql: "PostgreSQL", random: "Passwords", aws: "AWS", kubernetes: "Kubernetes" } as Record<string, string>)[pkg] ?? pkg;
}

/** Layers in the order a reader follows them (what is created first). */
export const LAYERS = ["Providers", "PostgreSQL", "Passwords", "AWS", "Kubernetes"];

/**
 * Groups of the pictures: each service's resources, and the shared ones split by layer
 * ("shared PostgreSQL", "shared Kubernetes", ...); providers form their own group.
 */
function groupsOf(c: Capture): Map<string, string> {
  const byUrn = new Map(c.resources.map((x) => [x.urn, x]));
  const group = new Map<string, string>();
  for (const r of c.resources.filter((x) => x.custom)) {
    const layer = layerOf(r);
    group.set(r.urn, layer === "Providers" ? "providers" : (serviceIn(byUrn, r) ?? `shared ${layer}`));
  }
  return group;
}

/** Edges between custom resources: dependency first, what waits on it second (a dependency on a component stands for its custom descendants). */
function customEdges(c: Capture): [string, string][] {
  const children = new Map<string, CapturedResource[]>();
  for (const r of c.resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const byUrn = new Map(c.resources.map((x) => [x.urn, x]));
  const expand = (urn: string): string[] => {
    const r = byUrn.get(urn);
    if (!r) return [];
    return r.custom ? [urn] : (children.get(urn) ?? []).flatMap((x) => expand(x.urn));
  };
  const edges = new Map<string, [string, string]>();
  // Provider edges are left out: every resource has one and they hide the chains.
  for (const r of c.resources.filter((x) => x.custom)) for (const dep of r.dependencies.flatMap(expand)) edges.set(`${dep} ${r.urn}`, [dep, r.urn]);
  return [...edges.values()];
}

const nodeId = (text: string) => text.replace(/[^A-Za-z0-9]/g, "_");
const quoted = (text: string) => `"${text.replace(/"/g, "#quot;")}"`;
const shortType = (type: string) => type.split(":").pop()!;

/** "12 PostgreSQL, 4 AWS" for the resources of a group. */
function layerCounts(rs: readonly CapturedResource[]): string {
  return LAYERS.map((l) => [l, rs.filter((r) => layerOf(r) === l).length] as const)
    .filter(([, n]) => n > 0)
    .map(([l, n]) => `${n} ${l}`)
    .join(", ");
}

/**
 * The overview picture: one node per service and per shared layer with its resource counts,
 * and an arrow where resources of one wait on resources of another. Small enough for Mermaid's
 * default limits (500 edges, 50 000 characters) whatever the number of resources.
 */
export function mermaidOverview(c: Capture): string {
  const group = groupsOf(c);
  const members = new Map<string, CapturedResource[]>();
  for (const r of c.resources.filter((x) => x.custom)) members.set(group.get(r.urn)!, [...(members.get(group.get(r.urn)!) ?? []), r]);
  const shared = [...members.keys()].filter((g) => !SERVICE_KEYS.includes(g)).sort((a, b) => LAYERS.indexOf(a.split(" ").pop()!) - LAYERS.indexOf(b.split(" ").pop()!));
  const services = SERVICE_KEYS.filter((k) => members.has(k));
  const lines = [`flowchart LR`];
  lines.push(`  subgraph shared_layers[${quoted("shared")}]`, "    direction TB");
  for (const g of shared) lines.push(`    ${nodeId(g)}[${quoted(`${g}<br/>${members.get(g)!.length} resources`)}]`);
  lines.push("  end");
  lines.push(`  subgraph services[${quoted(`services (${services.length})`)}]`, "    direction TB");
  for (const k of services) lines.push(`    svc_${nodeId(k)}[${quoted(`${k}<br/>${layerCounts(members.get(k)!)}`)}]`);
  lines.push("  end");
  const id = (g: string) => (SERVICE_KEYS.includes(g) ? `svc_${nodeId(g)}` : nodeId(g));
  const edges = new Set<string>();
  for (const [from, to] of customEdges(c)) {
    const a = group.get(from)!;
    const b = group.get(to)!;
    if (a !== b) edges.add(`  ${id(a)} --> ${id(b)}`);
  }
  return [...lines, ...[...edges].sort()].join("\n") + "\n";
}

/**
 * One service's picture: its resources (type and name), the arrows between them, and the other
 * groups it waits on or that wait on it, each drawn as one node.
 */
export function mermaidService(c: Capture, key: string): string {
  const group = groupsOf(c);
  const byUrn = new Map(c.resources.map((x) => [x.urn, x]));
  const mine = c.resources.filter((r) => r.custom && group.get(r.urn) === key);
  const ids = new Map(mine.map((r, i) => [r.urn, `r${i}`]));
  const lines = [`flowchart LR`];
  for (const layer of LAYERS) {
    const inLayer = mine.filter((r) => layerOf(r) === layer);
    if (!inLayer.length) continue;
    lines.push(`  subgraph ${nodeId(layer)}[${quoted(`${key}: ${layer}`)}]`, "    direction TB");
    for (const r of inLayer) lines.push(`    ${ids.get(r.urn)}[${quoted(`${shortType(r.type)}<br/>${r.name}`)}]`);
    lines.push("  end");
  }
  const outside = new Set<string>();
  const edges = new Set<string>();
  const node = (urn: string) => {
    if (ids.has(urn)) return ids.get(urn)!;
    const g = group.get(urn) ?? byUrn.get(urn)?.name ?? urn;
    outside.add(g);
    return `ext_${nodeId(g)}`;
  };
  for (const [from, to] of customEdges(c)) {
    if (!ids.has(from) && !ids.has(to)) continue;
    edges.add(`  ${node(from)} --> ${node(to)}`);
  }
  const external = [...outside].sort().map((g) => `  ext_${nodeId(g)}[${quoted(SERVICE_KEYS.includes(g) ? `service ${g}` : g)}]`);
  return [...lines, ...external, ...[...edges].sort()].join("\n") + "\n";
}

/** The services that have resources in the capture, in catalogue order. */
export function capturedServices(c: Capture): string[] {
  const group = groupsOf(c);
  const present = new Set(group.values());
  return SERVICE_KEYS.filter((k) => present.has(k));
}

/**
 * Custom resources in an order that respects every dependency. Ties break by URN, not by
 * registration order, which is asynchronous and varies from run to run.
 */
export function topologicalOrder(c: Capture): CapturedResource[] {
  const stats = graphStats(c);
  return c.resources
    .filter((r) => r.custom)
    .sort((a, b) => stats.levels.get(a.urn)! - stats.levels.get(b.urn)! || (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
}
