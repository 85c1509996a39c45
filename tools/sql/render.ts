/**
 * The SQL the PostgreSQL provider issues for the captured `postgresql:*` resources, in an order
 * that respects the graph. It follows cyrilgdn/terraform-provider-postgresql (which
 * @pulumi/postgresql bridges):
 *  - Role: CREATE ROLE with every attribute spelled out, GRANT for each `roles` entry, then
 *    ALTER ROLE ... SET for search_path, timeouts and `assumeRole` (SET ROLE);
 *  - Schema, Grant, DefaultPrivileges on a schema whose owner is not the admin: `withRolesGranted`
 *    (postgresql/helpers.go) temporarily grants the owner to the admin (a non-superuser, like
 *    Supabase's `postgres`) and revokes it afterwards, but only when the admin is not a member
 *    already; on PostgreSQL 16+ "member" means a pg_auth_members row WITH set_option, so the
 *    ADMIN-only membership a CREATEROLE creator gets does not count. `asRoles` lists those roles
 *    and `withRolesGranted` below runs the provider's checks and statements;
 *  - Grant: REVOKE ALL first, then GRANT (so reducing privileges works); `objects: []` means
 *    ALL <TYPE>S IN SCHEMA; an empty privilege list is only the REVOKE; role `public` is PUBLIC;
 *  - DefaultPrivileges: ALTER DEFAULT PRIVILEGES FOR ROLE <owner> IN SCHEMA ... REVOKE ALL, then
 *    GRANT.
 * Passwords render as '[secret]' unless `revealSecrets` (the verifier, in memory only).
 */
import { Capture, CapturedResource, reveal } from "../capture";
import { topologicalOrder } from "../graph";

export interface SqlOptions {
  /** Put real passwords in the statements (never written to disk). @default false */
  readonly revealSecrets?: boolean;
}

export interface ResourceSql {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** Statements in the order the provider runs them (one transaction per resource). */
  readonly statements: readonly string[];
  /**
   * Roles the provider's `withRolesGranted` asks for around `statements` (the schema's owner):
   * granted to the admin for the transaction when it is not a member yet.
   */
  readonly asRoles: readonly string[];
}

export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Role names in grants: `public` is the PUBLIC pseudo-role, not an identifier. */
function grantee(role: string): string {
  return role.toLowerCase() === "public" ? "PUBLIC" : ident(role);
}

const PLURAL: Record<string, string> = { table: "TABLES", sequence: "SEQUENCES", function: "FUNCTIONS", type: "TYPES", schema: "SCHEMAS" };

/** Statements and the roles `withRolesGranted` is asked for around them. */
interface Wrapped {
  readonly statements: string[];
  readonly asRoles: string[];
}

const asOwner = (owner: string | undefined, statements: string[]): Wrapped => ({ statements, asRoles: owner ? [owner] : [] });

/** What `withRolesGranted` needs to ask the server; `pg`'s Client.query fits. */
export type Query = (sql: string, params?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/** What `withRolesGranted` learnt about the admin's session; filled in as it asks. */
export interface SessionFacts {
  currentUser?: string;
  superuser?: boolean;
  setOption?: boolean;
}

/**
 * The provider's `withRolesGranted` (cyrilgdn/terraform-provider-postgresql
 * postgresql/helpers.go, the commit @pulumi/postgresql 3.18 bridges), step by step:
 *  - a superuser admin runs the statements directly; a superuser role is skipped;
 *  - if the role is a member of the admin, that membership is revoked for the duration
 *    (PostgreSQL forbids a circle) and granted back afterwards;
 *  - `GRANT role TO admin` only if `isMemberOfRole` says no: a pg_auth_members row for
 *    (role, admin), which on PostgreSQL 16+ (the `set_option` column exists) must have
 *    set_option. The ADMIN-only row PostgreSQL 16+ gives a CREATEROLE creator does not count,
 *    so the provider grants a second row (grantor: the admin, INHERIT and SET) and revokes it
 *    after: REVOKE removes only the admin's own grant and leaves the creator's ADMIN row;
 *  - runs the statements, revokes what it granted, grants back what it revoked.
 * Returns every statement it issued, in order (the verifier counts them).
 *
 * `session` keeps what it asks that cannot change while one admin session applies a design: who
 * the admin is, whether it is a superuser (a non-superuser cannot make itself one), whether
 * pg_auth_members has set_option (the server's version). Pass one object for a whole apply and
 * they are asked once instead of for every resource; the answers, and so what is issued, are the
 * same.
 */
export async function withRolesGranted(query: Query, roles: readonly string[], statements: readonly string[], session: SessionFacts = {}): Promise<string[]> {
  const issued: string[] = [];
  const run = async (sql: string) => {
    await query(sql);
    issued.push(sql);
  };
  if (roles.length === 0) {
    for (const s of statements) await run(s);
    return issued;
  }
  const currentUser = (session.currentUser ??= String((await query("SELECT CURRENT_USER AS u")).rows[0].u));
  const isSuperuser = async (role: string) => Boolean((await query("SELECT rolsuper FROM pg_roles WHERE rolname = $1", [role])).rows[0]?.rolsuper);
  const setOption = (session.setOption ??= (await query("SELECT 1 FROM information_schema.columns WHERE table_name='pg_auth_members' AND column_name = 'set_option'")).rows.length > 0);
  const isMember = async (role: string, member: string) =>
    (
      await query(
        `SELECT 1 FROM pg_auth_members WHERE pg_get_userbyid(roleid) = $1 AND pg_get_userbyid(member) = $2${setOption ? " AND set_option" : ""}`,
        [role, member],
      )
    ).rows.length > 0;
  const grant = async (role: string, member: string) => {
    if (member === role || (await isMember(role, member))) return false;
    await run(`GRANT ${ident(role)} TO ${ident(member)}`);
    return true;
  };
  const revoke = async (role: string, member: string) => {
    if (member === role || !(await isMember(role, member))) return false;
    await run(`REVOKE ${ident(role)} FROM ${ident(member)}`);
    return true;
  };
  if ((session.superuser ??= await isSuperuser(currentUser))) {
    for (const s of statements) await run(s);
    return issued;
  }
  const granted: string[] = [];
  const revoked: string[] = [];
  for (const role of roles) {
    if (await isSuperuser(role)) continue;
    if (await revoke(currentUser, role)) revoked.push(role);
    if (await grant(role, currentUser)) granted.push(role);
  }
  for (const s of statements) await run(s);
  for (const role of granted) await revoke(role, currentUser);
  for (const role of revoked) {
    if ((await query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])).rows.length) await grant(currentUser, role);
  }
  return issued;
}

