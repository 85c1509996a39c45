/**
 * Proves the database design on a real PostgreSQL: applies the SQL rendered from the captured
 * graph as a non-superuser admin, then logs in as every role with its generated password and
 * tries what it must be able to do and what it must not. What is expected comes from the same
 * captured graph (memberships, SET ROLE, schema owners, grants, default privileges), so a
 * mismatch means the program does not do what it declares, or PostgreSQL disagrees with it.
 */
import { Client, DatabaseError } from "pg";
import { SERVICES, ServiceDefinition } from "../../components/config/catalogue";
import { RoleNames, roleNames } from "../../components/config/naming";
import { Capture, CapturedResource, reveal } from "../capture";
import { sqlStatements } from "../sql/render";
import { PgMajor, Server, startServer } from "./server";

/** Operations of the privilege matrix, tried on each schema's probe objects. */
export const OPERATIONS = ["select", "insert", "update", "delete", "truncate", "create", "execute"] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface MatrixCell {
  readonly role: string;
  readonly schema: string;
  readonly operation: Operation;
  readonly expected: boolean;
  readonly actual: boolean;
  readonly error?: string;
}

export interface Check {
  readonly role: string;
  readonly what: string;
  /** true: must succeed; false: must fail with a permission error. */
  readonly expectAllowed: boolean;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface VerifyReport {
  readonly stack: string;
  readonly pgMajor: PgMajor;
  readonly serverVersion: string;
  readonly statementsApplied: number;
  readonly matrix: readonly MatrixCell[];
  readonly checks: readonly Check[];
  readonly durationMs: number;
  /** Counts for the closing note. */
  readonly allowedChecks: number;
  readonly allowedPassed: number;
  readonly attacks: number;
  readonly attacksRefused: number;
  readonly mismatches: number;
}

const INSUFFICIENT_PRIVILEGE = "42501";

type Inputs = Record<string, unknown>;
const inputs = (r: CapturedResource) => reveal(r.inputs) as Inputs;

/** What the captured graph declares about roles and privileges. */
class Declared {
  readonly roles = new Map<string, Inputs>();
  readonly schemaOwner = new Map<string, string>();
  private readonly grants: Inputs[] = [];
  private readonly defaults: Inputs[] = [];

  constructor(c: Capture) {
    for (const r of c.resources) {
      const i = inputs(r);
      if (r.type === "postgresql:index/role:Role") this.roles.set(String(i.name), i);
      if (r.type === "postgresql:index/schema:Schema") this.schemaOwner.set(String(i.name), String(i.owner));
      if (r.type === "postgresql:index/grant:Grant") this.grants.push(i);
      if (r.type === "postgresql:index/defaultPrivileges:DefaultPrivileges") this.defaults.push(i);
    }
  }

  /** The role itself, the roles it inherits (Role.roles, INHERIT), and PUBLIC. */
  private effective(role: string): Set<string> {
    const out = new Set<string>(["public"]);
    const visit = (name: string) => {
      if (out.has(name)) return;
      out.add(name);
      const r = this.roles.get(name);
      if (r && r.inherit !== false) for (const m of (r.roles as string[] | undefined) ?? []) visit(m);
    };
    visit(role);
    return out;
  }

  /** The role a session of this login acts as (`assumeRole` = ALTER ROLE ... SET ROLE). */
  sessionRole(login: string): string {
    return String(this.roles.get(login)?.assumeRole ?? login);
  }

