/**
 * The audit against a real server, for test/tools/audit.test.ts (in its process). Starts a
 * Supabase-like server, applies the stack's design as the provider does, lets each migrator
 * create its objects, then audits: clean, after each tampering the test names (applied as the
 * admin, as someone in Supabase's SQL editor would), and clean again after its undo. Also runs
 * the real CLI twice (clean, and with one tampering left in place): those are processes, as a
 * scheduled job starts the CLI.
 */
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import { join } from "path";
import { Client } from "pg";
import { runAudit } from "../../tools/audit/cli";
import type { Difference } from "../../tools/audit/compare";
import { LOAD_TYPESCRIPT } from "../commandLine";
import { captureStack } from "../../tools/run";
import { databaseModel } from "../../tools/verify/model";
import { startServer } from "../../tools/verify/server";
import { MIGRATION, applyDesign, servicesUnderTest, supautilsGuarded } from "../../tools/verify/verify";

export interface Tampering {
  readonly name: string;
  readonly sql: readonly string[];
  readonly undo: readonly string[];
}

export interface ScenarioInput {
  readonly stack: string;
  readonly pg: 15 | 17;
  readonly tamperings: readonly Tampering[];
  /** SQL left in place for the CLI's drift run. */
  readonly cliDrift: readonly string[];
}

/** One audit in the test's process: its exit code, what it found and its report. */
export interface Outcome {
  readonly code: number;
  readonly differences: readonly Difference[];
  readonly text: string;
}

/** One run of the CLI as a process: exit code (null if a signal ended it), output, JSON report. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly json: { readonly drift: boolean; readonly differences: readonly Difference[] };
}

export interface Scenario {
  readonly clean: Outcome;
  readonly tamperings: readonly (Outcome & { readonly name: string; readonly afterUndo: number })[];
  readonly cli: { readonly clean: CliRun; readonly drift: CliRun };
}

/** Runs the scenario; the CLI's JSON reports go into `folder`. Returns what each step found. */
export async function auditScenario(input: ScenarioInput, folder: string): Promise<Scenario> {
  const c = await captureStack(input.stack);
  const model = databaseModel(c);
  const server = await startServer(input.pg, model.database);
  const admin = new Client(server.config(server.admin.user, server.admin.password));
  try {
    await admin.connect();
    const guarded = supautilsGuarded(admin);
    await applyDesign(c, guarded, admin);
    for (const s of servicesUnderTest(model)) {
      const m = new Client(server.config(s.migrators[0], model.passwords.get(s.migrators[0])!));
      await m.connect();
      for (const sql of MIGRATION) await m.query(sql);
      await m.end();
    }
    const config = server.config(server.admin.user, server.admin.password);
    const audit = async (): Promise<Outcome> => {
      const run = await runAudit(model, input.stack, config);
      return { code: run.code, differences: run.result.differences, text: run.text };
    };
    const clean = await audit();
    const tamperings: Scenario["tamperings"][number][] = [];
    for (const t of input.tamperings) {
      for (const sql of t.sql) await guarded(sql);
      const tampered = await audit();
      for (const sql of t.undo) await guarded(sql);
      tamperings.push({ name: t.name, ...tampered, afterUndo: (await audit()).code });
    }

    // The CLI as a scheduled job runs it: password in PGPASSWORD, JSON report.
    const url = `postgresql://${server.admin.user}@127.0.0.1:${server.port}/${model.database}`;
    const cli = (name: string): CliRun => {
      const json = join(folder, `${name}.json`);
      const run = spawnSync(process.execPath, [...LOAD_TYPESCRIPT, "tools/audit/cli.ts", "--stack", input.stack, "--database-url", url, "--json", json], {
        cwd: join(__dirname, "..", ".."),
        encoding: "utf8",
        env: { ...process.env, PGPASSWORD: server.admin.password },
        timeout: 120_000,
      });
      return { code: run.status, stdout: run.stdout, stderr: run.stderr, json: JSON.parse(readFileSync(json, "utf8")) };
    };
    const cleanRun = cli("clean");
    for (const sql of input.cliDrift) await guarded(sql);
    const driftRun = cli("drift");
    return { clean, tamperings, cli: { clean: cleanRun, drift: driftRun } };
  } finally {
    await admin.end().catch(() => undefined);
    await server.stop();
  }
}
