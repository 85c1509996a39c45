/**
 * Reading the captured graph as a deployment: levels (what the engine can run in parallel),
 * depth and width, counts per type and per component, and a Mermaid picture.
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

function mermaidId(urn: string, ids: Map<string, string>): string {
  if (!ids.has(urn)) ids.set(urn, `n${ids.size}`);
  return ids.get(urn)!;
}

/**
 * A Mermaid flowchart of the custom resources: one subgraph per service (its chain, left to
 * right), the shared resources outside, arrows from a dependency to what waits on it.
 */
export function mermaid(c: Capture): string {
  const ids = new Map<string, string>();
  const byUrn = new Map(c.resources.map((x) => [x.urn, x]));
  const custom = c.resources.filter((r) => r.custom);
  const groups = new Map<string, CapturedResource[]>();
  for (const r of custom) {
    const g = r.type.startsWith("pulumi:providers:") ? "providers" : (serviceIn(byUrn, r) ?? "shared");
    groups.set(g, [...(groups.get(g) ?? []), r]);
  }
  const label = (r: CapturedResource) => `${r.type.split(":").pop()}<br/>${r.name}`;
  const lines = ["flowchart LR"];
  const order = ["providers", "shared", ...SERVICE_KEYS];
  for (const g of order) {
    const members = groups.get(g);
    if (!members) continue;
    lines.push(`  subgraph ${g.replace(/-/g, "_")}["${g}"]`);
    lines.push("    direction LR");
    for (const r of members) lines.push(`    ${mermaidId(r.urn, ids)}["${label(r)}"]`);
    lines.push("  end");
  }
  const expand = (urn: string): string[] => {
    const r = byUrn.get(urn);
    if (!r) return [];
    if (r.custom) return [urn];
    return c.resources.filter((x) => x.parent === urn).flatMap((x) => expand(x.urn));
  };
  const edges = new Set<string>();
  for (const r of custom) {
    // Provider edges are left out of the picture: every resource has one and they hide the chains.
    for (const dep of r.dependencies.flatMap(expand)) edges.add(`  ${mermaidId(dep, ids)} --> ${mermaidId(r.urn, ids)}`);
  }
  return [...lines, ...[...edges].sort()].join("\n") + "\n";
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
