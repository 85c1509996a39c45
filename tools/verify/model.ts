/**
 * What the captured graph declares about the database, as PostgreSQL's catalog should hold it
 * after the provider applied it: roles with attributes, memberships and settings, schema owners
 * and ACLs, the database ACL, default ACLs (pg_default_acl rows), and the ACL every object a
 * migration creates gets. One model, read from the capture: the verifier checks it against a
 * real server it applied the design to, and the audit checks it against a live database.
 * Pure: no server, no Pulumi.
 */
import { Capture, CapturedResource, reveal } from "../capture";

type Inputs = Record<string, unknown>;
const inputs = (r: CapturedResource) => reveal(r.inputs) as Inputs;

/** Object kinds of pg_default_acl.defaclobjtype that the provider manages. */
export type ObjectKind = "table" | "sequence" | "function" | "type" | "schema";

/** Grantee name to privilege list (upper case, sorted; `X*` marks a grant option). `public` is PUBLIC. */
export type Acl = ReadonlyMap<string, readonly string[]>;

export interface RoleModel {
  readonly name: string;
  readonly superuser: boolean;
  readonly createdb: boolean;
  readonly createrole: boolean;
  readonly inherit: boolean;
  readonly login: boolean;
  readonly replication: boolean;
  readonly bypassrls: boolean;
  readonly connectionLimit: number;
  /** `infinity` unless the graph sets a date. */
  readonly validUntil: string;
  /** Roles it is a member of (Role.roles). */
  readonly memberOf: readonly string[];
  /** ALTER ROLE ... SET, normalised (see `normaliseSetting`). */
  readonly settings: Readonly<Record<string, string>>;
}

export interface SchemaModel {
  readonly name: string;
  readonly owner: string;
  /** Grants on the schema, owner excluded. */
  readonly acl: Acl;
}

export interface DefaultAclModel {
  readonly owner: string;
  /** undefined: database-wide (no IN SCHEMA). */
  readonly schema?: string;
  readonly kind: ObjectKind;
  /** Entries other than the owner's own. */
  readonly acl: Acl;
}

/** A Grant or DefaultPrivileges resource's inputs, as the verifier's probes read them. */
export interface GrantInput {
  readonly objectType: string;
  readonly schema?: string;
  readonly database?: string;
  readonly owner?: string;
  readonly role: string;
  readonly privileges: readonly string[];
  readonly withGrantOption: boolean;
}

export interface DatabaseModel {
  readonly database: string;
  /** The role the provider logs in as (the pooler's `postgres.<ref>` is role `postgres`). */
  readonly admin: string;
  readonly roles: ReadonlyMap<string, RoleModel>;
  readonly schemas: ReadonlyMap<string, SchemaModel>;
  /** PUBLIC's privileges on schema `public`, when the graph manages them. */
  readonly publicSchema?: readonly string[];
  /** Database privileges of our roles (roles without an entry have none). */
  readonly databaseAcl: Acl;
  /** The pg_default_acl rows the graph creates. */
  readonly defaultAcls: readonly DefaultAclModel[];
  readonly grants: readonly GrantInput[];
  readonly defaults: readonly GrantInput[];
  /** Passwords of the login roles (the verifier logs in with them; never printed). */
  readonly passwords: ReadonlyMap<string, string>;
}

/** PostgreSQL's built-in default ACL of a new object, other than its owner's (PUBLIC EXECUTE on functions, USAGE on types). */
export function builtInDefault(kind: ObjectKind): Acl {
  if (kind === "function") return new Map([["public", ["EXECUTE"]]]);
  if (kind === "type") return new Map([["public", ["USAGE"]]]);
  return new Map();
}

const sorted = (privileges: Iterable<string>) => [...new Set(privileges)].sort();

function privilegesOf(g: GrantInput): string[] {
  return sorted(g.privileges.map((p) => p.toUpperCase()).flatMap((p) => (g.withGrantOption ? [p, `${p}*`] : [p])));
}

/** `ALTER ROLE ... SET` values as pg_db_role_setting stores them, normalised so equal settings compare equal. */
export function normaliseSetting(name: string, value: string): string {
  const v = value.trim();
  if (name === "search_path") {
    return v
      .split(",")
      .map((s) => s.trim().replace(/^"(.*)"$/, "$1"))
      .join(", ");
  }
  if (/_timeout$/.test(name)) {
    const m = v.replace(/^'(.*)'$/, "$1").match(/^(\d+)\s*(ms|s|min|h|d)?$/);
    const factor: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
    if (m) return String(Number(m[1]) * factor[m[2] ?? "ms"]);
  }
  return v.replace(/^"(.*)"$/, "$1");
}

function roleModel(i: Inputs): RoleModel {
  const settings: Record<string, string> = {};
  const paths = (i.searchPaths as string[] | undefined) ?? [];
  if (paths.length) settings.search_path = normaliseSetting("search_path", paths.join(", "));
  if (i.statementTimeout !== undefined) settings.statement_timeout = String(Number(i.statementTimeout));
  if (i.idleInTransactionSessionTimeout !== undefined) settings.idle_in_transaction_session_timeout = String(Number(i.idleInTransactionSessionTimeout));
  if (i.assumeRole) settings.role = String(i.assumeRole);
  return Object.freeze({
    name: String(i.name),
    superuser: Boolean(i.superuser ?? false),
    createdb: Boolean(i.createDatabase ?? false),
    createrole: Boolean(i.createRole ?? false),
    inherit: Boolean(i.inherit ?? true),
    login: Boolean(i.login ?? false),
    replication: Boolean(i.replication ?? false),
    bypassrls: Boolean(i.bypassRowLevelSecurity ?? false),
    connectionLimit: Number(i.connectionLimit ?? -1),
    validUntil: String(i.validUntil ?? "infinity"),
    memberOf: [...((i.roles as string[] | undefined) ?? [])],
    settings,
  });
}

