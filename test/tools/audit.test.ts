/**
 * `npm run audit` against a real server: the prod design applied as the provider does, audited
 * clean; then one tampering at a time, each reported with its key facts, and clean again once
 * undone (test/tools/auditScenario.ts, in this process; the CLI's own runs are processes).
 */
import { clientConfig } from "../../tools/audit/cli";
import { Scenario, ScenarioInput, auditScenario } from "./auditScenario";
import { tempDir } from "../tempDirs";

/** The admin acts on a service's objects as the provider does: a temporary membership in the owner. */
const asOwner = (owner: string, sql: string) => [`GRANT ${owner} TO postgres`, sql, `REVOKE ${owner} FROM postgres`];

/** Each tampering, its undo, and the facts its report must name (all literal). */
const TAMPERINGS: { name: string; sql: string[]; undo: string[]; facts: string[] }[] = [
  {
    name: "an extra table grant to another service",
    sql: asOwner("svc_users_owner", "GRANT SELECT ON svc_users.verify_items TO svc_payment_app"),
    undo: asOwner("svc_users_owner", "REVOKE SELECT ON svc_users.verify_items FROM svc_payment_app"),
    facts: ["table svc_users.verify_items: svc_payment_app has SELECT, which the graph does not grant"],
  },
  {
    name: "GRANT owner TO a runtime user",
    sql: ["GRANT svc_users_owner TO svc_users_app_blue"],
    undo: ["REVOKE svc_users_owner FROM svc_users_app_blue"],
    facts: ["svc_users_app_blue is a member of svc_users_owner with INHERIT, SET (granted by postgres); the graph declares no such membership"],
  },
  {
    name: "ALTER ROLE ... CREATEDB",
    sql: ["ALTER ROLE svc_booking_app_green CREATEDB"],
    undo: ["ALTER ROLE svc_booking_app_green NOCREATEDB"],
    facts: ["role svc_booking_app_green has CREATEDB; the graph declares NOCREATEDB"],
  },
  {
    name: "a changed search_path",
    sql: ["ALTER ROLE svc_booking_app_blue SET search_path TO svc_booking, public"],
    undo: ["ALTER ROLE svc_booking_app_blue SET search_path TO svc_booking"],
    facts: ["svc_booking_app_blue has search_path = svc_booking, public; the graph sets svc_booking"],
  },
  {
    name: "a default privilege for PUBLIC",
    sql: asOwner("svc_payment_owner", "ALTER DEFAULT PRIVILEGES FOR ROLE svc_payment_owner IN SCHEMA svc_payment GRANT SELECT ON TABLES TO PUBLIC"),
    undo: asOwner("svc_payment_owner", "ALTER DEFAULT PRIVILEGES FOR ROLE svc_payment_owner IN SCHEMA svc_payment REVOKE SELECT ON TABLES FROM PUBLIC"),
    facts: ["default privileges of svc_payment_owner in svc_payment on tables: PUBLIC has SELECT, which the graph does not grant"],
  },
  {
    name: "ownership moved to the admin",
    sql: asOwner("svc_fleet_owner", "ALTER TABLE svc_fleet.verify_events OWNER TO postgres"),
    undo: asOwner("svc_fleet_owner", "ALTER TABLE svc_fleet.verify_events OWNER TO svc_fleet_owner"),
    // The identity column's sequence moves with its table.
    facts: [
      "table svc_fleet.verify_events is owned by postgres; every object in svc_fleet must belong to svc_fleet_owner",
      "sequence svc_fleet.verify_events_id_seq is owned by postgres; every object in svc_fleet must belong to svc_fleet_owner",
    ],
  },
  {
    name: "a dropped grant",
    sql: asOwner("svc_core_owner", "REVOKE INSERT ON svc_core.verify_items FROM svc_core_app"),
    undo: asOwner("svc_core_owner", "GRANT INSERT ON svc_core.verify_items TO svc_core_app"),
    facts: ["table svc_core.verify_items: svc_core_app lacks INSERT, which the graph grants"],
  },
  {
    name: "a new login with USAGE on a service schema",
    sql: ["CREATE ROLE intruder LOGIN PASSWORD 'intruder-password'", ...asOwner("svc_charging_owner", "GRANT USAGE ON SCHEMA svc_charging TO intruder")],
    undo: [...asOwner("svc_charging_owner", "REVOKE USAGE ON SCHEMA svc_charging FROM intruder"), "DROP ROLE intruder"],
    facts: ["schema svc_charging: intruder has USAGE, which the graph does not grant"],
  },
  {
    name: "a column grant to a Data API role",
    sql: asOwner("svc_users_owner", "GRANT SELECT (note) ON svc_users.verify_items TO anon"),
    undo: asOwner("svc_users_owner", "REVOKE SELECT (note) ON svc_users.verify_items FROM anon"),
    facts: ["column svc_users.verify_items.note: anon has SELECT, which the graph does not grant"],
  },
  {
    name: "a Supabase role's default privilege inside a service schema",
    sql: ["ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA svc_notifications GRANT SELECT ON TABLES TO anon"],
    undo: ["ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA svc_notifications REVOKE SELECT ON TABLES FROM anon"],
    facts: ["default privileges of postgres in svc_notifications on tables: anon has SELECT, which the graph does not grant"],
  },
  {
    name: "a leftover temporary grant of an owner to the admin",
    sql: ["GRANT svc_telematics_owner TO postgres"],
    undo: ["REVOKE svc_telematics_owner FROM postgres"],
    facts: ["postgres is a member of svc_telematics_owner with INHERIT, SET (granted by postgres)"],
  },
  {
    name: "a per-database setting and a dropped timeout",
    sql: ["ALTER ROLE svc_core_migrator IN DATABASE postgres SET statement_timeout TO 0", "ALTER ROLE svc_core_app_green RESET statement_timeout"],
    undo: ["ALTER ROLE svc_core_migrator IN DATABASE postgres RESET statement_timeout", "ALTER ROLE svc_core_app_green SET statement_timeout TO 30000"],
    facts: ["svc_core_migrator has statement_timeout = 0 in database postgres", "svc_core_app_green has no statement_timeout; the graph sets statement_timeout = 30000"],
  },
];

