/** The SQL rendered from the captured graph: the provider's statement shapes, in graph order, passwords hidden. */
import { Capture, CapturedResource, SecretValue } from "../../tools/capture";
import { captureStack } from "../../tools/run";
import { renderSql, sqlStatements, withRolesGranted } from "../../tools/sql/render";
import { handmade, handmadeCapture } from "../handmadeGraph";

function res(type: string, name: string, inputs: Record<string, unknown>, deps: string[] = []): CapturedResource {
  return handmade(name, deps, { type: `postgresql:index/${type}`, inputs });
}

const capture = handmadeCapture;
const statementsOf = (c: Capture, name: string, reveal = false) => sqlStatements(c, { revealSecrets: reveal }).find((r) => r.name === name)!.statements;

describe("statement shapes", () => {
  const owner = res("role:Role", "owner", { name: "svc_x_owner", login: false });
  const login = res(
    "role:Role",
    "login",
    {
      name: "svc_x_app_blue",
      login: true,
      roles: ["svc_x_app"],
      connectionLimit: 25,
      password: new SecretValue("hunter2hunter2"),
      searchPaths: ["svc_x"],
      statementTimeout: 30000,
      idleInTransactionSessionTimeout: 60000,
    },
    ["owner"],
  );
  const migrator = res("role:Role", "migrator", { name: "svc_x_migrator", login: true, roles: ["svc_x_owner"], assumeRole: "svc_x_owner" }, ["owner"]);
  const schema = res("schema:Schema", "schema", { name: "svc_x", owner: "svc_x_owner" }, ["owner"]);
  const tables = res("grant:Grant", "tables", { database: "postgres", schema: "svc_x", role: "svc_x_app", objectType: "table", objects: [], privileges: ["SELECT", "INSERT"] }, ["schema"]);
  const oneTable = res("grant:Grant", "one", { database: "postgres", schema: "svc_x", role: "svc_x_app", objectType: "table", objects: ["t1", "t2"], privileges: ["SELECT"] }, ["schema"]);
  const revokePublic = res("grant:Grant", "pub", { database: "postgres", schema: "public", role: "public", objectType: "schema", privileges: [] });
  const connect = res("grant:Grant", "connect", { database: "postgres", role: "svc_x_app", objectType: "database", privileges: ["CONNECT"] });
  const defaults = res("defaultPrivileges:DefaultPrivileges", "defaults", { database: "postgres", schema: "svc_x", owner: "svc_x_owner", role: "svc_x_app", objectType: "sequence", privileges: ["USAGE", "SELECT"] }, ["schema"]);
  const globalDefaults = res("defaultPrivileges:DefaultPrivileges", "global", { database: "postgres", owner: "svc_x_owner", role: "public", objectType: "function", privileges: [] }, ["owner"]);
  const c = capture([globalDefaults, defaults, connect, revokePublic, oneTable, tables, schema, migrator, login, owner]);

  it("spells out every role attribute, memberships and per-role settings", () => {
    expect(statementsOf(c, "login")).toEqual([
      `CREATE ROLE "svc_x_app_blue" WITH NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 25 PASSWORD '[secret]' VALID UNTIL 'infinity'`,
      `GRANT "svc_x_app" TO "svc_x_app_blue"`,
      `ALTER ROLE "svc_x_app_blue" SET search_path TO "svc_x"`,
      `ALTER ROLE "svc_x_app_blue" SET statement_timeout TO 30000`,
      `ALTER ROLE "svc_x_app_blue" SET idle_in_transaction_session_timeout TO 60000`,
    ]);
    expect(statementsOf(c, "owner")[0]).toMatch(/ NOLOGIN .*CONNECTION LIMIT -1 /);
    expect(statementsOf(c, "owner")[0]).not.toContain("PASSWORD");
    expect(statementsOf(c, "migrator")).toContain(`ALTER ROLE "svc_x_migrator" SET ROLE TO "svc_x_owner"`);
  });

  it("puts the password in only when asked to (the verifier, in memory)", () => {
    expect(statementsOf(c, "login", true)[0]).toContain("PASSWORD 'hunter2hunter2'");
    expect(renderSql(c)).not.toContain("hunter2");
  });

  it("creates a schema as its owner through the provider's temporary membership", () => {
    const schemaSql = sqlStatements(c).find((r) => r.name === "schema")!;
    expect(schemaSql.statements).toEqual([`CREATE SCHEMA IF NOT EXISTS "svc_x" AUTHORIZATION "svc_x_owner"`]);
    expect(schemaSql.asRoles).toEqual(["svc_x_owner"]);
    // The DBA's script shows the provider's conditional grant around the block.
    expect(renderSql(c)).toContain(
      [
        "BEGIN;",
        `GRANT "svc_x_owner" TO CURRENT_USER; -- withRolesGranted: only if not a member yet (16+: with SET)`,
        `CREATE SCHEMA IF NOT EXISTS "svc_x" AUTHORIZATION "svc_x_owner";`,
        `REVOKE "svc_x_owner" FROM CURRENT_USER; -- withRolesGranted: only if the GRANT above ran`,
        "COMMIT;",
      ].join("\n"),
    );
  });

  it("asks for no temporary membership on the database, public or roles", () => {
    for (const name of ["connect", "pub", "login", "owner"]) expect(sqlStatements(c).find((r) => r.name === name)!.asRoles).toEqual([]);
    for (const name of ["tables", "one", "defaults", "global"]) expect(sqlStatements(c).find((r) => r.name === name)!.asRoles).toEqual(["svc_x_owner"]);
  });

  it("revokes before it grants; objects [] means ALL ... IN SCHEMA, a list names the objects", () => {
    expect(statementsOf(c, "tables")).toEqual([
      `REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA "svc_x" FROM "svc_x_app"`,
      `GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA "svc_x" TO "svc_x_app"`,
    ]);
    expect(statementsOf(c, "one")).toContain(`GRANT SELECT ON TABLE "svc_x"."t1", "svc_x"."t2" TO "svc_x_app"`);
  });

  it("treats role public as PUBLIC, and an empty privilege list as only the revoke", () => {
    // public has no captured schema resource, so no temporary owner grant either.
    expect(statementsOf(c, "pub")).toEqual([`REVOKE ALL PRIVILEGES ON SCHEMA "public" FROM PUBLIC`]);
  });

  it("grants on the database without acting as a schema owner", () => {
    expect(statementsOf(c, "connect")).toEqual([`REVOKE ALL PRIVILEGES ON DATABASE "postgres" FROM "svc_x_app"`, `GRANT CONNECT ON DATABASE "postgres" TO "svc_x_app"`]);
  });

  it("scopes default privileges FOR ROLE the owner, IN SCHEMA only when a schema is set", () => {
    expect(statementsOf(c, "defaults")).toEqual([
      `ALTER DEFAULT PRIVILEGES FOR ROLE "svc_x_owner" IN SCHEMA "svc_x" REVOKE ALL ON SEQUENCES FROM "svc_x_app"`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE "svc_x_owner" IN SCHEMA "svc_x" GRANT USAGE, SELECT ON SEQUENCES TO "svc_x_app"`,
    ]);
    expect(statementsOf(c, "global")).toEqual([`ALTER DEFAULT PRIVILEGES FOR ROLE "svc_x_owner" REVOKE ALL ON FUNCTIONS FROM PUBLIC`]);
  });

  it("orders statements so every dependency comes first", () => {
    const order = sqlStatements(c).map((r) => r.name);
    const edges = c.resources.flatMap((r) => r.dependencies.map((d) => [order.indexOf(d.slice(4)), order.indexOf(r.name)]));
    expect(edges.length).toBeGreaterThan(5);
    // Both ends are statements (a missing one, index -1, would pass a plain `<`).
    for (const [before, after] of edges) expect([before >= 0, after >= 0, before < after]).toEqual([true, true, true]);
  });

  it("quotes identifiers", () => {
    const odd = capture([res("role:Role", "odd", { name: 'we"ird' })]);
    expect(statementsOf(odd, "odd")[0]).toContain(`CREATE ROLE "we""ird"`);
  });

  it("refuses a postgresql resource it cannot render instead of leaving it out", () => {
    const unknown = capture([res("function:Function", "fn", { name: "f" })]);
    expect(() => sqlStatements(unknown)).toThrow("no SQL rendering for postgresql:index/function:Function (fn)");
  });
});

describe("the dev stack's script", () => {
  let c: Capture;
  beforeAll(async () => {
    c = await captureStack("dev");
  }, 60_000);

  it("renders every postgresql resource of the program once, passwords hidden", () => {
    const pg = c.resources.filter((r) => r.type.startsWith("postgresql:index/"));
    const rendered = sqlStatements(c);
    expect(rendered.map((r) => r.urn).sort()).toEqual(pg.map((r) => r.urn).sort());
    const script = renderSql(c);
    expect(script).toMatch(/^-- SQL the PostgreSQL provider issues for stack "dev"/);
    expect(script.match(/PASSWORD '\[secret\]'/g)?.length).toBe(pg.filter((r) => r.inputs.password !== undefined).length);
    for (const secret of c.resources.flatMap((r) => (r.type.startsWith("random:") ? [String((r.outputs.result as SecretValue).value)] : []))) {
      expect(script).not.toContain(secret);
    }
  });
});

describe("withRolesGranted", () => {
  /** A server where the admin is no superuser and a member of nothing (PostgreSQL 16+: set_option exists). */
  function fakeServer() {
    const asked: string[] = [];
    const query = async (sql: string) => {
      asked.push(sql);
      if (sql.startsWith("SELECT CURRENT_USER")) return { rows: [{ u: "postgres" }] };
      if (sql.startsWith("SELECT rolsuper")) return { rows: [{ rolsuper: false }] };
      if (sql.includes("information_schema.columns")) return { rows: [{ "?column?": 1 }] };
      return { rows: [] };
    };
    return { asked, query };
  }

  it("asks who the admin is, whether it is a superuser and about set_option once per session object, and issues the same", async () => {
    const perCall = fakeServer();
    const shared = fakeServer();
    const session = {};
    for (const owner of ["svc_a_owner", "svc_b_owner"]) {
      const a = await withRolesGranted(perCall.query, [owner], [`CREATE SCHEMA "x" AUTHORIZATION "${owner}"`]);
      const b = await withRolesGranted(shared.query, [owner], [`CREATE SCHEMA "x" AUTHORIZATION "${owner}"`], session);
      expect(b).toEqual(a);
      expect(a).toEqual([`GRANT "${owner}" TO "postgres"`, `CREATE SCHEMA "x" AUTHORIZATION "${owner}"`]);
    }
    const facts = (asked: string[]) => asked.filter((q) => q.startsWith("SELECT CURRENT_USER") || q.includes("information_schema.columns")).length;
    expect(facts(perCall.asked)).toBe(4);
    expect(facts(shared.asked)).toBe(2);
    expect(session).toEqual({ currentUser: "postgres", superuser: false, setOption: true });
    // Everything else is asked as often as before: each role's own superuser and membership checks.
    const rest = (asked: string[]) => asked.filter((q) => !q.startsWith("SELECT CURRENT_USER") && !q.includes("information_schema.columns"));
    expect(rest(shared.asked).filter((q) => q.startsWith("SELECT rolsuper")).length).toBe(rest(perCall.asked).filter((q) => q.startsWith("SELECT rolsuper")).length - 1);
  });
});
