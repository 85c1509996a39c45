/**
 * The connection budget: every connection this stack can make Postgres and Supavisor hold, the
 * checks that keep it inside the Supabase project's limits, and the CONNECTION LIMIT of each login
 * that follows from it. Pure; README "Connection budget" explains the model and its sources.
 *
 * Supavisor opens one pool per (role, database, mode) (supabase/supavisor `lib/supavisor.ex`, the
 * pool `id` record; docs `troubleshooting/supavisor-faq`), so every login of ours is its own pool.
 * A pool holds up to pool size + 1 server connections: `lib/supavisor/tenant_supervisor.ex` starts
 * poolboy with `size: 1` (the warm connection) and `max_overflow: pool_size`.
 */
import { PROJECT, Settings, SupabaseLimits, maxReplicas, supabaseLimits } from "../config/configSchema";
import { COMPUTE_SIZES } from "../config/supabaseCompute";
import { RUNTIME_USERS, roleNames } from "../config/naming";

/** How a pool's connections reach Postgres. `internal`: Supabase's own use of Supavisor. */
export type PoolMode = "transaction" | "session" | "direct" | "internal";
export type PoolKind = "runtime" | "migrator" | "provider" | "storage";

export interface BudgetLogin {
  /** The login role's name. */
  readonly role: string;
  readonly kind: "runtime" | "migrator";
  /** A runtime user the pods use now; the other one holds connections only during a flip. */
  readonly active: boolean;
}

export interface BudgetService {
  readonly key: string;
  /** Every login role of the service, as the database component declares them. */
  readonly logins: readonly BudgetLogin[];
  /** The most pods at once before a rollout's surge: replicas, or autoscaling.maxReplicas. */
  readonly pods: number;
  /** Client connections per pod (TypeORM pool max). */
  readonly poolMax: number;
  /** Temporal worker pods that use this service's credentials and pool settings (0: none). */
  readonly workerPods: number;
  /** A deliberate CONNECTION LIMIT for each runtime login. @default none */
  readonly hardCap?: number;
}

export interface BudgetInput {
  readonly limits: SupabaseLimits;
  /** Where migrations and the PostgreSQL provider connect. */
  readonly adminVia: "session-pooler" | "direct";
  readonly services: readonly BudgetService[];
  /** Extra pods a rolling update starts per Deployment (maxSurge). */
  readonly surgePods: number;
  /** CONNECTION LIMIT of each migrator: a deliberate cap. */
  readonly migratorLimit: number;
  /** `database.providerMaxConnections`: what the PostgreSQL provider may open (see `providerConnections`). */
  readonly providerConnections: number;
  /** The provider's role (display only). */
  readonly adminRole: string;
  /** Added to a runtime login's derived limit: ad-hoc sessions beside the pooler's. */
  readonly headroom: number;
}

export interface BudgetPool {
  readonly kind: PoolKind;
  readonly service?: string;
  readonly role: string;
  readonly mode: PoolMode;
  /** Holds connections only during a flip of `rotation.active` (the idle runtime user). */
  readonly flipOnly: boolean;
  /** The most server connections (Postgres backends) it can hold. */
  readonly ceiling: number;
  /** Client connections it serves at peak (Storage's are not ours: 0). */
  readonly clients: number;
}

export interface RoleLimit {
  readonly role: string;
  readonly service: string;
  readonly kind: "runtime" | "migrator";
  /** CONNECTION LIMIT to declare. */
  readonly connectionLimit: number;
  /** A cap config asks for (a runtime login's below pool size + 1, every migrator's), not derived from the pool. */
  readonly hardCap: boolean;
}

/** One line of the plan's budget table. */
export interface BudgetRow {
  readonly what: string;
  readonly pools: number;
  readonly ceiling: number;
  readonly clients: number;
}

export interface BudgetTotals {
  /** max_connections minus the reserves: what our roles and Storage may use. */
  readonly available: number;
  /** Server connections with one runtime user per service. */
  readonly serverSteady: number;
  /** With both runtime users of every service, as during a flip: what must fit. */
  readonly serverPeak: number;
  /** Supavisor pools (pools of direct connections are not Supavisor's). */
  readonly pools: number;
  /** Client connections to the pooler at peak. */
  readonly clients: number;
}

export interface ConnectionBudget {
  readonly limits: SupabaseLimits;
  readonly pools: readonly BudgetPool[];
  readonly roles: readonly RoleLimit[];
  readonly rows: readonly BudgetRow[];
  readonly totals: BudgetTotals;
  /** Why the stack does not fit, one `<project>:<key>: ...` line per check; empty when it fits. */
  readonly problems: readonly string[];
}

/**
 * Connections the PostgreSQL provider may open. In session mode Supavisor admits at most pool-size
 * clients per role and refuses the next with EMAXCONNSESSION (`lib/supavisor/manager.ex`), which
 * would fail resources of a parallel `pulumi up`: the provider opens no more than the pool size.
 */
