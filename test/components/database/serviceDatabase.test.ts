/** ServiceDatabase in the real program's graph, both stacks. */
import * as pulumi from "@pulumi/pulumi";
import { SERVICES } from "../../../components/config/catalogue";
import { ServiceDatabase } from "../../../components/database/serviceDatabase";
import { Capture, CapturedResource, SecretValue, capture, reveal } from "../../../tools/capture";
import { captureStack } from "../../../tools/run";

const ROLE = "postgresql:index/role:Role";
const SCHEMA = "postgresql:index/schema:Schema";
const GRANT = "postgresql:index/grant:Grant";
const DEFAULTS = "postgresql:index/defaultPrivileges:DefaultPrivileges";

const captures: Record<string, Capture> = {};
beforeAll(async () => {
  captures.dev = await captureStack("dev");
  captures.prod = await captureStack("prod");
});

const component = (c: Capture, key: string) => c.resources.find((r) => r.type === "volteryde:database:ServiceDatabase" && r.name === key)!;
const children = (c: Capture, key: string, type?: string) =>
  c.resources.filter((r) => r.parent === component(c, key).urn && (!type || r.type === type));
const roleByName = (c: Capture, name: string) => c.resources.find((r) => r.type === ROLE && reveal(r.inputs.name) === name)!;
const plain = (r: CapturedResource) => reveal(r.inputs) as Record<string, unknown>;
// Registration order is asynchronous: compare in the matrix's order.
const TYPE_ORDER = ["database", "schema", "table", "sequence", "function"];
const byObjectType = <T extends { objectType?: unknown }>(rows: T[]): T[] =>
  [...rows].sort((a, b) => TYPE_ORDER.indexOf(String(a.objectType)) - TYPE_ORDER.indexOf(String(b.objectType)));

describe.each(["dev", "prod"])("%s: per service", (stack) => {
  it.each(SERVICES.map((s) => [s.key, s.schema]))("%s: exactly one schema %s, owned by the NOLOGIN owner role", (key, schema) => {
    const c = captures[stack];
    const schemas = children(c, key, SCHEMA);
    expect(schemas.map((s) => plain(s).name)).toEqual([schema]);
    // dev drops a schema with its tables (nothing kept); prod never drops one (retained).
    expect(plain(schemas[0])).toMatchObject({ owner: `${schema}_owner`, database: "postgres", dropCascade: stack === "dev" });
    const owner = roleByName(c, `${schema}_owner`);
    expect(schemas[0].propertyDependencies.owner).toEqual([owner.urn]);
  });

  it.each(SERVICES.map((s) => [s.key, s.schema]))("%s: the roles, their attributes and memberships", (key, schema) => {
    const c = captures[stack];
    const roles = children(c, key, ROLE).map(plain);
    const byName = Object.fromEntries(roles.map((r) => [r.name as string, r]));
    const expected = [`${schema}_app`, `${schema}_app_blue`, `${schema}_app_green`, `${schema}_migrator`, `${schema}_owner`];
    const hasReadonly = stack === "prod" && ["booking", "payment"].includes(key);
    expect(Object.keys(byName).sort()).toEqual(hasReadonly ? [...expected, `${schema}_readonly`].sort() : expected);
    for (const r of roles) {
      expect(r).toMatchObject({ superuser: false, createDatabase: false, createRole: false, replication: false, bypassRowLevelSecurity: false });
    }
    for (const nologin of [`${schema}_owner`, `${schema}_app`]) expect(byName[nologin].login).toBe(false);
    expect(byName[`${schema}_migrator`]).toMatchObject({ login: true, roles: [`${schema}_owner`], assumeRole: `${schema}_owner`, searchPaths: [schema] });
    for (const user of [`${schema}_app_blue`, `${schema}_app_green`]) {
      expect(byName[user]).toMatchObject({ login: true, inherit: true, roles: [`${schema}_app`], searchPaths: [schema] });
      expect(byName[user].connectionLimit).toBeGreaterThan(byName[`${schema}_migrator`].connectionLimit as number);
    }
  });
});

describe("connection limits and timeouts come from config", () => {
  it("runtime users: Supavisor's pool ceiling (pool size + 1) + headroom; migrators: their own cap", () => {
    const limit = (c: Capture, role: string) => plain(roleByName(c, role)).connectionLimit;
    // dev: pool size 1, headroom 5, whatever the replicas or the Temporal workers.
    expect(limit(captures.dev, "svc_auth_app_blue")).toBe(7);
    expect(limit(captures.dev, "svc_booking_app_green")).toBe(7);
    // prod: pool size 5.
    expect(limit(captures.prod, "svc_payment_app_blue")).toBe(11);
    expect(limit(captures.prod, "svc_telematics_app_blue")).toBe(11);
    expect(limit(captures.prod, "svc_auth_migrator")).toBe(3);
  });

  it("sets statement and idle-in-transaction timeouts on every login role; the migrator's statement timeout is its own", () => {
    const logins = captures.dev.resources.filter((r) => r.type === ROLE && plain(r).login === true).map(plain);
    expect(logins).toHaveLength(30);
    const users = logins.filter((r) => /_app_(blue|green)$/.test(String(r.name)));
    const migrators = logins.filter((r) => String(r.name).endsWith("_migrator"));
    expect([users.length, migrators.length]).toEqual([20, 10]);
    // dev: database.statementTimeoutMs 60000; the migrator's default is the Job's deadline, 900 s.
    for (const r of users) expect(r).toMatchObject({ statementTimeout: 60000, idleInTransactionSessionTimeout: 60000 });
    for (const r of migrators) expect(r).toMatchObject({ statementTimeout: 900000, idleInTransactionSessionTimeout: 60000 });
  });
});

