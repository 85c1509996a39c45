/** The connection budget model, table-driven on hand-made inputs (numbers worked out by hand). */
import { supabaseLimits } from "../../../components/config/configSchema";
import { BudgetInput, BudgetService, budgetInput, connectionBudget, serviceLimits } from "../../../components/database/connectionBudget";
import { settingsOf } from "../../fixtures";

/** A service with blue active, green idle and one migrator. */
const svc = (key: string, extra: Partial<BudgetService> = {}): BudgetService => ({
  key,
  logins: [
    { role: `svc_${key}_app_blue`, kind: "runtime", active: true },
    { role: `svc_${key}_app_green`, kind: "runtime", active: false },
    { role: `svc_${key}_migrator`, kind: "migrator", active: true },
  ],
  pods: 2,
  poolMax: 5,
  workerPods: 0,
  ...extra,
});

/** Small (90 connections, 3 + 18 reserved: 69 available, 400 clients), pool size 3: 4 per pool. */
const input = (extra: Partial<BudgetInput> = {}): BudgetInput => ({
  limits: supabaseLimits("small", { poolSize: 3 }),
  adminVia: "session-pooler",
  services: [svc("a"), svc("b")],
  surgePods: 1,
  migratorLimit: 2,
  providerConnections: 4,
  adminRole: "postgres",
  headroom: 5,
  ...extra,
});

describe("within budget", () => {
  const b = connectionBudget(input());

  it("counts one pool per login, the provider's and Storage's, each up to pool size + 1 (or its cap)", () => {
    expect(b.pools.map((p) => [p.role, p.mode, p.flipOnly, p.ceiling, p.clients])).toEqual([
      // (2 pods + 1 surge) x pool max 5 = 15 clients, all on the active user.
      ["svc_a_app_blue", "transaction", false, 4, 15],
      ["svc_a_app_green", "transaction", true, 4, 0],
      // Session mode: min(pool size + 1, migrator limit 2); clients min(limit, pool size).
      ["svc_a_migrator", "session", false, 2, 2],
      ["svc_b_app_blue", "transaction", false, 4, 15],
      ["svc_b_app_green", "transaction", true, 4, 0],
      ["svc_b_migrator", "session", false, 2, 2],
      // The provider opens at most pool size (3) in session mode, not its configured 4.
      ["postgres", "session", false, 3, 3],
      ["supabase_storage_admin", "internal", false, 4, 0],
    ]);
  });

  it("adds them up against max_connections minus the reserves, the 50 pools and the pooler's clients", () => {
    expect(b.totals).toEqual({ available: 69, serverSteady: 4 + 2 + 4 + 2 + 3 + 4, serverPeak: 27, pools: 8, clients: 37 });
    expect(b.problems).toEqual([]);
  });

  it("derives each login's CONNECTION LIMIT from the pool's ceiling, not from the clients", () => {
    expect(b.roles.map((r) => [r.role, r.connectionLimit, r.hardCap])).toEqual([
      ["svc_a_app_blue", 3 + 1 + 5, false],
      ["svc_a_app_green", 9, false],
      ["svc_a_migrator", 2, true],
      ["svc_b_app_blue", 9, false],
      ["svc_b_app_green", 9, false],
      ["svc_b_migrator", 2, true],
    ]);
    expect(serviceLimits(b, "b")).toEqual({ runtime: 9, migrator: 2 });
  });

  it("summarises per kind for the plan", () => {
    expect(b.rows).toEqual([
      { what: "active runtime users", pools: 2, ceiling: 8, clients: 30 },
      { what: "idle runtime users (during a flip)", pools: 2, ceiling: 8, clients: 0 },
      { what: "migrators", pools: 2, ceiling: 4, clients: 4 },
      { what: "PostgreSQL provider", pools: 1, ceiling: 3, clients: 3 },
      { what: "Supabase Storage", pools: 1, ceiling: 4, clients: 0 },
    ]);
  });

  it("on the direct host, migrators and the provider are no Supavisor pools and no pooler clients", () => {
    const d = connectionBudget(input({ adminVia: "direct" }));
    expect(d.pools.filter((p) => p.mode === "direct").map((p) => [p.role, p.ceiling, p.clients])).toEqual([
      ["svc_a_migrator", 2, 0],
      ["svc_b_migrator", 2, 0],
      ["postgres", 4, 0],
    ]);
    expect(d.totals).toMatchObject({ pools: 5, clients: 30, serverPeak: 16 + 4 + 4 + 4 });
  });

  it("counts Temporal workers (with their surge pod) on the service's active user", () => {
    const w = connectionBudget(input({ services: [svc("a", { workerPods: 2 }), svc("b")] }));
    expect(w.pools[0].clients).toBe((2 + 1 + 2 + 1) * 5);
  });
});