function roleSql(i: Record<string, unknown>, revealSecrets: boolean): Wrapped {
  const name = String(i.name);
  const flag = (value: unknown, yes: string, no: string, dflt: boolean) => ((value ?? dflt) ? yes : no);
  const attributes = [
    flag(i.superuser, "SUPERUSER", "NOSUPERUSER", false),
    flag(i.createDatabase, "CREATEDB", "NOCREATEDB", false),
    flag(i.createRole, "CREATEROLE", "NOCREATEROLE", false),
    flag(i.inherit, "INHERIT", "NOINHERIT", true),
    flag(i.login, "LOGIN", "NOLOGIN", false),
    flag(i.replication, "REPLICATION", "NOREPLICATION", false),
    flag(i.bypassRowLevelSecurity, "BYPASSRLS", "NOBYPASSRLS", false),
    `CONNECTION LIMIT ${Number(i.connectionLimit ?? -1)}`,
  ];
  if (i.password !== undefined) attributes.push(`PASSWORD ${literal(revealSecrets ? String(i.password) : "[secret]")}`);
  attributes.push(`VALID UNTIL ${literal(String(i.validUntil ?? "infinity"))}`);
  const out = [`CREATE ROLE ${ident(name)} WITH ${attributes.join(" ")}`];
  for (const member of (i.roles as string[] | undefined) ?? []) out.push(`GRANT ${ident(member)} TO ${ident(name)}`);
  const paths = (i.searchPaths as string[] | undefined) ?? [];
  if (paths.length) out.push(`ALTER ROLE ${ident(name)} SET search_path TO ${paths.map(ident).join(", ")}`);
  if (i.statementTimeout !== undefined) out.push(`ALTER ROLE ${ident(name)} SET statement_timeout TO ${Number(i.statementTimeout)}`);
  if (i.idleInTransactionSessionTimeout !== undefined) {
    out.push(`ALTER ROLE ${ident(name)} SET idle_in_transaction_session_timeout TO ${Number(i.idleInTransactionSessionTimeout)}`);
  }
  if (i.assumeRole) out.push(`ALTER ROLE ${ident(name)} SET ROLE TO ${ident(String(i.assumeRole))}`);
  return { statements: out, asRoles: [] };
}

function schemaSql(i: Record<string, unknown>): Wrapped {
  const owner = i.owner ? String(i.owner) : undefined;
  const ifNotExists = i.ifNotExists === false ? "" : "IF NOT EXISTS ";
  return asOwner(owner, [`CREATE SCHEMA ${ifNotExists}${ident(String(i.name))}${owner ? ` AUTHORIZATION ${ident(owner)}` : ""}`]);
}

