/**
 * Proves the database design on a real PostgreSQL: applies the SQL rendered from the captured
 * graph as a non-superuser admin, then logs in as every role with its generated password and
 * tries what it must be able to do and what it must not. What is expected comes from the same
 * captured graph (memberships, SET ROLE, schema owners, grants, default privileges), so a
 * mismatch means the program does not do what it declares, or PostgreSQL disagrees with it.
 */
import { Client, DatabaseError, QueryResult } from "pg";
import { SERVICES } from "../../components/config/catalogue";
import { Capture } from "../capture";
import { DatabaseModel, RoleModel, databaseModel } from "./model";
import { Query, SessionFacts, sqlStatements, withRolesGranted } from "../sql/render";
import { LaunchedServer, PgMajor, Server, launchServer } from "./server";
import { API_ROLES, AUTHENTICATOR, supautilsRefusal } from "./supabase";
import { readCatalog } from "../audit/catalog";
import { compareCatalog } from "../audit/compare";

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
  /** SHOW createrole_self_grant as the admin (PostgreSQL 16+): empty, as on Supabase. */
  readonly createroleSelfGrant: string | null;
  readonly statementsApplied: number;
  /** Of those, the provider's temporary GRANT/REVOKE of an owner to the admin. */
  readonly temporaryGrants: number;
  readonly matrix: readonly MatrixCell[];
  /** Where the catalog differs from the model (tools/audit/compare.ts); empty when they agree. */
  readonly catalogDifferences: readonly string[];
  /** Allowed checks and attacks per role family. */
  readonly families: Readonly<Record<string, { readonly allowed: number; readonly attacks: number }>>;
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

/** The verifier's reading of the model (tools/verify/model.ts): what a login may do where. */
class Declared {
  constructor(readonly model: DatabaseModel) {}

  get roles(): ReadonlyMap<string, RoleModel> {
    return this.model.roles;
  }

  /** The role itself, the roles it inherits (Role.roles, INHERIT), and PUBLIC. */
  private effective(role: string): Set<string> {
    const out = new Set<string>(["public"]);
    const visit = (name: string) => {
      if (out.has(name)) return;
      out.add(name);
      const r = this.roles.get(name);
      if (r && r.inherit) for (const m of r.memberOf) visit(m);
    };
    visit(role);
    return out;
  }

  /** The role a session of this login acts as (`assumeRole` = ALTER ROLE ... SET ROLE). */
  sessionRole(login: string): string {
    return this.roles.get(login)?.settings.role ?? login;
  }

  /**
   * Whether `login` may perform `op` on an object of `schema` that its owner created after
   * every grant ran (the probes are created by the migrator, after the grants): so default
   * privileges decide, plus USAGE on the schema.
   */
  expected(login: string, schema: string, op: Operation): boolean {
    const acting = this.sessionRole(login);
    const roles = this.effective(acting);
    const owner = this.model.schemas.get(schema)?.owner;
    if (owner && roles.has(owner)) return true; // the owner may do anything in its schema
    if (op === "truncate") return false; // only the owner; never granted
    const onSchema = (priv: string) => this.model.grants.some((g) => g.objectType === "schema" && g.schema === schema && roles.has(g.role) && g.privileges.includes(priv));
    if (op === "create") return onSchema("CREATE");
    if (!onSchema("USAGE") && !(schema === "public" && (this.model.publicSchema ?? ["USAGE"]).includes("USAGE"))) return false;
    const needs: Record<Exclude<Operation, "truncate" | "create">, [string, string[]][]> = {
      select: [["table", ["SELECT"]]],
      insert: [["table", ["INSERT"]], ["sequence", ["USAGE"]]],
      update: [["table", ["UPDATE", "SELECT"]]],
      delete: [["table", ["DELETE", "SELECT"]]],
      // The probe function is SECURITY INVOKER and inserts a row.
      execute: [["function", ["EXECUTE"]], ["table", ["INSERT"]], ["sequence", ["USAGE"]]],
    };
    return needs[op].every(([objectType, privileges]) =>
      privileges.every((p) => this.model.defaults.some((d) => d.schema === schema && d.objectType === objectType && d.owner === owner && roles.has(d.role) && d.privileges.includes(p))),
    );
  }