  /**
   * Whether `login` may perform `op` on an object of `schema` that its owner created after
   * every grant ran (the probes are created by the migrator, after the grants): so default
   * privileges decide, plus USAGE on the schema.
   */
  expected(login: string, schema: string, op: Operation): boolean {
    const acting = this.sessionRole(login);
    const roles = this.effective(acting);
    const owner = this.schemaOwner.get(schema);
    if (owner && roles.has(owner)) return true; // the owner may do anything in its schema
    if (op === "truncate") return false; // only the owner; never granted
    const onSchema = (priv: string) =>
      this.grants.some((g) => g.objectType === "schema" && g.schema === schema && roles.has(String(g.role)) && (g.privileges as string[]).includes(priv));
    if (op === "create") return onSchema("CREATE");
    if (!onSchema("USAGE") && !(schema === "public" && this.publicUsage())) return false;
    const needs: Record<Exclude<Operation, "truncate" | "create">, [string, string[]][]> = {
      select: [["table", ["SELECT"]]],
      insert: [["table", ["INSERT"]], ["sequence", ["USAGE"]]],
      update: [["table", ["UPDATE", "SELECT"]]],
      delete: [["table", ["DELETE", "SELECT"]]],
      // The probe function is SECURITY INVOKER and inserts a row.
      execute: [["function", ["EXECUTE"]], ["table", ["INSERT"]], ["sequence", ["USAGE"]]],
    };
    return needs[op].every(([objectType, privileges]) =>
      privileges.every((p) =>
        this.defaults.some(
          (d) => d.schema === schema && d.objectType === objectType && d.owner === owner && roles.has(String(d.role)) && (d.privileges as string[]).includes(p),
        ),
      ),
    );
  }

  private publicUsage(): boolean {
    const g = this.grants.find((x) => x.objectType === "schema" && x.schema === "public" && x.role === "public");
    return g ? (g.privileges as string[]).includes("USAGE") : true;
  }