function grantSql(i: Record<string, unknown>, schemaOwner: (schema: string) => string | undefined): Wrapped {
  const type = String(i.objectType);
  const role = grantee(String(i.role));
  const privileges = (i.privileges as string[]) ?? [];
  const objects = (i.objects as string[] | undefined) ?? [];
  const option = i.withGrantOption ? " WITH GRANT OPTION" : "";
  let target: string;
  if (type === "database") target = `DATABASE ${ident(String(i.database))}`;
  else if (type === "schema") target = `SCHEMA ${ident(String(i.schema))}`;
  else if (objects.length) target = `${type.toUpperCase()} ${objects.map((o) => `${ident(String(i.schema))}.${ident(o)}`).join(", ")}`;
  else target = `ALL ${PLURAL[type]} IN SCHEMA ${ident(String(i.schema))}`;
  const statements = [`REVOKE ALL PRIVILEGES ON ${target} FROM ${role}`];
  if (privileges.length) statements.push(`GRANT ${privileges.join(", ")} ON ${target} TO ${role}${option}`);
  return type === "database" ? { statements, asRoles: [] } : asOwner(schemaOwner(String(i.schema)), statements);
}

function defaultPrivilegesSql(i: Record<string, unknown>): Wrapped {
  const owner = String(i.owner);
  const role = grantee(String(i.role));
  const scope = `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(owner)}${i.schema ? ` IN SCHEMA ${ident(String(i.schema))}` : ""}`;
  const on = PLURAL[String(i.objectType)];
  const privileges = (i.privileges as string[]) ?? [];
  const statements = [`${scope} REVOKE ALL ON ${on} FROM ${role}`];
  if (privileges.length) statements.push(`${scope} GRANT ${privileges.join(", ")} ON ${on} TO ${role}${i.withGrantOption ? " WITH GRANT OPTION" : ""}`);
  return asOwner(owner, statements);
}

/** The provider's statements per resource, dependencies first. */
export function sqlStatements(c: Capture, options: SqlOptions = {}): ResourceSql[] {
  const revealSecrets = options.revealSecrets ?? false;
  const schemaOwners = new Map<string, string | undefined>();
  for (const r of c.resources.filter((x) => x.type === "postgresql:index/schema:Schema")) {
    const i = reveal(r.inputs) as Record<string, unknown>;
    schemaOwners.set(String(i.name), i.owner ? String(i.owner) : undefined);
  }
  // `public` belongs to pg_database_owner (PostgreSQL 15+), which the admin is as the
  // database owner: no temporary grant needed.
  const schemaOwner = (schema: string) => schemaOwners.get(schema);

  const render = (r: CapturedResource): Wrapped | undefined => {
    // Passwords stay SecretValue until here; everything else is plain.
    const i = reveal(r.inputs) as Record<string, unknown>;
    switch (r.type) {
      case "postgresql:index/role:Role":
        return roleSql(i, revealSecrets);
      case "postgresql:index/schema:Schema":
        return schemaSql(i);
      case "postgresql:index/grant:Grant":
        return grantSql(i, schemaOwner);
      case "postgresql:index/defaultPrivileges:DefaultPrivileges":
        return defaultPrivilegesSql(i);
      default:
        if (r.type.startsWith("postgresql:index/")) throw new Error(`no SQL rendering for ${r.type} (${r.name})`);
        return undefined;
    }
  };
  return topologicalOrder(c).flatMap((r) => {
    const wrapped = render(r);
    return wrapped ? [{ urn: r.urn, type: r.type, name: r.name, ...wrapped }] : [];
  });
}

/**
 * A statement as a line of the script. A trailing `-- comment` goes on the line above: after it,
 * the terminating semicolon would be part of the comment and psql would run the next statement
 * into this one.
 */
function scriptLine(statement: string): string {
  const comment = / -- ([^']*)$/.exec(statement);
  return comment ? `-- ${comment[1]}\n${statement.slice(0, comment.index)};` : `${statement};`;
}

/** The whole script, for a DBA to read and psql to run: one commented block per resource. */
export function renderSql(c: Capture, options: SqlOptions = {}): string {
  const blocks = sqlStatements(c, options).map((r) => {
    const lines = r.statements.map(scriptLine);
    for (const role of r.asRoles) {
      // The semicolon before the comment: psql must see the statement end.
      lines.unshift(`GRANT ${ident(role)} TO CURRENT_USER; -- withRolesGranted: only if not a member yet (16+: with SET)`);
      lines.push(`REVOKE ${ident(role)} FROM CURRENT_USER; -- withRolesGranted: only if the GRANT above ran`);
    }
    return `-- ${r.type.split(":").pop()} ${r.name}\nBEGIN;\n${lines.join("\n")}\nCOMMIT;`;
  });
  const header = [
    `-- SQL the PostgreSQL provider issues for stack "${c.stack}" (${c.project}), dependencies first.`,
    "-- Generated from the program's captured graph by tools/sql/render.ts; passwords are hidden.",
    "-- Run as the admin login: LOGIN CREATEROLE, owner of the database, not a superuser (Supabase's postgres).",
  ].join("\n");
  return `${[header, ...blocks].join("\n\n")}\n`;
}
