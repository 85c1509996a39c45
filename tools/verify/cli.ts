/**
 * `node --require ./tools/register.cjs tools/verify/cli.ts --stack dev --pg 17 [--json report.json]`:
 * verify one stack's database design on a throwaway PostgreSQL; prints the privilege matrix;
 * exits 1 on any mismatch. `verifyStack` is the same run without the process around it.
 */
import { writeFileSync } from "fs";
import { Command } from "commander";
import { ConfigError } from "../../components/config/configSchema";
import { exitCleanlyOnSignals } from "../lifecycle";
import { captureStack } from "../run";
import { PgMajor, VerifyStartError } from "./postgres";
import { VerifyReport, formatMatrix, verifyCapture } from "./verify";

export interface StackVerification {
  /** The CLI's exit code: 1 on any mismatch. */
  readonly code: 0 | 1;
  /** What the CLI prints: the privilege matrix and the summary. */
  readonly output: string;
  readonly report: VerifyReport;
}

/** One stack's design on its own server of `pgMajor`, with `extraSql` applied after the program's SQL. */
export async function verifyStack(stack: string, pgMajor: PgMajor, extraSql?: readonly string[]): Promise<StackVerification> {
  const report = await verifyCapture(await captureStack(stack), { pgMajor, extraSql });
  return { code: report.mismatches === 0 ? 0 : 1, output: formatMatrix(report) + "\n", report };
}

async function main(): Promise<number> {
  const opts = new Command()
    .option("-s, --stack <name>", "stack", "dev")
    .option("--pg <major>", "PostgreSQL major version: 15 or 17", "17")
    .option("--json <file>", "also write the report as JSON (no secrets in it)")
    .option("--extra-sql <statement...>", "drift to apply after the program's SQL (to prove the verifier catches it)")
    .parse()
    .opts<{ stack: string; pg: string; json?: string; extraSql?: string[] }>();
  if (opts.pg !== "15" && opts.pg !== "17") throw new Error(`--pg must be 15 or 17, got ${opts.pg}`);
  const { code, output, report } = await verifyStack(opts.stack, Number(opts.pg) as PgMajor, opts.extraSql);
  process.stdout.write(output);
  if (opts.json) writeFileSync(opts.json, JSON.stringify(report, null, 2));
  return code;
}

if (require.main === module) {
  exitCleanlyOnSignals();
  main().then(
    (code) => process.exit(code),
    (err) => {
      // A config mistake or a server that cannot start is the user's to fix: the message says how.
      const known = err instanceof ConfigError || err instanceof VerifyStartError;
      process.stderr.write(`${known ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(err instanceof ConfigError ? 2 : 1);
    },
  );
}
