/**
 * Reads what decides privileges from a live database's catalog, with SELECTs only: roles and
 * their attributes, memberships (with PostgreSQL 16+'s INHERIT and SET options), role settings,
 * schema, object, column and database ACLs, default ACLs and owners. Everything is read in one
 * READ ONLY, REPEATABLE READ transaction (one snapshot) that is rolled back; nothing is written.
 * Every catalog read here is open to any role that may connect (pg_roles, not pg_authid).
 */
import type { ObjectKind } from "../verify/model";

/** Runs a query; `pg`'s Client.query fits. */
export type ReadQuery = (sql: string, params?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

export interface AclEntry {
  /** `public` for PUBLIC. */
  readonly grantee: string;
  readonly grantor: string;
  readonly privilege: string;
  readonly grantable: boolean;
}

export interface CatalogRole {
  readonly name: string;
  readonly superuser: boolean;
  readonly inherit: boolean;
  readonly createrole: boolean;
  readonly createdb: boolean;
  readonly login: boolean;
  readonly replication: boolean;
  readonly bypassrls: boolean;
  readonly connectionLimit: number;
  /** null: no expiry. */
  readonly validUntil: string | null;
}

export interface CatalogMembership {
  readonly role: string;
  readonly member: string;
  readonly grantor: string;
  readonly admin: boolean;
  /** PostgreSQL 16+; null before (inheritance then follows the member's INHERIT). */
  readonly inherit: boolean | null;
  readonly set: boolean | null;
}

export interface CatalogSetting {
  readonly role: string;
  /** null: every database (ALTER ROLE ... SET); a name: ALTER ROLE ... IN DATABASE. */
  readonly database: string | null;
  readonly name: string;
  readonly value: string;
}

export interface CatalogObject {
  readonly schema: string;
  readonly name: string;
  readonly kind: Extract<ObjectKind, "table" | "sequence" | "function">;
  readonly owner: string;
  /** null: PostgreSQL's built-in default ACL (never granted or revoked). */
  readonly acl: readonly AclEntry[] | null;
}

export interface CatalogColumnAcl {
  readonly schema: string;
  readonly table: string;
  readonly column: string;
  readonly acl: readonly AclEntry[];
}

export interface CatalogSchema {
  readonly name: string;
  readonly owner: string;
  readonly acl: readonly AclEntry[] | null;
}

export interface CatalogDefaultAcl {
  readonly owner: string;
  /** null: database-wide. */
  readonly schema: string | null;
  readonly kind: ObjectKind;
  readonly acl: readonly AclEntry[];
}

export interface Catalog {
  readonly serverVersion: string;
  readonly serverVersionNum: number;
  readonly database: string;
  readonly currentUser: string;
  readonly databaseOwner: string;
  readonly databaseAcl: readonly AclEntry[] | null;
  readonly roles: readonly CatalogRole[];
  readonly memberships: readonly CatalogMembership[];
  readonly settings: readonly CatalogSetting[];
  readonly schemas: readonly CatalogSchema[];
  readonly objects: readonly CatalogObject[];
  readonly columns: readonly CatalogColumnAcl[];
  readonly defaultAcls: readonly CatalogDefaultAcl[];
}

/** What to read objects, columns and default ACLs for: our schemas, and anything that names our roles. */
export interface CatalogScope {
  readonly schemas: readonly string[];
  readonly roles: readonly string[];
}

const ROLE = (oid: string) => `CASE WHEN ${oid} = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(${oid}) END`;
/** An aclitem[] as JSON entries; NULL stays NULL (the built-in default). */
const ACL = (column: string) =>
  `CASE WHEN ${column} IS NULL THEN NULL ELSE coalesce((SELECT json_agg(json_build_object('grantee', ${ROLE("a.grantee")}, 'grantor', ${ROLE("a.grantor")},
     'privilege', a.privilege_type, 'grantable', a.is_grantable)) FROM pg_catalog.aclexplode(${column}) a), '[]'::json) END`;
const NAMES = (column: string) => `EXISTS (SELECT 1 FROM pg_catalog.aclexplode(${column}) x WHERE ${ROLE("x.grantee")} = ANY((SELECT roles FROM scope)::text[]))`;
const KIND: Record<string, ObjectKind> = { r: "table", S: "sequence", f: "function", T: "type", n: "schema" };

/** The statements the audit runs, in order: all read-only (the test checks each is a SELECT). */
export const CATALOG_QUERIES = {
  server: `SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS num, current_database() AS database,
            current_user AS "user", pg_catalog.pg_get_userbyid(d.datdba) AS owner, ${ACL("d.datacl")} AS acl
           FROM pg_catalog.pg_database d WHERE d.datname = current_database()`,
  roles: `SELECT rolname AS name, rolsuper AS superuser, rolinherit AS inherit, rolcreaterole AS createrole, rolcreatedb AS createdb,
            rolcanlogin AS login, rolreplication AS replication, rolbypassrls AS bypassrls, rolconnlimit AS "connectionLimit",
            rolvaliduntil::text AS "validUntil"
           FROM pg_catalog.pg_roles ORDER BY rolname`,
  // to_jsonb reads PostgreSQL 16's inherit_option and set_option, and NULL before 16, in one query.
  memberships: `SELECT r.rolname AS role, m.rolname AS member, ${ROLE("am.grantor")} AS grantor, am.admin_option AS admin,
            (to_jsonb(am) ->> 'inherit_option')::boolean AS inherit, (to_jsonb(am) ->> 'set_option')::boolean AS set
           FROM pg_catalog.pg_auth_members am JOIN pg_catalog.pg_roles r ON r.oid = am.roleid JOIN pg_catalog.pg_roles m ON m.oid = am.member
           WHERE r.rolname = ANY((SELECT roles FROM scope)::text[]) OR m.rolname = ANY((SELECT roles FROM scope)::text[]) ORDER BY 1, 2, 3`,
  settings: `SELECT r.rolname AS role, d.datname AS database, split_part(c, '=', 1) AS name, substr(c, strpos(c, '=') + 1) AS value
           FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
           LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase CROSS JOIN LATERAL unnest(s.setconfig) c
           WHERE r.rolname = ANY((SELECT roles FROM scope)::text[]) AND (s.setdatabase = 0 OR d.datname = current_database()) ORDER BY 1, 2, 3`,
  schemas: `SELECT n.nspname AS name, pg_catalog.pg_get_userbyid(n.nspowner) AS owner, ${ACL("n.nspacl")} AS acl
           FROM pg_catalog.pg_namespace n
           WHERE n.nspname !~ '^pg_(toast|temp_|toast_temp_)' ORDER BY 1`,
  relations: `SELECT n.nspname AS schema, c.relname AS name, CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END AS kind,
            pg_catalog.pg_get_userbyid(c.relowner) AS owner, ${ACL("c.relacl")} AS acl
           FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
             AND (n.nspname = ANY((SELECT schemas FROM scope)::text[]) OR pg_catalog.pg_get_userbyid(c.relowner) = ANY((SELECT roles FROM scope)::text[]) OR ${NAMES("c.relacl")}) ORDER BY 1, 2`,
  functions: `SELECT n.nspname AS schema, p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' AS name, 'function' AS kind,
            pg_catalog.pg_get_userbyid(p.proowner) AS owner, ${ACL("p.proacl")} AS acl
           FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = ANY((SELECT schemas FROM scope)::text[]) OR pg_catalog.pg_get_userbyid(p.proowner) = ANY((SELECT roles FROM scope)::text[]) OR ${NAMES("p.proacl")} ORDER BY 1, 2`,
  columns: `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, ${ACL("a.attacl")} AS acl
           FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           WHERE a.attacl IS NOT NULL AND NOT a.attisdropped AND (n.nspname = ANY((SELECT schemas FROM scope)::text[]) OR ${NAMES("a.attacl")}) ORDER BY 1, 2, 3`,
  defaultAcls: `SELECT pg_catalog.pg_get_userbyid(d.defaclrole) AS owner, n.nspname AS schema, d.defaclobjtype::text AS kind, ${ACL("d.defaclacl")} AS acl
           FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
           WHERE n.nspname = ANY((SELECT schemas FROM scope)::text[]) OR pg_catalog.pg_get_userbyid(d.defaclrole) = ANY((SELECT roles FROM scope)::text[]) OR ${NAMES("d.defaclacl")} ORDER BY 1, 2, 3`,
} as const;

/**
 * Reads the catalog in one read-only snapshot. `query` must be a dedicated session: this opens
 * and rolls back its own transaction.
 */
export async function readCatalog(query: ReadQuery, scope: CatalogScope): Promise<Catalog> {
  await query("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    const params = [scope.schemas, scope.roles];
    // Every scoped query sees the scope as a CTE, so each declares both parameters' types.
    const all = async (sql: string) => (await query(`WITH scope AS (SELECT $1::text[] AS schemas, $2::text[] AS roles) ${sql}`, params)).rows;
    const server = (await query(CATALOG_QUERIES.server)).rows[0];
    const [roles, memberships, settings, schemas, relations, functions, columns, defaultAcls] = [
      (await query(CATALOG_QUERIES.roles)).rows,
      await all(CATALOG_QUERIES.memberships),
      await all(CATALOG_QUERIES.settings),
      await all(CATALOG_QUERIES.schemas),
      await all(CATALOG_QUERIES.relations),
      await all(CATALOG_QUERIES.functions),
      await all(CATALOG_QUERIES.columns),
      await all(CATALOG_QUERIES.defaultAcls),
    ];
    return {
      serverVersion: String(server.version),
      serverVersionNum: Number(server.num),
      database: String(server.database),
      currentUser: String(server.user),
      databaseOwner: String(server.owner),
      databaseAcl: (server.acl as AclEntry[] | null) ?? null,
      roles: roles as unknown as CatalogRole[],
      memberships: memberships as unknown as CatalogMembership[],
      settings: settings as unknown as CatalogSetting[],
      schemas: schemas as unknown as CatalogSchema[],
      objects: [...relations, ...functions] as unknown as CatalogObject[],
      columns: columns as unknown as CatalogColumnAcl[],
      defaultAcls: defaultAcls.map((d) => ({ ...d, kind: KIND[String(d.kind)] ?? String(d.kind), acl: d.acl ?? [] })) as unknown as CatalogDefaultAcl[],
    };
  } finally {
    await query("ROLLBACK");
  }
}