function providerOpens(input: Pick<BudgetInput, "adminVia" | "providerConnections" | "limits">): number {
  return input.adminVia === "session-pooler" ? Math.min(input.providerConnections, input.limits.poolSize) : input.providerConnections;
}

/** `maxConnections` of the PostgreSQL provider for a validated config. */
export function providerConnections(settings: Settings): number {
  return providerOpens({ adminVia: adminVia(settings), providerConnections: settings.db.providerMaxConnections, limits: settings.supabaseLimits });
}

const adminVia = (settings: Settings): BudgetInput["adminVia"] => (settings.adminEndpoint.kind === "direct" ? "direct" : "session-pooler");

/** What every runtime login of a service may have to carry: all its pods and workers, with surge. */
function runtimeClients(svc: BudgetService, surge: number): number {
  const workers = svc.workerPods > 0 ? svc.workerPods + surge : 0;
  return (svc.pods + surge + workers) * svc.poolMax;
}

function poolsOf(input: BudgetInput): BudgetPool[] {
  const P = input.limits.poolSize;
  const session = input.adminVia === "session-pooler";
  const pools: BudgetPool[] = [];
  for (const svc of input.services) {
    for (const login of svc.logins) {
      if (login.kind === "runtime") {
        pools.push({
          kind: "runtime",
          service: svc.key,
          role: login.role,
          mode: "transaction",
          flipOnly: !login.active,
          // A hard cap is Postgres's limit on the role; Supavisor's own is P + 1.
          ceiling: Math.min(P + 1, svc.hardCap ?? Infinity),
          clients: login.active ? runtimeClients(svc, input.surgePods) : 0,
        });
      } else {
        pools.push({
          kind: "migrator",
          service: svc.key,
          role: login.role,
          mode: session ? "session" : "direct",
          flipOnly: false,
          ceiling: session ? Math.min(P + 1, input.migratorLimit) : input.migratorLimit,
          // Session mode admits at most pool-size clients per pool (EMAXCONNSESSION).
          clients: session ? Math.min(input.migratorLimit, P) : 0,
        });
      }
    }
  }
  const provider = providerOpens(input);
  pools.push({
    kind: "provider",
    role: input.adminRole,
    mode: session ? "session" : "direct",
    flipOnly: false,
    ceiling: provider,
    clients: session ? provider : 0,
  });
  // Storage uses Supavisor as one more (role, database, mode) with the project's pool size (docs, Supavisor FAQ).
  pools.push({ kind: "storage", role: "supabase_storage_admin", mode: "internal", flipOnly: false, ceiling: P + 1, clients: 0 });
  return pools;
}

function rolesOf(input: BudgetInput): RoleLimit[] {
  const P = input.limits.poolSize;
  return input.services.flatMap((svc) =>
    svc.logins.map((login) =>
      login.kind === "runtime"
        ? {
            role: login.role,
            service: svc.key,
            kind: "runtime" as const,
            // Postgres counts the backends Supavisor opens for the role (up to P + 1); a lower
            // limit fails them with FATAL 53300 instead of queueing. Headroom: ad-hoc sessions.
            connectionLimit: svc.hardCap ?? P + 1 + input.headroom,
            hardCap: svc.hardCap !== undefined && svc.hardCap < P + 1,
          }
        : // database.migratorConnectionLimit: a deliberate cap (a migration needs one or two connections).
          { role: login.role, service: svc.key, kind: "migrator" as const, connectionLimit: input.migratorLimit, hardCap: true },
    ),
  );
}

const ROW_NAMES: Record<string, string> = {
  "runtime-active": "active runtime users",
  "runtime-flip": "idle runtime users (during a flip)",
  migrator: "migrators",
  provider: "PostgreSQL provider",
  storage: "Supabase Storage",
};

function rowsOf(pools: readonly BudgetPool[]): BudgetRow[] {
  const groups = new Map<string, BudgetRow>();
  for (const p of pools) {
    const id = p.kind === "runtime" ? (p.flipOnly ? "runtime-flip" : "runtime-active") : p.kind;
    const row = groups.get(id) ?? { what: ROW_NAMES[id], pools: 0, ceiling: 0, clients: 0 };
    groups.set(id, { what: row.what, pools: row.pools + 1, ceiling: row.ceiling + p.ceiling, clients: row.clients + p.clients });
  }
  return Object.keys(ROW_NAMES).flatMap((id) => (groups.has(id) ? [groups.get(id)!] : []));
}