describe("secrets and protection", () => {
  it("gives every login role a secret password from its RandomPassword", () => {
    const c = captures.dev;
    // dev: 30 logins (blue, green, migrator per service), 20 NOLOGIN roles (owner, app).
    expect(c.resources.filter((x) => x.type === ROLE).map((x) => plain(x).login).sort()).toEqual([...Array(20).fill(false), ...Array(30).fill(true)]);
    for (const r of c.resources.filter((x) => x.type === ROLE && plain(x).login === true)) {
      expect(r.inputs.password).toBeInstanceOf(SecretValue);
      expect(r.propertyDependencies.password).toHaveLength(1);
      expect(r.propertyDependencies.password[0]).toContain("random:index/randomPassword:RandomPassword");
      expect(String(reveal(r.inputs.password))).toMatch(/^[A-Za-z0-9]{32,}$/);
    }
    for (const r of c.resources.filter((x) => x.type === ROLE && plain(x).login === false)) expect(r.inputs.password).toBeUndefined();
  });

  it("retains schemas and owner roles in prod only, and protects none (disabling a service must run)", () => {
    for (const [stack, retained] of [
      ["dev", false],
      ["prod", true],
    ] as const) {
      const kept = captures[stack].resources.filter((r) => r.type === SCHEMA || (r.type === ROLE && String(plain(r).name).endsWith("_owner")));
      expect(kept).toHaveLength(20);
      for (const r of kept) expect({ name: r.name, protect: r.options.protect, retainOnDelete: r.options.retainOnDelete }).toEqual({ name: r.name, protect: false, retainOnDelete: retained });
      const roles = captures[stack].resources.filter((r) => r.type === ROLE);
      expect(roles.filter((r) => r.options.protect)).toEqual([]);
    }
  });
});

