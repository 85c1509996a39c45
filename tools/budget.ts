/**
 * The connection budget as the offline plan prints it. The program records the budget on its
 * Platform component (`registerOutputs`), so this reads the captured graph, not a second model.
 */
import type { BudgetRow, BudgetTotals } from "../components/database/connectionBudget";
import type { SupabaseLimits } from "../components/config/configSchema";
import { Capture } from "./capture";

interface RecordedBudget {
  readonly limits: SupabaseLimits;
  readonly rows: readonly BudgetRow[];
  readonly totals: BudgetTotals;
}

/** The budget the capture's Platform recorded. */
export function recordedBudget(c: Capture): RecordedBudget {
  const platform = c.resources.find((r) => r.type === "volteryde:index:Platform");
  const budget = platform?.outputs.connectionBudget as RecordedBudget | undefined;
  if (!budget) throw new Error("the capture holds no connection budget (no Platform component, or it recorded none)");
  return budget;
}

/** Pools, server connections (ceiling) and pooler clients per kind, against the project's limits. */
export function budgetTable(c: Capture): string {
  const { limits: l, rows, totals: t } = recordedBudget(c);
  const lines: [string, number, number, number][] = [
    ...rows.map((r) => [r.what, r.pools, r.ceiling, r.clients] as [string, number, number, number]),
    ["total", t.pools, t.serverPeak, t.clients],
    ["limit", l.maxPools, t.available, l.poolerMaxClients],
    ["headroom", l.maxPools - t.pools, t.available - t.serverPeak, l.poolerMaxClients - t.clients],
  ];
  const w = Math.max(...lines.map((r) => r[0].length));
  const num = (n: number) => String(n).padStart(8);
  return [
    `Connection budget: compute ${l.compute}, max_connections ${l.maxConnections} (${l.reservedSuperuser} superuser-reserved, ${l.reservedSupabaseServices} for Supabase's services), ` +
      `pool size ${l.poolSize} (up to ${l.poolSize + 1} per pool), ${t.serverSteady} server connections without a flip`,
    `  ${"".padEnd(w)}${["pools", "ceiling", "clients"].map((h) => h.padStart(8)).join("")}`,
    ...lines.map(([what, ...n]) => `  ${what.padEnd(w)}${n.map(num).join("")}`),
  ].join("\n");
}

/** The budget in five lines for the plan's one-screen summary: totals, limits and headroom (budget.txt has every pool kind). */
export function budgetSummary(c: Capture): string {
  const { limits: l, totals: t } = recordedBudget(c);
  const rows: [string, number, number, number][] = [
    ["total", t.pools, t.serverPeak, t.clients],
    ["limit", l.maxPools, t.available, l.poolerMaxClients],
    ["headroom", l.maxPools - t.pools, t.available - t.serverPeak, l.poolerMaxClients - t.clients],
  ];
  return [
    `Connection budget: compute ${l.compute}, max_connections ${l.maxConnections}, pool size ${l.poolSize} (budget.txt: every pool kind)`,
    `  ${"".padEnd(8)}${["pools", "server", "clients"].map((h) => h.padStart(9)).join("")}`,
    ...rows.map(([what, ...n]) => `  ${what.padEnd(8)}${n.map((x) => String(x).padStart(9)).join("")}`),
  ].join("\n");
}
