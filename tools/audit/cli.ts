/**
 * `npm run audit -- --stack prod --database-url <url> [--json report.json]`: compares a live
 * database's roles and privileges with what the stack's graph declares. See `--help`.
 * Exit codes: 0 no drift, 1 drift, 2 the audit could not run (arguments, connection, capture).
 */
import { readFileSync, writeFileSync } from "fs";
import { Command } from "commander";
import { parse } from "pg-connection-string";
import { Client, ClientConfig } from "pg";
import { captureStack } from "../run";
import { DatabaseModel, databaseModel } from "../verify/model";
import { readCatalog } from "./catalog";
import { AuditResult, compareCatalog, formatAudit } from "./compare";

export const HELP = `
Read-only: the audit runs SELECTs on the system catalog (pg_roles, pg_auth_members,
pg_db_role_setting, pg_namespace, pg_class, pg_proc, pg_attribute, pg_default_acl,
pg_database) inside one READ ONLY transaction that it rolls back. It writes nothing to the
database; any role that may connect can run it (it reads pg_roles, never pg_authid).

The password comes from the URL or from PGPASSWORD, never from a file (not even ~/.pgpass).
For Supabase, use the session pooler or the direct host, e.g.
  postgresql://postgres.<ref>@aws-0-<region>.pooler.supabase.com:5432/postgres?sslmode=verify-full
with --ca pointing at Supabase's root certificate (Dashboard, Database settings, SSL).

It prints every difference: a grant, member, attribute or setting the graph does not declare,
one it declares that is missing, a wrong owner. Exit code 0: no drift; 1: drift; 2: the audit
could not run.`;

interface Options {
  stack: string;
  databaseUrl: string;
  json?: string;
  ca?: string;
}

export function clientConfig(url: string, env: NodeJS.ProcessEnv, ca?: string): ClientConfig {
  const parsed = parse(url);
  const password = parsed.password || env.PGPASSWORD;
  if (!password) throw new Error("no password: put it in --database-url or in PGPASSWORD (never in a file of the repo)");
  const ssl = ca ? { ca: readFileSync(ca, "utf8"), rejectUnauthorized: true } : parsed.ssl;
  return {
    host: parsed.host ?? undefined,
    port: parsed.port ? Number(parsed.port) : undefined,
    database: parsed.database ?? undefined,
    user: parsed.user ?? undefined,
    password,
    ssl: ssl as ClientConfig["ssl"],
    application_name: "volteryde-audit",
    connectionTimeoutMillis: 15_000,
    // A stuck catalog read must not hang a scheduled job.
    statement_timeout: 60_000,
  };
}

export interface AuditRun {
  /** 0 no drift, 1 drift. */
  readonly code: 0 | 1;
  readonly text: string;
  readonly result: AuditResult;
}

/** One audit: read the catalog (read-only), compare with the model, format. */
export async function runAudit(model: DatabaseModel, stack: string, config: ClientConfig): Promise<AuditRun> {
  const client = new Client(config);
  await client.connect();
  let catalog;
  try {
    catalog = await readCatalog((sql, params) => client.query(sql, params), { schemas: [...model.schemas.keys(), "public"], roles: [...model.roles.keys()] });
  } finally {
    await client.end();
  }
  const result = compareCatalog(model, catalog);
  const where = `${config.user}@${config.host}:${config.port ?? 5432}/${catalog.database}`;
  const text = formatAudit(result, `Audit of ${where} (PostgreSQL ${catalog.serverVersion}, as ${catalog.currentUser}) against stack ${stack}:`);
  return { code: result.differences.length ? 1 : 0, text, result };
}

async function main(): Promise<number> {
  const opts = new Command()
    .name("npm run audit --")
    .description("Audit a live database for drift from the stack's graph (read-only).")
    .requiredOption("-s, --stack <name>", "stack whose graph is the reference (dev, prod)")
    .requiredOption("--database-url <url>", "postgresql://user[:password]@host:port/database[?sslmode=...]")
    .option("--ca <file>", "CA certificate to verify the server with (Supabase's root certificate)")
    .option("--json <file>", "also write the report as JSON (no secrets in it)")
    .addHelpText("after", HELP)
    .parse()
    .opts<Options>();
  const config = clientConfig(opts.databaseUrl, process.env, opts.ca);
  const run = await runAudit(databaseModel(await captureStack(opts.stack)), opts.stack, config);
  process.stdout.write(`${run.text}\n`);
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ stack: opts.stack, drift: run.code === 1, ...run.result }, null, 2));
  return run.code;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`audit failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