let scenario: Scenario;
beforeAll(async () => {
  const input: ScenarioInput = {
    stack: "prod",
    pg: 17,
    tamperings: TAMPERINGS.map(({ name, sql, undo }) => ({ name, sql, undo })),
    cliDrift: ["GRANT svc_booking_owner TO svc_payment_app_blue"],
  };
  scenario = await auditScenario(input, tempDir("audit-"));
}, 300_000);

it("reports nothing on the design as the provider applies it (Supabase's own roles and schemas left out)", () => {
  expect(scenario.clean.differences).toEqual([]);
  expect(scenario.clean.code).toBe(0);
  expect(scenario.clean.text).toContain("No drift: the database matches the graph.");
  // prod: 10 services x (owner, app, migrator, blue, green) + 2 read-only roles = 52; memberships:
  // 20 users in their app, 10 migrators in their owner, and on 16+ the admin's ADMIN-only row for each
  // of the 52 roles it created = 82; settings: 30 logins x (search_path, 2 timeouts) + 10 migrators' role = 100.
  expect(scenario.clean.text).toMatch(/Compared 52 roles, 82 memberships, 100 role settings, 10 schemas/);
});

describe.each(TAMPERINGS.map((t) => [t.name, t] as const))("%s", (name, t) => {
  it("is reported with its key facts, and only it; undone, the audit is clean again", () => {
    const outcome = scenario.tamperings.find((x) => x.name === name)!;
    expect(outcome.code).toBe(1);
    const messages = outcome.differences.map((d) => d.message);
    for (const fact of t.facts) expect(messages.some((m) => m.includes(fact))).toBe(true);
    expect(outcome.differences).toHaveLength(t.facts.length);
    expect(outcome.afterUndo).toBe(0);
  });
});

it("the CLI exits 0 clean and 1 on drift, prints each difference and writes the JSON report", () => {
  const { clean, drift } = scenario.cli;
  expect(clean.code).toBe(0);
  expect(clean.json.drift).toBe(false);
  expect(drift.code).toBe(1);
  expect(drift.stdout).toContain("EXTRA   svc_payment_app_blue is a member of svc_booking_owner with INHERIT, SET (granted by postgres)");
  expect(drift.stdout).toContain("DRIFT: 1 difference(s) from the graph.");
  expect(drift.json.drift).toBe(true);
  expect(drift.json.differences.map((d) => d.subject)).toEqual(["membership of svc_payment_app_blue in svc_booking_owner"]);
  // The password came from PGPASSWORD and is in neither the output nor the report.
  expect(drift.stdout + JSON.stringify(drift.json)).not.toContain("admin-password-for-verification");
});

describe("the connection", () => {
  it("takes the password from the URL, else PGPASSWORD, and refuses to run without one", () => {
    expect(clientConfig("postgresql://auditor:from-url@db.example:5432/postgres", { PGPASSWORD: "from-env" }).password).toBe("from-url");
    const fromEnv = clientConfig("postgresql://auditor@db.example:6000/postgres", { PGPASSWORD: "from-env" });
    expect(fromEnv).toMatchObject({ user: "auditor", host: "db.example", port: 6000, database: "postgres", password: "from-env" });
    expect(() => clientConfig("postgresql://auditor@db.example:5432/postgres", {})).toThrow("no password: put it in --database-url or in PGPASSWORD");
  });
});