  password(role: string): string {
    const p = this.model.passwords.get(role);
    if (typeof p !== "string") throw new Error(`role ${role} has no password in the graph`);
    return p;
  }

  /**
   * A service's roles, found by what the graph makes them, not by name: the owner of its schema;
   * migrators are the logins that are members of the owner; the runtime role is the grantee with
   * INSERT on the schema's future tables, its logins are the runtime users; a read-only role has
   * SELECT there and is no service's runtime role.
   */
  services(): ServiceUnderTest[] {
    const logins = [...this.roles.values()].filter((r) => r.login);
    const runtimeOf = (schema: string, owner: string) =>
      this.model.defaults.find((d) => d.schema === schema && d.owner === owner && d.objectType === "table" && d.privileges.includes("INSERT"))?.role;
    const runtimeRoles = new Set([...this.model.schemas.values()].map((s) => runtimeOf(s.name, s.owner)));
    // In the catalogue's order, so the matrix reads the same from run to run.
    const order = (schema: string) => SERVICES.findIndex((x) => x.schema === schema);
    const schemas = [...this.model.schemas.values()].sort((a, b) => order(a.name) - order(b.name));
    return schemas.flatMap((s) => {
      const app = runtimeOf(s.name, s.owner);
      if (!app) return [];
      const readonly = this.model.defaults.find(
        (d) => d.schema === s.name && d.owner === s.owner && d.objectType === "table" && !runtimeRoles.has(d.role) && d.role !== "public" && !this.roles.get(d.role)?.login,
      )?.role;
      return [
        {
          schema: s.name,
          owner: s.owner,
          app,
          migrators: logins.filter((l) => l.memberOf.includes(s.owner)).map((l) => l.name),
          logins: logins.filter((l) => l.memberOf.includes(app)).map((l) => l.name),
          readonly,
        },
      ];
    });
  }
}

export interface ServiceUnderTest {
  readonly schema: string;
  readonly owner: string;
  /** The runtime role (NOLOGIN) its users inherit. */
  readonly app: string;
  readonly migrators: readonly string[];
  /** Runtime login users. */
  readonly logins: readonly string[];
  readonly readonly?: string;
}