  password(role: string): string {
    const p = this.roles.get(role)?.password;
    if (typeof p !== "string") throw new Error(`role ${role} has no password in the graph`);
    return p;
  }
}

interface ServiceUnderTest {
  readonly service: ServiceDefinition;
  readonly names: RoleNames;
  readonly logins: string[];
}

async function connect(server: Server, user: string, password: string): Promise<Client> {
  const client = new Client(server.config(user, password));
  await client.connect();
  return client;
}

/** Statements PostgreSQL refuses inside a transaction block: tried bare. */
const NO_TRANSACTION = /^CREATE DATABASE/i;

/** Runs `sql` in a transaction that is always rolled back; returns the error, if any. */
async function attempt(client: Client, sql: string): Promise<DatabaseError | Error | undefined> {
  if (NO_TRANSACTION.test(sql)) {
    try {
      await client.query(sql);
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }
  await client.query("BEGIN");
  try {
    await client.query(sql);
    return undefined;
  } catch (err) {
    return err as Error;
  } finally {
    await client.query("ROLLBACK");
  }
}

const isPermissionError = (e: Error | undefined) => (e as DatabaseError | undefined)?.code === INSUFFICIENT_PRIVILEGE;

const OPERATION_SQL: Record<Operation, (schema: string) => string> = {
  select: (s) => `SELECT count(*) FROM "${s}".verify_items`,
  insert: (s) => `INSERT INTO "${s}".verify_items(note) VALUES ('probe')`,
  update: (s) => `UPDATE "${s}".verify_items SET note = note WHERE id = (SELECT min(id) FROM "${s}".verify_items)`,
  delete: (s) => `DELETE FROM "${s}".verify_items WHERE id < 0`,
  truncate: (s) => `TRUNCATE "${s}".verify_items`,
  create: (s) => `CREATE TABLE "${s}".verify_intruder(i int)`,
  execute: (s) => `SELECT "${s}".verify_add('probe')`,
};

/** What each migrator creates: a serial table, an identity table, a sequence, a view, a function, RLS. */
const MIGRATION = [
  "CREATE TABLE verify_items (id serial PRIMARY KEY, note text)",
  "CREATE TABLE verify_events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text)",
  "CREATE SEQUENCE verify_counter",
  "CREATE VIEW verify_item_notes AS SELECT id, note FROM verify_items",
  "CREATE FUNCTION verify_add(n text) RETURNS integer LANGUAGE sql AS $$ INSERT INTO verify_items(note) VALUES (n) RETURNING id $$",
  "INSERT INTO verify_items(note) VALUES ('hidden'), ('visible')",
  "ALTER TABLE verify_items ENABLE ROW LEVEL SECURITY",
  "CREATE POLICY verify_hide ON verify_items USING (note IS DISTINCT FROM 'hidden') WITH CHECK (true)",
];

/** Runtime users must be able to do all of this, through unqualified names (search_path). */
const RUNTIME_WORK: [string, string][] = [
  ["insert into a serial table", "INSERT INTO verify_items(note) VALUES ('from-app')"],
  ["insert into an identity table", "INSERT INTO verify_events(payload) VALUES ('e')"],
  ["select", "SELECT * FROM verify_items"],
  ["update", "UPDATE verify_items SET note = 'updated' WHERE note = 'from-app'"],
  ["delete", "DELETE FROM verify_items WHERE note = 'updated'"],
  ["read the view", "SELECT * FROM verify_item_notes"],
  ["call the function", "SELECT verify_add('via-function')"],
  ["use the sequence", "SELECT nextval('verify_counter')"],
];

export interface VerifyOptions {
  readonly pgMajor: PgMajor;
  readonly log?: (line: string) => void;
  /**
   * SQL run as the admin after the program's SQL, before any probe: drift that is not in the
   * graph. Only for proving that the verifier catches it (test/tools/verify.test.ts).
   */
  readonly extraSql?: readonly string[];
}

export async function verifyCapture(c: Capture, options: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const declared = new Declared(c);
  const database = String(
    inputs(c.resources.find((r) => r.type === "postgresql:index/schema:Schema") ?? ({ inputs: {} } as CapturedResource)).database ?? "postgres",
  );
  const server = await startServer(options.pgMajor, database, options.log);
  const checks: Check[] = [];
  const matrix: MatrixCell[] = [];
  let statementsApplied = 0;
  let serverVersion = "";
  const clients: Client[] = [];
  try {
    // 1. Apply the rendered SQL as the admin, one transaction per resource, in graph order.
    const admin = await connect(server, server.admin.user, server.admin.password);
    clients.push(admin);
    serverVersion = (await admin.query("SHOW server_version")).rows[0].server_version;
    for (const block of sqlStatements(c, { revealSecrets: true })) {
      await admin.query("BEGIN");
      try {
        for (const statement of block.statements) {
          await admin.query(statement);
          statementsApplied++;
        }
        await admin.query("COMMIT");
      } catch (err) {
        await admin.query("ROLLBACK");
        throw new Error(`applying ${block.type} ${block.name} failed: ${(err as Error).message}`);
      }
    }

    for (const sql of options.extraSql ?? []) await admin.query(sql);

    // The services the graph declares (a schema each), with their role names.
    const services: ServiceUnderTest[] = SERVICES.filter((s) => declared.schemaOwner.has(s.schema)).map((service) => {
      const names = roleNames(service);
      return { service, names, logins: [names.users.blue, names.users.green].filter((u) => declared.roles.has(u)) };
    });
    const record = (role: string, what: string, expectAllowed: boolean, error: Error | undefined) => {
      const ok = expectAllowed ? error === undefined : isPermissionError(error);
      checks.push({ role, what, expectAllowed, ok, detail: error ? `${(error as DatabaseError).code ?? ""} ${error.message}`.trim() : undefined });
    };

    // 2. Each migrator creates its service's objects; all must belong to the owner role.
    for (const s of services) {
      const m = await connect(server, s.names.migrator, declared.password(s.names.migrator));
      clients.push(m);
      for (const sql of MIGRATION) {
        let error: Error | undefined;
        try {
          await m.query(sql);
        } catch (err) {
          error = err as Error;
        }
        record(s.names.migrator, `migration: ${sql.split("(")[0].slice(0, 60)}`, true, error);
      }
      const owners = await admin.query(
        `SELECT c.relname AS name, pg_get_userbyid(c.relowner) AS owner FROM pg_class c WHERE c.relnamespace = $1::regnamespace
         UNION ALL SELECT p.proname, pg_get_userbyid(p.proowner) FROM pg_proc p WHERE p.pronamespace = $1::regnamespace`,
        [s.service.schema],
      );
      const wrong = owners.rows.filter((r: { owner: string }) => r.owner !== s.names.owner);
      checks.push({
        role: s.names.migrator,
        what: `every object in ${s.service.schema} (${owners.rows.length}) is owned by ${s.names.owner}`,
        expectAllowed: true,
        ok: owners.rows.length >= 8 && wrong.length === 0,
        detail: wrong.length ? JSON.stringify(wrong) : undefined,
      });
    }

    // 3. Runtime users: their work succeeds, row-level security applies, attacks fail.
    const readonlyProbes: { role: string; password: string; service: ServiceUnderTest }[] = [];
    for (const s of services) {
      if (declared.roles.has(s.names.readonly)) {
        const probe = `verify_${s.names.readonly}_probe`;
        const password = `probe-${s.service.key}-password`;
        await admin.query(`CREATE ROLE "${probe}" LOGIN PASSWORD '${password}' IN ROLE "${s.names.readonly}"`);
        await admin.query(`ALTER ROLE "${probe}" SET search_path TO "${s.service.schema}"`);
        readonlyProbes.push({ role: probe, password, service: s });
      }
    }
    const others = (s: ServiceUnderTest) => services.filter((o) => o !== s);
    for (const s of services) {
      for (const login of s.logins) {
        const u = await connect(server, login, declared.password(login));
        clients.push(u);
        for (const [what, sql] of RUNTIME_WORK) record(login, what, true, await attempt(u, sql));
        const hidden = await u.query("SELECT count(*)::int AS n FROM verify_items WHERE note = 'hidden'");
        checks.push({ role: login, what: "row-level security hides rows from it", expectAllowed: true, ok: hidden.rows[0].n === 0 });
        const other = others(s)[0];
        const attacks: [string, string][] = [
          ["create a table", "CREATE TABLE verify_evil(i int)"],
          ["drop a table", "DROP TABLE verify_items"],
          ["alter a table", "ALTER TABLE verify_items ADD COLUMN evil int"],
          ["truncate", "TRUNCATE verify_items"],
          ["create a function", "CREATE FUNCTION verify_evil() RETURNS int LANGUAGE sql AS 'SELECT 1'"],
          ["disable row-level security", "ALTER TABLE verify_items DISABLE ROW LEVEL SECURITY"],
          ["drop the policy", "DROP POLICY verify_hide ON verify_items"],
          ["create in public", "CREATE TABLE public.verify_evil(i int)"],
          [`SET ROLE to the owner`, `SET ROLE "${s.names.owner}"`],
          [`SET ROLE to the migrator`, `SET ROLE "${s.names.migrator}"`],
          ["create a role", "CREATE ROLE verify_evil"],
          ["create a database", "CREATE DATABASE verify_evil"],
          ["read pg_authid", "SELECT rolpassword FROM pg_authid"],
          ["raise its own connection limit", `ALTER ROLE "${login}" CONNECTION LIMIT -1`],
          ["run a server program", "COPY verify_items TO PROGRAM 'true'"],
          ...(other
            ? ([
                [`read ${other.service.schema}`, `SELECT * FROM "${other.service.schema}".verify_items`],
                [`write ${other.service.schema}`, `INSERT INTO "${other.service.schema}".verify_items(note) VALUES ('x')`],
              ] as [string, string][])
            : []),
        ];
        // A read that config declares (readsFrom) is not an attack.
        for (const [what, sql] of attacks) {
          if (other && what === `read ${other.service.schema}` && declared.expected(login, other.service.schema, "select")) continue;
          record(login, what, false, await attempt(u, sql));
        }
        // GRANT without grant option only warns; what counts is that nobody gained anything.
        const target = others(s)[0]?.names.app ?? "public";
        await attempt(u, `GRANT SELECT ON verify_items TO "${target}"`);
        // By OID: the admin itself has no USAGE on the schema (on PostgreSQL 15 it is no member of the owner).
        const leaked = await admin.query(
          `SELECT has_table_privilege($1, c.oid, 'SELECT') AS leaked FROM pg_class c WHERE c.relnamespace = $2::regnamespace AND c.relname = 'verify_items'`,
          [target, s.service.schema],
        );
        checks.push({ role: login, what: `grant its table to ${target}`, expectAllowed: false, ok: leaked.rows[0].leaked === false && !declared.expected(target, s.service.schema, "select") });
      }
    }

    // 4. The privilege matrix: every login x every schema (and public) x every operation.
    const logins = [
      ...services.flatMap((s) => [...s.logins, s.names.migrator].map((role) => ({ role, password: declared.password(role) }))),
      ...readonlyProbes.map((p) => ({ role: p.role, password: p.password })),
    ];
    const schemas = services.map((s) => s.service.schema);
    for (const { role, password } of logins) {
      const client = await connect(server, role, password);
      clients.push(client);
      for (const schema of [...schemas, "public"]) {
        for (const operation of OPERATIONS) {
          if (schema === "public" && operation !== "create") continue;
          const error = await attempt(client, OPERATION_SQL[operation](schema));
          const actual = error === undefined;
          const probeOf = readonlyProbes.find((p) => p.role === role);
          const expected = declared.expected(probeOf ? probeOf.service.names.readonly : role, schema, operation);
          // A denial must be a permission error, not a typo in the probe.
          const cellOk = expected ? actual : isPermissionError(error);
          matrix.push({ role, schema, operation, expected, actual: cellOk ? expected : actual, error: error?.message });
        }
      }
    }

    const allowed = [...checks.filter((x) => x.expectAllowed), ...matrix.filter((m) => m.expected)];
    const denied = [...checks.filter((x) => !x.expectAllowed), ...matrix.filter((m) => !m.expected)];
    const passed = (x: Check | MatrixCell) => ("ok" in x ? x.ok : x.actual === x.expected);
    return {
      stack: c.stack,
      pgMajor: options.pgMajor,
      serverVersion,
      statementsApplied,
      matrix,
      checks,
      durationMs: Date.now() - started,
      allowedChecks: allowed.length,
      allowedPassed: allowed.filter(passed).length,
      attacks: denied.length,
      attacksRefused: denied.filter(passed).length,
      mismatches: [...checks.filter((x) => !x.ok), ...matrix.filter((m) => m.actual !== m.expected)].length,
    };
  } finally {
    await Promise.allSettled(clients.map((cl) => cl.end()));
    await server.stop();
  }
}

const LETTER: Record<Operation, string> = { select: "S", insert: "I", update: "U", delete: "D", truncate: "T", create: "C", execute: "X" };

/** role x schema: the operations allowed (letters), '.' denied; '!' marks a cell that differs from the graph. */
export function formatMatrix(report: VerifyReport): string {
  const roles = [...new Set(report.matrix.map((m) => m.role))];
  const schemas = [...new Set(report.matrix.map((m) => m.schema))];
  const cell = (role: string, schema: string) => {
    const cells = report.matrix.filter((m) => m.role === role && m.schema === schema);
    const text = OPERATIONS.filter((op) => cells.some((m) => m.operation === op))
      .map((op) => {
        const m = cells.find((x) => x.operation === op)!;
        return m.actual ? LETTER[op] : ".";
      })
      .join("");
    return cells.some((m) => m.actual !== m.expected) ? `${text}!` : text;
  };
  const short = (s: string) => s.replace(/^svc_/, "");
  const width = Math.max(...roles.map((r) => r.length));
  const colWidth = Math.max(8, ...schemas.map((s) => short(s).length)) + 1;
  const lines = [
    `Privilege matrix, PostgreSQL ${report.serverVersion}, stack ${report.stack} (S select, I insert, U update, D delete, T truncate, C create, X execute; . denied; ! differs from the graph)`,
    `${"".padEnd(width)}  ${schemas.map((s) => short(s).padEnd(colWidth)).join("")}`,
    ...roles.map((r) => `${r.padEnd(width)}  ${schemas.map((s) => cell(r, s).padEnd(colWidth)).join("")}`),
  ];
  const failed = report.checks.filter((x) => !x.ok);
  lines.push(
    "",
    `${report.statementsApplied} statements applied; allowed checks ${report.allowedPassed}/${report.allowedChecks} passed; attacks ${report.attacksRefused}/${report.attacks} refused; ${report.mismatches} mismatches; ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  for (const f of failed) lines.push(`  FAILED ${f.role}: ${f.what}${f.detail ? ` (${f.detail})` : ""}`);
  for (const m of report.matrix.filter((x) => x.actual !== x.expected)) {
    lines.push(`  MISMATCH ${m.role} ${m.operation} on ${m.schema}: expected ${m.expected ? "allowed" : "denied"}${m.error ? ` (${m.error})` : ""}`);
  }
  return lines.join("\n");
}
