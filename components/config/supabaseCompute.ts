/**
 * Supabase's connection limits per compute size: the defaults of `supabase.compute`. Pure data.
 *
 * - `maxConnections` ("Database Max Connections") and `poolerMaxClients` ("Connection Pooler Max
 *   Clients"): the table in supabase/supabase `apps/docs/content/guides/platform/compute-and-disk.mdx`
 *   (https://supabase.com/docs/guides/platform/compute-and-disk#postgres-replication-slots-wal-senders-and-connections).
 *   Its footnote calls max_connections a recommended value that `max_connections` can change
 *   (CLI only, restarts the database); the pooler's client limit is fixed per size.
 * - `poolSize`: the dashboard's default "Pool size" per size (Studio
 *   `ConnectionPooling.constants.ts`, `POOLING_OPTIMIZATIONS`); no docs table has it. The
 *   Management API `GET /v1/projects/{ref}/config/database/pooler` returns the live value
 *   (`default_pool_size`), which is what `supabase.pooler.poolSize` must equal.
 */

export const COMPUTE_SIZES = ["nano", "micro", "small", "medium", "large", "xl", "2xl", "4xl", "8xl", "12xl", "16xl"] as const;
export type ComputeSize = (typeof COMPUTE_SIZES)[number];

export interface ComputeLimits {
  /** Postgres `max_connections`. */
  readonly maxConnections: number;
  /** Supavisor's client limit (`max_client_conn`). */
  readonly poolerMaxClients: number;
  /** Supavisor's default pool size: server connections per (role, database, mode). */
  readonly poolSize: number;
}

export const COMPUTE_LIMITS: Readonly<Record<ComputeSize, ComputeLimits>> = Object.freeze({
  nano: { maxConnections: 60, poolerMaxClients: 200, poolSize: 15 },
  micro: { maxConnections: 60, poolerMaxClients: 200, poolSize: 15 },
  small: { maxConnections: 90, poolerMaxClients: 400, poolSize: 15 },
  medium: { maxConnections: 120, poolerMaxClients: 600, poolSize: 15 },
  large: { maxConnections: 160, poolerMaxClients: 800, poolSize: 20 },
  xl: { maxConnections: 240, poolerMaxClients: 1000, poolSize: 20 },
  "2xl": { maxConnections: 380, poolerMaxClients: 1500, poolSize: 25 },
  "4xl": { maxConnections: 480, poolerMaxClients: 3000, poolSize: 32 },
  "8xl": { maxConnections: 490, poolerMaxClients: 6000, poolSize: 64 },
  "12xl": { maxConnections: 500, poolerMaxClients: 9000, poolSize: 96 },
  "16xl": { maxConnections: 500, poolerMaxClients: 12000, poolSize: 128 },
});

/**
 * Supavisor refuses a project's 51st pool with `(EMAXPOOLSREACHED) max pools count reached`:
 * supabase/supavisor `lib/supavisor.ex`, `@max_pools Application.compile_env(:supavisor, :max_pools, 50)`.
 */
export const SUPAVISOR_MAX_POOLS = 50;

/**
 * PostgreSQL's `superuser_reserved_connections` default (3); Supabase leaves it commented out in
 * supabase/postgres `ansible/files/postgresql_config/postgresql.conf.j2`, and `reserved_connections`
 * (PG 16+) defaults to 0. Supabase's `postgres` is not a superuser, so neither is open to our roles.
 */
export const DEFAULT_RESERVED_SUPERUSER = 3;

/**
 * Share of max_connections left to Supabase's own services (Auth, PostgREST, Realtime, the health
 * checker, `supabase_admin` monitoring), which "come out of the same total" (docs
 * `connecting-to-postgres/pooling-and-limits.mdx`). None publishes its count; the docs' rule of
 * thumb is to commit at most 80 % to the pool, "This leaves adequate room for the Authentication
 * server and other utilities" (`guides/database/connection-management.mdx`). Measure with
 * `select usename, count(*) from pg_stat_activity group by 1` and set the real number.
 */
export const DEFAULT_SUPABASE_SERVICES_SHARE = 0.2;