function totalsOf(input: BudgetInput, pools: readonly BudgetPool[]): BudgetTotals {
  const l = input.limits;
  const sum = (ps: readonly BudgetPool[], f: (p: BudgetPool) => number) => ps.reduce((n, p) => n + f(p), 0);
  return {
    available: l.maxConnections - l.reservedSuperuser - l.reservedSupabaseServices,
    serverSteady: sum(
      pools.filter((p) => !p.flipOnly),
      (p) => p.ceiling,
    ),
    serverPeak: sum(pools, (p) => p.ceiling),
    pools: pools.filter((p) => p.mode !== "direct").length,
    clients: sum(pools, (p) => p.clients),
  };
}

/** The budget with other limits (what-ifs for the ways out). */
function withLimits(input: BudgetInput, limits: SupabaseLimits): BudgetTotals {
  const changed = { ...input, limits };
  return totalsOf(changed, poolsOf(changed));
}

/** The same limits on another compute, keeping what config set explicitly (the pool size above all). */
function onCompute(l: SupabaseLimits, compute: SupabaseLimits["compute"]): SupabaseLimits {
  return supabaseLimits(compute, { poolSize: l.poolSize, reservedSuperuser: l.reservedSuperuser });
}

const key = (k: string) => `${PROJECT}:${k}`;

function serverProblem(input: BudgetInput, pools: readonly BudgetPool[], totals: BudgetTotals): string {
  const l = input.limits;
  const rows = rowsOf(pools)
    .map((r) => `${r.what} ${r.ceiling} (${r.pools} ${r.pools === 1 ? "pool" : "pools"})`)
    .join(", ");
  const flip =
    totals.serverSteady <= totals.available
      ? ` It fits with one runtime user per service (${totals.serverSteady}), but a flip of rotation.active has both users of each service hold a pool until the old one drains.`
      : "";
  const ways: string[] = [];
  let fitSize: number | undefined;
  for (let p = l.poolSize - 1; p >= 1 && fitSize === undefined; p--) {
    if (withLimits(input, { ...l, poolSize: p }).serverPeak <= totals.available) fitSize = p;
  }
  if (fitSize !== undefined) {
    ways.push(`set the pooler's pool size to ${fitSize} in the dashboard (Database settings, Connection pooling) and ${key("supabase.pooler.poolSize")} to ${fitSize}`);
  }
  const bigger = COMPUTE_SIZES.slice(COMPUTE_SIZES.indexOf(l.compute) + 1).find((c) => {
    const other = onCompute(l, c);
    return withLimits(input, other).serverPeak <= other.maxConnections - other.reservedSuperuser - other.reservedSupabaseServices;
  });
  if (bigger) ways.push(`a larger compute (${key("supabase.compute")}: ${bigger} fits at pool size ${l.poolSize})`);
  ways.push(`fewer services (services.<svc>.enabled: false) or hard caps (services.<svc>.connectionLimit)`);
  return (
    `${key("supabase.compute")}: got ${JSON.stringify(l.compute)}; the stack may hold ${totals.serverPeak} server connections but ${l.compute} leaves ${totals.available} to our roles ` +
    `(max_connections ${l.maxConnections} - ${l.reservedSuperuser} superuser-reserved - ${l.reservedSupabaseServices} for Supabase's services). ` +
    `Each Supavisor pool may open pool size + 1 = ${l.poolSize + 1}: ${rows}.${flip} Ways out: ${ways.join("; ")}.`
  );
}

function poolsProblem(input: BudgetInput, pools: readonly BudgetPool[], totals: BudgetTotals): string {
  const rows = rowsOf(pools.filter((p) => p.mode !== "direct"))
    .map((r) => `${r.what} ${r.pools}`)
    .join(", ");
  const admin = pools.filter((p) => p.mode === "session").length;
  const ways = [
    ...(input.adminVia === "session-pooler" ? [`${key("supabase.adminEndpoint")}: direct (migrators and the provider bypass Supavisor: ${admin} pools fewer)`] : []),
    "fewer services (services.<svc>.enabled: false)",
  ];
  return (
    `${key("services")}: the stack needs ${totals.pools} Supavisor pools (one per login role and mode: ${rows}) but Supavisor opens at most ${input.limits.maxPools} per project ` +
    `and refuses the next with EMAXPOOLSREACHED. Ways out: ${ways.join("; ")}.`
  );
}