describe("one role over its hard cap", () => {
  it("accepts a cap that covers the role's clients and budgets the cap instead of pool size + 1", () => {
    // 15 clients would need up to 4 server connections; a cap of 3 is below that ...
    const over = connectionBudget(input({ services: [svc("a", { hardCap: 3 }), svc("b")] }));
    expect(over.problems).toHaveLength(1);
    expect(over.problems[0]).toContain("volteryde-infra:services.a.connectionLimit: got 3");
    expect(over.problems[0]).toContain("may need 4 server connections (its 15 clients, (2 pods + 1 surge) x pool.max 5");
    expect(over.problems[0]).toContain('FATAL 53300 "too many connections for role"');
    expect(over.problems[0]).toContain("raise it to at least 4");
    // ... while with one pod of pool max 1 (2 clients) a cap of 2 is enough, and the pool counts 2.
    const capped = connectionBudget(input({ services: [svc("a", { hardCap: 2, pods: 1, poolMax: 1 }), svc("b")] }));
    expect(capped.problems).toEqual([]);
    expect(capped.pools.filter((p) => p.service === "a" && p.kind === "runtime").map((p) => p.ceiling)).toEqual([2, 2]);
    expect(capped.roles.filter((r) => r.service === "a" && r.kind === "runtime").map((r) => [r.connectionLimit, r.hardCap])).toEqual([
      [2, true],
      [2, true],
    ]);
  });
});

describe("the total over max_connections", () => {
  // Ten services at pool size 3: 10 x (4 + 4 + 2) + 3 + 4 = 107 > 69.
  const services = Array.from({ length: 10 }, (_, i) => svc(`s${i}`, { pods: 1, poolMax: 2 }));
  const b = connectionBudget(input({ services }));

  it("refuses with the numbers and the ways out", () => {
    expect(b.totals).toMatchObject({ serverPeak: 107, available: 69 });
    expect(b.problems).toHaveLength(1);
    const [message] = b.problems;
    expect(message).toContain('volteryde-infra:supabase.compute: got "small"; the stack may hold 107 server connections but small leaves 69 to our roles');
    expect(message).toContain("(max_connections 90 - 3 superuser-reserved - 18 for Supabase's services)");
    expect(message).toContain("Each Supavisor pool may open pool size + 1 = 4: active runtime users 40 (10 pools), idle runtime users (during a flip) 40 (10 pools), migrators 20 (10 pools)");
    // At pool size 1: 10 x (2 + 2 + 2) + 1 + 2 = 63 fits; at 2: 10 x (3 + 3 + 2) + 2 + 3 = 85 does not.
    expect(message).toContain("set the pooler's pool size to 1 in the dashboard (Database settings, Connection pooling) and volteryde-infra:supabase.pooler.poolSize to 1");
    // Large leaves 160 - 3 - 32 = 125 >= 107; Medium leaves 93.
    expect(message).toContain("a larger compute (volteryde-infra:supabase.compute: large fits at pool size 3)");
    expect(message).toContain("services.<svc>.connectionLimit");
  });

  it("counts an overridden max_connections and reserves", () => {
    const more = connectionBudget(input({ services, limits: supabaseLimits("small", { poolSize: 3, maxConnections: 200, reservedSupabaseServices: 20 }) }));
    expect(more.totals.available).toBe(200 - 3 - 20);
    expect(more.problems).toEqual([]);
  });
});