describe("grants and default privileges", () => {
  type GrantRow = { name: string; role?: unknown; objectType?: unknown; privileges?: unknown; schema?: unknown; objects?: unknown; withGrantOption?: unknown };
  const grantsOf = (c: Capture, key: string): GrantRow[] => children(c, key, GRANT).map((g) => ({ name: g.name, ...plain(g) }));

  it("grants the app role exactly the runtime privileges, listed, on all existing objects", () => {
    const grants = byObjectType(grantsOf(captures.dev, "fleet").filter((g) => g.role === "svc_fleet_app" && g.objectType !== "database"));
    expect(grants.map((g) => [g.objectType, g.privileges, g.schema, g.objects ?? []])).toEqual([
      ["schema", ["USAGE"], "svc_fleet", []],
      ["table", ["SELECT", "INSERT", "UPDATE", "DELETE"], "svc_fleet", []],
      ["sequence", ["USAGE", "SELECT"], "svc_fleet", []],
      ["function", ["EXECUTE"], "svc_fleet", []],
    ]);
    for (const g of grants) expect(g.withGrantOption).toBe(false);
  });

  it("declares default privileges FOR ROLE owner for tables, sequences and functions", () => {
    const defaults = children(captures.dev, "fleet", DEFAULTS).map(plain);
    const rows = defaults.map((d) => [d.role, d.objectType, d.owner, d.schema, d.privileges]);
    expect(rows.sort((a, b) => String(b[0]).localeCompare(String(a[0])) || TYPE_ORDER.indexOf(String(a[1])) - TYPE_ORDER.indexOf(String(b[1])))).toEqual([
      ["svc_fleet_app", "table", "svc_fleet_owner", "svc_fleet", ["SELECT", "INSERT", "UPDATE", "DELETE"]],
      ["svc_fleet_app", "sequence", "svc_fleet_owner", "svc_fleet", ["USAGE", "SELECT"]],
      ["svc_fleet_app", "function", "svc_fleet_owner", "svc_fleet", ["EXECUTE"]],
      // Global (no schema): a per-schema default cannot remove PUBLIC's EXECUTE.
      ["public", "function", "svc_fleet_owner", undefined, []],
    ]);
    for (const d of children(captures.dev, "fleet", DEFAULTS)) expect(d.options.deleteBeforeReplace).toBe(true);
  });

  it("never grants ALL, TRUNCATE or a grant option", () => {
    for (const c of Object.values(captures)) {
      for (const r of c.resources.filter((x) => x.type === GRANT || x.type === DEFAULTS)) {
        const privileges = plain(r).privileges as string[];
        expect(privileges.filter((p) => ["ALL", "ALL PRIVILEGES", "TRUNCATE", "CREATE", "REFERENCES", "TRIGGER", "MAINTAIN"].includes(p))).toEqual([]);
        expect(plain(r).withGrantOption ?? false).toBe(false);
      }
    }
  });

  it("grants CONNECT on the database to the service roles and never touches PUBLIC's CONNECT", () => {
    const connects = grantsOf(captures.prod, "payment").filter((g) => g.objectType === "database");
    expect(connects.map((g) => [g.role, g.privileges]).sort()).toEqual([
      ["svc_payment_app", ["CONNECT"]],
      ["svc_payment_owner", ["CONNECT"]],
      ["svc_payment_readonly", ["CONNECT"]],
    ]);
    const dbGrantsToPublic = captures.prod.resources.filter((r) => r.type === GRANT && plain(r).objectType === "database" && plain(r).role === "public");
    expect(dbGrantsToPublic).toEqual([]);
  });

  it("gives the read-only role SELECT only (prod booking)", () => {
    const grants = byObjectType(grantsOf(captures.prod, "booking").filter((g) => g.role === "svc_booking_readonly" && g.objectType !== "database"));
    expect(grants.map((g) => [g.objectType, g.privileges])).toEqual([
      ["schema", ["USAGE"]],
      ["table", ["SELECT"]],
      ["sequence", ["SELECT"]],
    ]);
  });

  it("grants declared cross-service reads only: booking reads svc_users, nobody else reads anything", () => {
    for (const c of Object.values(captures)) {
      const foreign = c.resources.filter((r) => {
        if (r.type !== GRANT && r.type !== DEFAULTS) return false;
        const { role, schema } = plain(r) as { role: string; schema?: string };
        return schema !== undefined && role !== "public" && !role.startsWith(`${schema}_`);
      });
      expect(foreign.map((r) => [plain(r).role, plain(r).schema, plain(r).objectType]).sort()).toEqual([
        ["svc_booking_app", "svc_users", "schema"],
        ["svc_booking_app", "svc_users", "table"],
        ["svc_booking_app", "svc_users", "table"],
      ]);
      // The reader's role exists before the grant that names it.
      const readerGrant = foreign.find((r) => r.type === GRANT && plain(r).objectType === "table")!;
      expect(readerGrant.propertyDependencies.role).toEqual([roleByName(c, "svc_booking_app").urn]);
    }
  });

  it("chains grants that touch the same schema catalog rows (lanes), and only within one service", () => {
    const c = captures.prod;
    for (const key of ["booking", "users", "payment"]) {
      const inSchema = children(c, key).filter((r) => (r.type === GRANT && plain(r).objectType !== "database") || r.type === DEFAULTS);
      const lane = (r: CapturedResource) => (r.type === DEFAULTS ? "defaults" : String(plain(r).objectType));
      const lanes = new Map<string, CapturedResource[]>();
      for (const r of inSchema) lanes.set(lane(r), [...(lanes.get(lane(r)) ?? []), r]);
      expect([key, [...lanes.keys()].sort()]).toEqual([key, ["defaults", "function", "schema", "sequence", "table"]]);
      for (const members of lanes.values()) {
        // Within a lane, each member (but the first) explicitly waits for the previous one.
        const firsts = members.filter((m) => m.explicitDependencies.length === 0);
        expect(firsts).toHaveLength(1);
        for (const m of members) {
          for (const d of m.explicitDependencies) expect(members.map((x) => x.urn)).toContain(d);
        }
      }
    }
    // No explicit dependency crosses from one service's database component to another's.
    const chained = c.resources.filter((x) => x.type.startsWith("postgresql:") && x.explicitDependencies.length > 0);
    expect(chained.length).toBeGreaterThan(30);
    for (const r of chained) {
      for (const d of r.explicitDependencies) expect(c.resources.find((x) => x.urn === d)!.parent).toBe(r.parent);
    }
  });
});

describe("argument validation", () => {
  it("rejects a non-positive connection limit before registering anything", async () => {
    const program = () => {
      new ServiceDatabase("bad", {
        service: { service: SERVICES[0] } as never,
        database: "postgres",
        passwords: { blue: pulumi.secret("a"), green: pulumi.secret("b"), migrator: pulumi.secret("c") },
        connectionLimits: { runtime: 0, migrator: 1 },
        statementTimeoutMs: 1,
        migratorStatementTimeoutMs: 1,
        idleInTransactionSessionTimeoutMs: 1,
        protect: false,
      });
      return {};
    };
    await expect(capture({ stack: "unit", config: {}, program })).rejects.toThrow("connectionLimits.runtime must be a positive integer, got 0");
  });
});