function clientsProblem(input: BudgetInput, pools: readonly BudgetPool[], totals: BudgetTotals): string {
  const l = input.limits;
  const top = pools
    .filter((p) => p.clients > 0 && p.kind === "runtime")
    .sort((a, b) => b.clients - a.clients || a.role.localeCompare(b.role))
    .slice(0, 3)
    .map((p) => `${p.service} ${p.clients}`)
    .join(", ");
  const bigger = COMPUTE_SIZES.slice(COMPUTE_SIZES.indexOf(l.compute) + 1).find((c) => onCompute(l, c).poolerMaxClients >= totals.clients);
  const ways = [
    `fewer client connections per pod (${key("defaults.pool.max")}, services.<svc>.pool.max)`,
    `fewer replicas (${key("defaults.replicas")}, services.<svc>.replicas, services.<svc>.autoscaling.maxReplicas, temporal.replicas)`,
    ...(bigger ? [`a larger compute (${key("supabase.compute")}: ${bigger} allows ${onCompute(l, bigger).poolerMaxClients})`] : []),
  ];
  return (
    `${key("supabase.compute")}: got ${JSON.stringify(l.compute)}; the stack may open ${totals.clients} client connections to the pooler ` +
    `((pods + ${input.surgePods} surge) x pool.max per service, Temporal workers, parallel migration Jobs, the provider; largest: ${top}) ` +
    `but the pooler accepts ${l.poolerMaxClients} and refuses the next with "max client connections reached". Ways out: ${ways.join("; ")}.`
  );
}

function hardCapProblems(input: BudgetInput): string[] {
  const P = input.limits.poolSize;
  return input.services.flatMap((svc) => {
    if (svc.hardCap === undefined) return [];
    const clients = runtimeClients(svc, input.surgePods);
    const needed = Math.min(P + 1, clients);
    if (svc.hardCap >= needed) return [];
    return [
      `${key(`services.${svc.key}.connectionLimit`)}: got ${svc.hardCap}; each runtime login of ${svc.key} may need ${needed} server connections ` +
        `(its ${clients} clients, (${svc.pods} pods + ${input.surgePods} surge${svc.workerPods ? ` + ${svc.workerPods + input.surgePods} Temporal workers` : ""}) x pool.max ${svc.poolMax}, ` +
        `through a pool of up to ${P + 1}), and Postgres refuses the connection above the limit with FATAL 53300 "too many connections for role" instead of queueing it. ` +
        `Ways out: raise it to at least ${needed}, remove it, or lower services.${svc.key}.pool.max or its replicas until the clients fit under it.`,
    ];
  });
}

/** The budget of a stack and every reason it does not fit. */
export function connectionBudget(input: BudgetInput): ConnectionBudget {
  const pools = poolsOf(input);
  const totals = totalsOf(input, pools);
  const problems = [
    ...(totals.serverPeak > totals.available ? [serverProblem(input, pools, totals)] : []),
    ...(totals.pools > input.limits.maxPools ? [poolsProblem(input, pools, totals)] : []),
    ...(totals.clients > input.limits.poolerMaxClients ? [clientsProblem(input, pools, totals)] : []),
    ...hardCapProblems(input),
  ];
  return { limits: input.limits, pools, roles: rolesOf(input), rows: rowsOf(pools), totals, problems };
}

/**
 * The budget's input from the validated config: the logins the database component declares per
 * service (from `roleNames`, so a second migrator login is counted once naming declares it), and
 * the pods the workloads run.
 */
export function budgetInput(settings: Settings, opts: { surgePods: number }): BudgetInput {
  const workers = new Set(settings.temporal.services);
  return {
    limits: settings.supabaseLimits,
    adminVia: adminVia(settings),
    surgePods: opts.surgePods,
    migratorLimit: settings.db.migratorConnectionLimit,
    providerConnections: settings.db.providerMaxConnections,
    adminRole: settings.adminUsername.replace(`.${settings.projectRef}`, ""),
    headroom: settings.db.connectionHeadroom,
    services: settings.services.map((svc) => {
      const names = roleNames(svc.service);
      return {
        key: svc.service.key,
        logins: [
          ...RUNTIME_USERS.map((slot) => ({ role: names.users[slot], kind: "runtime" as const, active: slot === svc.rotation.active })),
          ...[names.migrator].map((role) => ({ role, kind: "migrator" as const, active: true })),
        ],
        pods: maxReplicas(svc),
        poolMax: svc.pool.max,
        workerPods: workers.has(svc.service.key) ? settings.temporal.replicas : 0,
        ...(svc.connectionLimit !== undefined ? { hardCap: svc.connectionLimit } : {}),
      };
    }),
  };
}

/** CONNECTION LIMIT of one service's login roles. */
export interface ConnectionLimits {
  /** Per runtime login user (each of blue/green may carry the whole service after a flip). */
  readonly runtime: number;
  readonly migrator: number;
}

/** The limits the budget gives a service's logins. */
export function serviceLimits(budget: ConnectionBudget, serviceKey: string): ConnectionLimits {
  const of = (kind: RoleLimit["kind"]) => {
    const limits = [...new Set(budget.roles.filter((r) => r.service === serviceKey && r.kind === kind).map((r) => r.connectionLimit))];
    if (limits.length !== 1) throw new Error(`connection budget: expected one ${kind} limit for ${serviceKey}, got ${limits.join(", ") || "none"}`);
    return limits[0];
  };
  return { runtime: of("runtime"), migrator: of("migrator") };
}
