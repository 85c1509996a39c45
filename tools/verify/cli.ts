/**
 * `tsx tools/verify/cli.ts --stack dev --pg 17 [--json report.json]`: verify one stack's database
 * design on a throwaway PostgreSQL; prints the privilege matrix; exits 1 on any mismatch.
 * The jest suite runs this in a child process, so that each run has its own server and output.
 */
import { writeFileSync } from "fs";
import { Command } from "commander";
import { ConfigError } from "../../components/config/configSchema";
import { exitCleanlyOnSignals } from "../lifecycle";
import { captureStack } from "../run";
import { VerifyStartError } from "./postgres";
import { formatMatrix, verifyCapture } from "./verify";

async function main(): Promise<number> {
  const opts = new Command()
    .option("-s, --stack <name>", "stack", "dev")
    .option("--pg <major>", "PostgreSQL major version: 15 or 17", "17")
    .option("--json <file>", "also write the report as JSON (no secrets in it)")
    .option("--extra-sql <statement...>", "drift to apply after the program's SQL (to prove the verifier catches it)")
    .parse()
    .opts<{ stack: string; pg: string; json?: string; extraSql?: string[] }>();
  if (opts.pg !== "15" && opts.pg !== "17") throw new Error(`--pg must be 15 or 17, got ${opts.pg}`);
  const c = await captureStack(opts.stack);
  const report = await verifyCapture(c, { pgMajor: Number(opts.pg) as 15 | 17, extraSql: opts.extraSql });
  process.stdout.write(formatMatrix(report) + "\n");
  if (opts.json) writeFileSync(opts.json, JSON.stringify(report, null, 2));
  return report.mismatches === 0 ? 0 : 1;
}

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