describe("the flip's overlap", () => {
  it("refuses a stack that fits with one user per service but not while both hold pools", () => {
    // Six services: steady 6 x (4 + 2) + 3 + 4 = 43 <= 69; both users: 43 + 6 x 4 = 67 <= 69; seven: 49 / 77.
    const fits = connectionBudget(input({ services: Array.from({ length: 6 }, (_, i) => svc(`s${i}`)) }));
    expect([fits.totals.serverSteady, fits.totals.serverPeak, fits.problems]).toEqual([43, 67, []]);
    const seven = connectionBudget(input({ services: Array.from({ length: 7 }, (_, i) => svc(`s${i}`)) }));
    expect([seven.totals.serverSteady, seven.totals.serverPeak]).toEqual([49, 77]);
    expect(seven.problems).toHaveLength(1);
    expect(seven.problems[0]).toContain("It fits with one runtime user per service (49), but a flip of rotation.active has both users of each service hold a pool");
  });
});

describe("pools over Supavisor's limit", () => {
  it("refuses the 51st pool and points at the direct host", () => {
    // 17 services x 3 logins + provider + Storage = 53 pools; pool size 1 keeps the server side small.
    const services = Array.from({ length: 17 }, (_, i) => svc(`s${i}`, { pods: 1, poolMax: 1 }));
    const b = connectionBudget(input({ services, limits: supabaseLimits("16xl", { poolSize: 1 }) }));
    expect(b.totals.pools).toBe(53);
    expect(b.problems).toHaveLength(1);
    expect(b.problems[0]).toContain("volteryde-infra:services: the stack needs 53 Supavisor pools");
    expect(b.problems[0]).toContain("at most 50 per project and refuses the next with EMAXPOOLSREACHED");
    expect(b.problems[0]).toContain("volteryde-infra:supabase.adminEndpoint: direct (migrators and the provider bypass Supavisor: 18 pools fewer)");
    expect(connectionBudget(input({ services, adminVia: "direct", limits: supabaseLimits("16xl", { poolSize: 1 }) })).problems).toEqual([]);
  });
});

describe("clients over the pooler's limit", () => {
  it("refuses with the largest consumers and the next compute that admits them", () => {
    // (20 pods + 1) x 10 = 210 and (18 + 1) x 10 = 190, migrators 2 x 2, provider 3: 407 > 400.
    const b = connectionBudget(input({ services: [svc("a", { pods: 20, poolMax: 10 }), svc("b", { pods: 18, poolMax: 10 })] }));
    expect(b.totals.clients).toBe(407);
    expect(b.problems).toHaveLength(1);
    expect(b.problems[0]).toContain('volteryde-infra:supabase.compute: got "small"; the stack may open 407 client connections');
    expect(b.problems[0]).toContain("largest: a 210, b 190");
    expect(b.problems[0]).toContain("but the pooler accepts 400");
    expect(b.problems[0]).toContain("a larger compute (volteryde-infra:supabase.compute: medium allows 600)");
    expect(b.problems[0]).toContain("volteryde-infra:defaults.pool.max");
  });
});

describe("budgetInput: what the budget reads from config", () => {
  it("takes each login of the naming contract, the active user, autoscaling's maximum and the workers", () => {
    const s = settingsOf("dev", {
      services: { booking: { readsFrom: ["users"], autoscaling: { minReplicas: 2, maxReplicas: 5 }, connectionLimit: 60 } },
      rotation: { active: "green" },
    });
    const i = budgetInput(s, { surgePods: 1 });
    const booking = i.services.find((x) => x.key === "booking")!;
    expect(booking).toEqual({
      key: "booking",
      logins: [
        { role: "svc_booking_app_blue", kind: "runtime", active: false },
        { role: "svc_booking_app_green", kind: "runtime", active: true },
        { role: "svc_booking_migrator", kind: "migrator", active: true },
      ],
      pods: 5,
      poolMax: 10,
      workerPods: 1,
      hardCap: 60,
    });
    expect(i.services.find((x) => x.key === "auth")).toMatchObject({ pods: 1, workerPods: 0 });
    expect(i).toMatchObject({ adminVia: "session-pooler", adminRole: "postgres", migratorLimit: 3, providerConnections: 4, headroom: 5 });
    expect(i.limits).toEqual({ compute: "small", maxConnections: 90, poolSize: 1, poolerMaxClients: 400, maxPools: 50, reservedSuperuser: 3, reservedSupabaseServices: 18 });
  });
});
