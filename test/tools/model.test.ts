/** The model of what the graph declares (tools/verify/model.ts), on handmade graphs. */
import { CapturedResource, SecretValue } from "../../tools/capture";
import { databaseModel, normaliseSetting, objectAcl } from "../../tools/verify/model";
import { handmade, handmadeCapture } from "../handmadeGraph";

const res = (type: string, name: string, inputs: Record<string, unknown>): CapturedResource => handmade(name, [], { type, inputs });
const pg = (kind: string) => `postgresql:index/${kind}`;

describe("databaseModel", () => {
  const c = handmadeCapture([
    res("pulumi:providers:postgresql", "supabase", { username: "postgres.abcdefghijklmnopqrst", databaseUsername: "postgres" }),
    res(pg("role:Role"), "owner", { name: "o", login: false }),
    res(pg("role:Role"), "migrator", { name: "m", login: true, roles: ["o"], assumeRole: "o", searchPaths: ["s"], statementTimeout: 1000, password: new SecretValue("pw") }),
    res(pg("schema:Schema"), "schema", { name: "s", owner: "o", database: "db" }),
    res(pg("grant:Grant"), "usage", { database: "db", schema: "s", role: "a", objectType: "schema", privileges: ["USAGE"] }),
    res(pg("grant:Grant"), "public", { database: "db", schema: "public", role: "public", objectType: "schema", privileges: [] }),
    res(pg("grant:Grant"), "connect", { database: "db", role: "a", objectType: "database", privileges: ["CONNECT"] }),
    res(pg("defaultPrivileges:DefaultPrivileges"), "tables", { database: "db", schema: "s", owner: "o", role: "a", objectType: "table", privileges: ["select", "INSERT"] }),
    res(pg("defaultPrivileges:DefaultPrivileges"), "empty", { database: "db", schema: "s", owner: "o", role: "b", objectType: "sequence", privileges: [] }),
    res(pg("defaultPrivileges:DefaultPrivileges"), "functions", { database: "db", owner: "o", role: "public", objectType: "function", privileges: [] }),
  ]);
  const model = databaseModel(c);

  it("reads roles with every attribute, memberships and settings", () => {
    const m = model.roles.get("m")!;
    expect(m).toMatchObject({ login: true, inherit: true, superuser: false, connectionLimit: -1, validUntil: "infinity", memberOf: ["o"] });
    expect(m.settings).toEqual({ search_path: "s", statement_timeout: "1000", role: "o" });
    expect(model.passwords.get("m")).toBe("pw");
    expect(model.admin).toBe("postgres");
    expect(model.database).toBe("db");
  });

  it("turns grants into schema, public and database ACLs", () => {
    expect([...model.schemas.get("s")!.acl]).toEqual([["a", ["USAGE"]]]);
    expect(model.publicSchema).toEqual([]);
    expect([...model.databaseAcl]).toEqual([["a", ["CONNECT"]]]);
  });

  it("creates the pg_default_acl rows PostgreSQL keeps: none for an empty IN SCHEMA entry, one for a database-wide change", () => {
    expect(model.defaultAcls.map((d) => [d.owner, d.schema ?? null, d.kind, [...d.acl]])).toEqual([
      ["o", "s", "table", [["a", ["INSERT", "SELECT"]]]],
      ["o", null, "function", []],
    ]);
  });

  it("gives a new object the database-wide default plus its schema's", () => {
    expect([...objectAcl(model, "o", "s", "table")]).toEqual([["a", ["INSERT", "SELECT"]]]);
    // PUBLIC's EXECUTE is gone for o's functions; another owner keeps PostgreSQL's default.
    expect([...objectAcl(model, "o", "s", "function")]).toEqual([]);
    expect([...objectAcl(model, "x", "s", "function")]).toEqual([["public", ["EXECUTE"]]]);
  });
});

describe("normaliseSetting", () => {
  it.each([
    ["search_path", '"svc_a", public', "svc_a, public"],
    ["search_path", "svc_a,public", "svc_a, public"],
    ["statement_timeout", "30000", "30000"],
    ["statement_timeout", "30s", "30000"],
    ["idle_in_transaction_session_timeout", "1min", "60000"],
    ["lock_timeout", "'8s'", "8000"],
    ["role", "svc_a_owner", "svc_a_owner"],
  ])("%s = %s is %s", (name, value, expected) => {
    expect(normaliseSetting(name, value)).toBe(expected);
  });
});