async function connect(server: Server, user: string, password: string): Promise<Client> {
  const client = new Client(server.config(user, password));
  // A session that waits (its task is done or not begun) when the server goes away (Ctrl-C stops
  // it) gets the server's FATAL as an 'error' event, which would crash the run with a stack
  // trace instead of the interrupt's one line; its next query fails anyway (serverAnswer).
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** Statements PostgreSQL refuses inside a transaction block: tried bare. */
const NO_TRANSACTION = /^CREATE DATABASE/i;

/**
 * Sessions whose last `attempt` was refused: the error left their transaction aborted, and the
 * next message rolls it back before anything else (`settle` when that is not an attempt).
 */
const aborted = new WeakSet<Client>();

/** Ends the transaction a refused attempt left aborted, before the session runs anything else. */
async function settle(client: Client): Promise<void> {
  if (aborted.delete(client)) await client.query("ROLLBACK");
}

/**
 * Runs `sql` in a transaction that is always rolled back; returns the error, if any. BEGIN, the
 * statement and ROLLBACK go in one message (a multi-statement simple query), which the server
 * runs as those statements one after another; an error skips the rest of the message and leaves
 * the transaction aborted, and the next message starts with its ROLLBACK: the server rolls back
 * at the same moment as when the ROLLBACK went on its own, one round trip earlier. One round trip
 * per attempt instead of three; the verifier makes thousands.
 */
async function attempt(client: Client, sql: string): Promise<DatabaseError | Error | undefined> {
  if (NO_TRANSACTION.test(sql)) {
    await settle(client);
    try {
      await client.query(sql);
      return undefined;
    } catch (err) {
      return serverAnswer(err);
    }
  }
  return (await inTransaction(client, [sql])).error;
}

/** `BEGIN; <statements>; ROLLBACK` as one message (see `attempt`); the rows of the last statement. */
async function inTransaction(client: Client, statements: readonly string[]): Promise<{ error?: Error; rows: Record<string, unknown>[] }> {
  const message = [...(aborted.delete(client) ? ["ROLLBACK"] : []), "BEGIN", ...statements, "ROLLBACK"];
  try {
    const results = (await client.query(message.join("; "))) as unknown as QueryResult[];
    return { rows: results[message.length - 2].rows };
  } catch (err) {
    const error = serverAnswer(err);
    aborted.add(client);
    return { error, rows: [] };
  }
}

/**
 * An error the server answered a statement with, as it is; anything else (the connection went
 * away: the server was stopped, by Ctrl-C or a crash) is thrown, since it says nothing about a
 * privilege and the checks after it could only fail the same way.
 */
function serverAnswer(err: unknown): DatabaseError {
  if (err instanceof DatabaseError) return err;
  throw err;
}

const isPermissionError = (e: Error | undefined) => (e as DatabaseError | undefined)?.code === INSUFFICIENT_PRIVILEGE;

/** `client.query` for callers that run at once: one query at a time, in call order (pg 9 drops its own queue). */
function oneAtATime(client: Client): (sql: string, params?: unknown[]) => Promise<QueryResult> {
  let last: Promise<unknown> = Promise.resolve();
  return (sql, params) => {
    const result = last.then(() => client.query(sql, params));
    last = result.catch(() => undefined);
    return result;
  };
}

/** Records into `checks` whether `error` is what was expected: none when allowed, a permission error when not. */
function recorder(checks: Check[]): (role: string, what: string, expectAllowed: boolean, error: Error | undefined) => void {
  return (role, what, expectAllowed, error) => {
    const ok = expectAllowed ? error === undefined : isPermissionError(error);
    checks.push({ role, what, expectAllowed, ok, detail: error ? `${(error as DatabaseError).code ?? ""} ${error.message}`.trim() : undefined });
  };
}

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
export const MIGRATION = [
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
  /** Told when each step ends (`npm start -- --timings`). */
  readonly phase?: (name: string) => void;
  /**
   * A server of `pgMajor` started beforehand (the plan starts it while the program runs), which
   * the verification prepares, uses and stops. @default one started here
   */
  readonly server?: Promise<LaunchedServer>;
}

/** A session's query that can also send statements whose results nobody reads in one message. */
export interface BatchQuery extends Query {
  /** Sends `statements` as one multi-statement message: run in order, as one by one; an error skips the rest. */
  readonly batch: (statements: readonly string[]) => Promise<void>;
}

/** The admin's session as Supabase runs it: every statement passes supautils' checks first. */
export function supautilsGuarded(admin: Client): BatchQuery {
  const check = (sql: string) => {
    const refusal = supautilsRefusal(sql, { privileged: true });
    if (refusal) throw new Error(`supautils refuses ${sql}: ${refusal}`);
  };
  const query: Query = async (sql, params) => {
    check(sql);
    return admin.query(sql, params);
  };
  return Object.assign(query, {
    batch: async (statements: readonly string[]) => {
      for (const sql of statements) check(sql);
      await admin.query(statements.join(";\n"));
    },
  });
}

/**
 * Applies the rendered SQL as the provider does: one transaction per resource, in graph order,
 * each wrapped in the provider's withRolesGranted. Returns the statements issued.
 *
 * With a `BatchQuery` the statements whose results nobody reads (BEGIN, the design's statements,
 * the temporary GRANT and REVOKE, COMMIT) are held back until the next read (withRolesGranted's
 * membership and superuser checks) or the end of the transaction, then go in one message, in the
 * same order: the server runs the same statements in the same transaction, with ~600 messages
 * instead of ~1,400 for the dev stack.
 */
export async function applyDesign(c: Capture, query: Query | BatchQuery, admin: Client): Promise<{ statementsApplied: number; temporaryGrants: number }> {
  let statementsApplied = 0;
  let temporaryGrants = 0;
  const session: SessionFacts = {};
  const batch = "batch" in query ? query.batch : async (statements: readonly string[]) => {
    for (const sql of statements) await query(sql);
  };
  let pending: string[] = [];
  const flush = async () => {
    const statements = pending;
    pending = [];
    if (statements.length) await batch(statements);
  };
  const writeBehind: Query = async (sql, params) => {
    if (params === undefined && !/^\s*SELECT\b/i.test(sql)) {
      pending.push(sql);
      return { rows: [] };
    }
    await flush();
    return query(sql, params);
  };
  for (const block of sqlStatements(c, { revealSecrets: true })) {
    pending = ["BEGIN"];
    try {
      const issued = await withRolesGranted(writeBehind, block.asRoles, block.statements, session);
      statementsApplied += issued.length;
      temporaryGrants += issued.length - block.statements.length;
      pending.push("COMMIT");
      await flush();
    } catch (err) {
      pending = [];
      await admin.query("ROLLBACK");
      throw new Error(`applying ${block.type} ${block.name} failed: ${(err as Error).message}`);
    }
  }
  return { statementsApplied, temporaryGrants };
}

/** Each service's roles as the graph makes them (see Declared.services). */
export function servicesUnderTest(model: DatabaseModel): ServiceUnderTest[] {
  return new Declared(model).services();
}

export async function verifyCapture(c: Capture, options: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const model = databaseModel(c);
  const declared = new Declared(model);
  const launched = await (options.server ?? launchServer(options.pgMajor, options.log, options.phase));
  if (options.server) options.phase?.("server: wait for its start");
  const server = await launched.prepare(model.database, options.phase);
  const checks: Check[] = [];
  const matrix: MatrixCell[] = [];
  let statementsApplied = 0;
  let temporaryGrants = 0;
  let serverVersion = "";
  let createroleSelfGrant: string | null = null;
  let catalogDifferences: string[] = [];
  const clients: Client[] = [];
  /**
   * The migrators' sessions after step 2, which the matrix (step 6) goes on with, as it goes on
   * with each runtime user's after step 4, rather than logging in again: nothing those steps leave
   * on a session changes what its login may do (migrations commit to the catalog, every attempt
   * is rolled back, SET ROLE included, and no step sets anything for the session).
   */
  const migratorSessions = new Map<string, Client>();
  const services = declared.services();
  const record = recorder(checks);
  try {
    // 1. Apply the rendered SQL as the admin, one transaction per resource, in graph order.
    const admin = await connect(server, server.admin.user, server.admin.password);
    clients.push(admin);
    serverVersion = (await admin.query("SHOW server_version")).rows[0].server_version;
    if (options.pgMajor >= 16) createroleSelfGrant = (await admin.query("SHOW createrole_self_grant")).rows[0].createrole_self_grant;
    const guarded = supautilsGuarded(admin);
    // The admin's session for the steps that run at once.
    const adminAtOnce = oneAtATime(admin);
    ({ statementsApplied, temporaryGrants } = await applyDesign(c, guarded, admin));

    for (const sql of options.extraSql ?? []) await guarded(sql);

    // Without the provider's temporary grant the admin cannot act as an owner: the grant, not a
    // server setting such as createrole_self_grant, is what makes the schemas and defaults work.
    for (const s of services.slice(0, 1)) {
      record(server.admin.user, `without the provider's grant: CREATE SCHEMA AUTHORIZATION ${s.owner}`, false, await attempt(admin, `CREATE SCHEMA verify_without_grant AUTHORIZATION "${s.owner}"`));
      record(server.admin.user, `without the provider's grant: ALTER DEFAULT PRIVILEGES FOR ROLE ${s.owner}`, false, await attempt(admin, `ALTER DEFAULT PRIVILEGES FOR ROLE "${s.owner}" GRANT SELECT ON TABLES TO PUBLIC`));
    }
    await settle(admin);

    options.phase?.("verify: apply database.sql");
    // 2. Each migrator creates its service's objects; all must belong to the owner role. The
    // services are independent (a migrator creates only in its own schema): all at once, each
    // on its own session; the checks are kept in service order.
    const migrations = await Promise.all(
      services.map(async (s) => {
        const out: Check[] = [];
        const recordHere = recorder(out);
        const migrator = s.migrators[0];
        const m = await connect(server, migrator, declared.password(migrator));
        clients.push(m);
        migratorSessions.set(migrator, m);
        for (const sql of MIGRATION) {
          let error: Error | undefined;
          try {
            await m.query(sql);
          } catch (err) {
            error = serverAnswer(err);
          }
          recordHere(migrator, `migration: ${sql.split("(")[0].slice(0, 60)}`, true, error);
        }
        const owners = await adminAtOnce(
          `SELECT c.relname AS name, pg_get_userbyid(c.relowner) AS owner FROM pg_class c WHERE c.relnamespace = $1::regnamespace
         UNION ALL SELECT p.proname, pg_get_userbyid(p.proowner) FROM pg_proc p WHERE p.pronamespace = $1::regnamespace`,
          [s.schema],
        );
        const wrong = owners.rows.filter((r: { owner: string }) => r.owner !== s.owner);
        out.push({
          role: migrator,
          what: `every object in ${s.schema} (${owners.rows.length}) is owned by ${s.owner}`,
          expectAllowed: true,
          ok: owners.rows.length >= 8 && wrong.length === 0,
          detail: wrong.length ? JSON.stringify(wrong) : undefined,
        });
        return out;
      }),
    );
    checks.push(...migrations.flat());

    options.phase?.("verify: migrations");
    // 3. The catalog, with the migrations' objects in it, is what the model says: the model the
    // audit compares a live database with is the one this server proves.
    const catalog = await readCatalog((sql, params) => admin.query(sql, params), { schemas: [...model.schemas.keys(), "public"], roles: [...model.roles.keys()] });
    const audit = compareCatalog(model, catalog);
    catalogDifferences = audit.differences.map((d) => d.message);
    checks.push({
      role: "catalog",
      what: `the catalog matches the model (${audit.compared.roles} roles, ${audit.compared.memberships} memberships, ${audit.compared.schemas} schemas, ${audit.compared.objects} objects, ${audit.compared.defaultAcls} default ACLs)`,
      expectAllowed: true,
      ok: audit.differences.length === 0,
      detail: catalogDifferences.length ? catalogDifferences.join("; ") : undefined,
    });

    options.phase?.("verify: catalog");
    // A login in each read-only role, for the matrix (step 6).
    const readonlyProbes: { role: string; password: string; service: ServiceUnderTest; readonly: string }[] = [];
    for (const s of services) {
      if (s.readonly) {
        const probe = `verify_${s.readonly}_probe`;
        const password = `probe-${s.schema}-password`;
        await guarded(`CREATE ROLE "${probe}" LOGIN PASSWORD '${password}' IN ROLE "${s.readonly}"`);
        await guarded(`ALTER ROLE "${probe}" SET search_path TO "${s.schema}"`);
        readonlyProbes.push({ role: probe, password, service: s, readonly: s.readonly });
      }
    }
    const others = (s: ServiceUnderTest) => services.filter((o) => o !== s);
    // What the Data API's roles need in public (step 5) exists before anything runs as them.
    await prepareDataApi(admin);
    // 6. The privilege matrix: every login x every schema (and public) x every operation.
    const logins = [
      ...services.flatMap((s) => [...s.logins, ...s.migrators].map((role) => ({ role, password: declared.password(role) }))),
      ...readonlyProbes.map((p) => ({ role: p.role, password: p.password })),
    ];
    const schemas = services.map((s) => s.schema);
    const matrixRow = async (role: string, client: Client): Promise<MatrixCell[]> => {
      const cells: MatrixCell[] = [];
      for (const schema of [...schemas, "public"]) {
        for (const operation of OPERATIONS) {
          if (schema === "public" && operation !== "create") continue;
          const error = await attempt(client, OPERATION_SQL[operation](schema));
          const actual = error === undefined;
          const probeOf = readonlyProbes.find((p) => p.role === role);
          const expected = declared.expected(probeOf ? probeOf.readonly : role, schema, operation);
          // A denial must be a permission error, not a typo in the probe.
          const cellOk = expected ? actual : isPermissionError(error);
          cells.push({ role, schema, operation, expected, actual: cellOk ? expected : actual, error: error?.message });
        }
      }
      await settle(client);
      return cells;
    };
    // 4, 5 and 6 at once, each login (and each Data API role) on its own session: every probe
    // is rolled back and nothing commits until all are done, so a result depends only on the
    // role's privileges, whatever runs beside it; the checks and rows are kept in the order
    // of one after another.
    // 4. Runtime users: their work succeeds, row-level security applies, attacks fail.
    const runtimeTasks = Promise.all(
      services.flatMap((s) =>
        s.logins.map(async (login) => {
          const out: Check[] = [];
          const recordHere = recorder(out);
          const u = await connect(server, login, declared.password(login));
          clients.push(u);
          for (const [what, sql] of RUNTIME_WORK) recordHere(login, what, true, await attempt(u, sql));
          await settle(u);
          const hidden = await u.query("SELECT count(*)::int AS n FROM verify_items WHERE note = 'hidden'");
          out.push({ role: login, what: "row-level security hides rows from it", expectAllowed: true, ok: hidden.rows[0].n === 0 });
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
            [`SET ROLE to the owner`, `SET ROLE "${s.owner}"`],
            ...s.migrators.map((m) => [`SET ROLE to the migrator${s.migrators.length > 1 ? ` ${m}` : ""}`, `SET ROLE "${m}"`] as [string, string]),
            ["create a role", "CREATE ROLE verify_evil"],
            ["create a database", "CREATE DATABASE verify_evil"],
            ["read pg_authid", "SELECT rolpassword FROM pg_authid"],
            ["raise its own connection limit", `ALTER ROLE "${login}" CONNECTION LIMIT -1`],
            ["run a server program", "COPY verify_items TO PROGRAM 'true'"],
            ...API_ROLES.map((r) => [`SET ROLE to ${r}`, `SET ROLE "${r}"`] as [string, string]),
            ...(other
              ? ([
                  [`read ${other.schema}`, `SELECT * FROM "${other.schema}".verify_items`],
                  [`write ${other.schema}`, `INSERT INTO "${other.schema}".verify_items(note) VALUES ('x')`],
                ] as [string, string][])
              : []),
          ];
          // A read that config declares (readsFrom) is not an attack.
          for (const [what, sql] of attacks) {
            if (other && what === `read ${other.schema}` && declared.expected(login, other.schema, "select")) continue;
            recordHere(login, what, false, await attempt(u, sql));
          }
          // GRANT without grant option only warns; what counts is that nobody gained anything.
          const target = others(s)[0]?.app ?? "public";
          await attempt(u, `GRANT SELECT ON verify_items TO "${target}"`);
          await settle(u);
          // By OID: the admin itself has no USAGE on the schema (it is no member of the owner).
          const leaked = await adminAtOnce(
            `SELECT has_table_privilege($1, c.oid, 'SELECT') AS leaked FROM pg_class c WHERE c.relnamespace = $2::regnamespace AND c.relname = 'verify_items'`,
            [target, s.schema],
          );
          out.push({ role: login, what: `grant its table to ${target}`, expectAllowed: false, ok: leaked.rows[0].leaked === false && !declared.expected(target, s.schema, "select") });
          return { login, checks: out, cells: await matrixRow(login, u) };
        }),
      ),
    );
    // 5. The Data API: PostgREST logs in as authenticator and switches, per request, to the role
    // the JWT names (SET LOCAL ROLE inside the request's transaction).
    const dataApiChecks = dataApi(server, services, clients);
    // The other rows: the migrators' on their sessions, the read-only probes' on new ones.
    const runtimeLogins = new Set(services.flatMap((s) => s.logins));
    const otherRows = Promise.all(
      logins
        .filter(({ role }) => !runtimeLogins.has(role))
        .map(async ({ role, password }) => {
          let client = migratorSessions.get(role);
          if (!client) {
            client = await connect(server, role, password);
            clients.push(client);
          }
          return [role, await matrixRow(role, client)] as const;
        }),
    );
    const [runtime, api, rows] = await Promise.all([runtimeTasks, dataApiChecks, otherRows]);
    checks.push(...runtime.flatMap((r) => r.checks), ...api);
    const rowOf = new Map([...runtime.map((r) => [r.login, r.cells] as const), ...rows]);
    matrix.push(...logins.flatMap(({ role }) => rowOf.get(role)!));
    options.phase?.("verify: runtime users, Data API and privilege matrix, at once");

    const family = familyOf(services, readonlyProbes.map((p) => p.role));
    const families: Record<string, { allowed: number; attacks: number }> = {};
    for (const x of [...checks.map((k) => ({ role: k.role, allowed: k.expectAllowed })), ...matrix.map((m) => ({ role: m.role, allowed: m.expected }))]) {
      const f = (families[family(x.role)] ??= { allowed: 0, attacks: 0 });
      if (x.allowed) f.allowed++;
      else f.attacks++;
    }
    const allowed = [...checks.filter((x) => x.expectAllowed), ...matrix.filter((m) => m.expected)];
    const denied = [...checks.filter((x) => !x.expectAllowed), ...matrix.filter((m) => !m.expected)];
    const passed = (x: Check | MatrixCell) => ("ok" in x ? x.ok : x.actual === x.expected);
    return {
      stack: c.stack,
      pgMajor: options.pgMajor,
      serverVersion,
      createroleSelfGrant,
      statementsApplied,
      temporaryGrants,
      matrix,
      checks,
      catalogDifferences,
      families,
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
    options.phase?.("server: stop");
  }
}

/** Which family a checked role belongs to, for the report's counts. */
function familyOf(services: readonly ServiceUnderTest[], probes: readonly string[]): (role: string) => string {
  const migrators = new Set(services.flatMap((s) => s.migrators));
  const runtime = new Set(services.flatMap((s) => s.logins));
  return (role) => {
    if (migrators.has(role)) return "migrators";
    if (runtime.has(role)) return "runtime users";
    if (probes.includes(role)) return "read-only roles";
    if (role === AUTHENTICATOR.user || (API_ROLES as readonly string[]).includes(role)) return `Data API (${role})`;
    return role === "catalog" ? "catalog" : "admin";
  };
}

/** The PostgREST side: `SET LOCAL ROLE <api role>` on an authenticator session, then `sql`, rolled back. */
function asApiRole(client: Client, role: string | undefined, sql: string): Promise<{ error?: Error; rows: Record<string, unknown>[] }> {
  return inTransaction(client, [...(role ? [`SET LOCAL ROLE "${role}"`] : []), sql]);
}

/** What PostgREST serves from public, as the admin creates it (Supabase's default privileges grant it to the API roles). */
async function prepareDataApi(admin: Client): Promise<void> {
  await admin.query("CREATE TABLE public.verify_api_items (id serial PRIMARY KEY, note text)");
  await admin.query("CREATE FUNCTION public.verify_api_echo(t text) RETURNS text LANGUAGE sql AS 'SELECT t'");
}

/**
 * The Data API's roles against every service schema: they must not see (information_schema
 * shows what a role holds some privilege on; has_schema_privilege), read, write, execute, create
 * in or switch into it. authenticator itself (NOINHERIT) is tried too, before any SET ROLE. And
 * what they need in `public` and `extensions` must still work after our hardening of `public`:
 * an object the admin creates there (prepareDataApi). Each role on its own authenticator
 * session, all at once (every request is rolled back); the checks in the order of the roles.
 */
async function dataApi(server: Server, services: readonly ServiceUnderTest[], clients: Client[]): Promise<Check[]> {
  const notVisible = (rows: Record<string, unknown>[]) => (Number(rows[0]?.n) === 0 ? undefined : new Error(`visible: ${JSON.stringify(rows[0])}`));
  const perRole = await Promise.all(
    [undefined, ...API_ROLES].map(async (role) => {
      const out: Check[] = [];
      const record = recorder(out);
      const api = await connect(server, AUTHENTICATOR.user, AUTHENTICATOR.password);
      clients.push(api);
      const who = role ?? AUTHENTICATOR.user;
      for (const s of services) {
        const q = `"${s.schema}"`;
        const see = await asApiRole(
          api,
          role,
          `SELECT (SELECT count(*) FROM information_schema.tables WHERE table_schema = '${s.schema}')
                + (SELECT count(*) FROM information_schema.routines WHERE routine_schema = '${s.schema}')
                + (SELECT count(*) FROM information_schema.schemata WHERE schema_name = '${s.schema}')
                + has_schema_privilege('${s.schema}', 'USAGE')::int AS n`,
        );
        // Seeing is not refused with an error: it is refused when nothing shows.
        const seen = see.error ?? notVisible(see.rows);
        out.push({ role: who, what: `see ${s.schema}`, expectAllowed: false, ok: seen === undefined, detail: seen?.message });
        const attacks: [string, string][] = [
          ["select", `SELECT * FROM ${q}.verify_items`],
          ["insert", `INSERT INTO ${q}.verify_items(note) VALUES ('api')`],
          ["update", `UPDATE ${q}.verify_items SET note = note`],
          ["delete", `DELETE FROM ${q}.verify_items`],
          ["truncate", `TRUNCATE ${q}.verify_items`],
          ["read the view", `SELECT * FROM ${q}.verify_item_notes`],
          ["use the sequence", `SELECT nextval('${s.schema}.verify_counter')`],
          ["execute", `SELECT ${q}.verify_add('api')`],
          ["create", `CREATE TABLE ${q}.verify_api_intruder(i int)`],
          ["SET ROLE to the runtime role", `SET ROLE "${s.app}"`],
          ["SET ROLE to the owner", `SET ROLE "${s.owner}"`],
        ];
        for (const [what, sql] of attacks) record(who, `${what} in ${s.schema}`, false, (await asApiRole(api, role, sql)).error);
      }
      if (!role) {
        await settle(api);
        return out;
      }
      // What PostgREST serves from public must keep working for the API roles.
      const needs: [string, string][] = [
        ["USAGE on public", "SELECT 1 / has_schema_privilege('public', 'USAGE')::int"],
        ["select in public", "SELECT * FROM public.verify_api_items"],
        ["insert in public (serial)", "INSERT INTO public.verify_api_items(note) VALUES ('api')"],
        ["execute in public", "SELECT public.verify_api_echo('api')"],
        ["USAGE on extensions", "SELECT 1 / has_schema_privilege('extensions', 'USAGE')::int"],
      ];
      for (const [what, sql] of needs) record(role, what, true, (await asApiRole(api, role, sql)).error);
      record(role, "create in public", false, (await asApiRole(api, role, "CREATE TABLE public.verify_api_intruder(i int)")).error);
      await settle(api);
      return out;
    }),
  );
  return perRole.flat();
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
  lines.push(
    `  of them ${report.temporaryGrants} the provider's temporary owner grants; createrole_self_grant: ${report.createroleSelfGrant === null ? "not in this version" : JSON.stringify(report.createroleSelfGrant)}`,
    `  per family (allowed/attacks): ${Object.entries(report.families)
      .map(([f, n]) => `${f} ${n.allowed}/${n.attacks}`)
      .join(", ")}`,
  );
  for (const f of failed) lines.push(`  FAILED ${f.role}: ${f.what}${f.detail ? ` (${f.detail})` : ""}`);
  for (const m of report.matrix.filter((x) => x.actual !== x.expected)) {
    lines.push(`  MISMATCH ${m.role} ${m.operation} on ${m.schema}: expected ${m.expected ? "allowed" : "denied"}${m.error ? ` (${m.error})` : ""}`);
  }
  return lines.join("\n");
}