function grantInput(i: Inputs): GrantInput {
  return {
    objectType: String(i.objectType),
    schema: i.schema === undefined ? undefined : String(i.schema),
    database: i.database === undefined ? undefined : String(i.database),
    owner: i.owner === undefined ? undefined : String(i.owner),
    role: String(i.role).toLowerCase() === "public" ? "public" : String(i.role),
    privileges: ((i.privileges as string[] | undefined) ?? []).map((p) => p.toUpperCase()),
    withGrantOption: Boolean(i.withGrantOption ?? false),
  };
}

/** The model of what the graph declares. */
export function databaseModel(c: Capture): DatabaseModel {
  const roles = new Map<string, RoleModel>();
  const passwords = new Map<string, string>();
  const schemaOwners = new Map<string, string>();
  const grants: GrantInput[] = [];
  const defaults: GrantInput[] = [];
  let database: string | undefined;
  let admin = "postgres";
  for (const r of c.resources) {
    const i = inputs(r);
    if (r.type === "pulumi:providers:postgresql") admin = String(i.databaseUsername ?? i.username ?? admin).replace(/\.[a-z0-9]+$/, "");
    if (r.type === "postgresql:index/role:Role") {
      roles.set(String(i.name), roleModel(i));
      if (typeof i.password === "string") passwords.set(String(i.name), i.password);
    }
    if (r.type === "postgresql:index/schema:Schema") {
      schemaOwners.set(String(i.name), String(i.owner));
      database ??= i.database === undefined ? undefined : String(i.database);
    }
    if (r.type === "postgresql:index/grant:Grant") grants.push(grantInput(i));
    if (r.type === "postgresql:index/defaultPrivileges:DefaultPrivileges") defaults.push(grantInput(i));
  }

  // A Grant revokes everything the grantee had on its target, then grants its list: the last
  // Grant of a (target, grantee) decides. The graph never declares two, so set, not merge.
  const schemaAcls = new Map<string, Map<string, string[]>>();
  const databaseAcl = new Map<string, string[]>();
  let publicSchema: string[] | undefined;
  for (const g of grants) {
    if (g.objectType === "database") {
      const privileges = privilegesOf(g);
      if (privileges.length) databaseAcl.set(g.role, privileges);
      else databaseAcl.delete(g.role);
    } else if (g.objectType === "schema" && g.schema === "public" && g.role === "public") {
      publicSchema = privilegesOf(g);
    } else if (g.objectType === "schema" && g.schema) {
      const acl = schemaAcls.get(g.schema) ?? new Map<string, string[]>();
      const privileges = privilegesOf(g);
      if (privileges.length) acl.set(g.role, privileges);
      else acl.delete(g.role);
      schemaAcls.set(g.schema, acl);
    }
  }
  const schemas = new Map<string, SchemaModel>(
    [...schemaOwners].map(([name, owner]) => [name, Object.freeze({ name, owner, acl: schemaAcls.get(name) ?? new Map() })]),
  );

  // pg_default_acl: a row per (owner, schema, kind). IN SCHEMA rows only add to the built-in
  // default and vanish when empty; database-wide rows replace it and vanish when equal to it.
  const rows = new Map<string, { owner: string; schema?: string; kind: ObjectKind; acl: Map<string, readonly string[]> }>();
  for (const d of defaults) {
    const kind = d.objectType as ObjectKind;
    const key = `${d.owner}\u0000${d.schema ?? ""}\u0000${kind}`;
    const row = rows.get(key) ?? { owner: String(d.owner), schema: d.schema, kind, acl: new Map<string, readonly string[]>(d.schema ? [] : builtInDefault(kind)) };
    const privileges = privilegesOf(d);
    if (privileges.length) row.acl.set(d.role, privileges);
    else row.acl.delete(d.role);
    rows.set(key, row);
  }
  const defaultAcls = [...rows.values()]
    .filter((row) => (row.schema ? row.acl.size > 0 : !aclEqual(row.acl, builtInDefault(row.kind))))
    .map((row) => Object.freeze(row));

  return Object.freeze({
    database: database ?? "postgres",
    admin,
    roles,
    schemas,
    publicSchema,
    databaseAcl,
    defaultAcls,
    grants,
    defaults,
    passwords,
  });
}

export function aclEqual(a: Acl, b: Acl): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.join(",") !== v.join(",")) return false;
  }
  return true;
}

/**
 * The ACL (owner excluded) of an object of `kind` that `owner` creates in `schema`: the
 * database-wide default (its pg_default_acl row, or PostgreSQL's built-in one) plus the schema's
 * row. The grants on ALL ... IN SCHEMA give existing objects the same privileges (the grant
 * matrix uses one list for both), so this is every object's expected ACL.
 */
export function objectAcl(model: DatabaseModel, owner: string, schema: string, kind: ObjectKind): Acl {
  const global = model.defaultAcls.find((d) => d.owner === owner && d.schema === undefined && d.kind === kind)?.acl ?? builtInDefault(kind);
  const inSchema = model.defaultAcls.find((d) => d.owner === owner && d.schema === schema && d.kind === kind)?.acl ?? new Map();
  const out = new Map<string, string[]>();
  for (const acl of [global, inSchema]) for (const [grantee, privileges] of acl) out.set(grantee, sorted([...(out.get(grantee) ?? []), ...privileges]));
  return out;
}
