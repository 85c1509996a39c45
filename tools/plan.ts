/**
 * The offline plan: `npm start [-- --stack prod] [--no-verify] [--verbose]`.
 * Runs the real program for a stack under mocks with that stack's config (secure values replaced
 * by placeholders) and from the one capture writes out/<stack>/: graph.json, outputs.json,
 * overview.mmd and services/<svc>.mmd (Mermaid), database.sql (passwords hidden),
 * kubernetes/*.yaml (secret values "[secret]", every object validated) and, unless
 * `--no-verify`, privileges.txt: the privilege matrix of the design applied to a throwaway
 * PostgreSQL (tools/verify). The console gets a one-screen summary; `--verbose` prints the details.
 *
 * The folder is written aside and renamed into place only when the run succeeded, so two plans
 * never see each other's half-written files and a failed run never leaves an older plan behind:
 * a run that fails after rendering leaves its files in out/<stack>.failed/ instead.
 * Exits 2 on a config error, 1 on an invalid Kubernetes object, a verification mismatch or a
 * verification that could not start, 130/143 when interrupted.
 *
 * With `--set path=value` (repeatable) or `--base <file>` it prints the change preview instead
 * (tools/preview): what `pulumi up` would create, update, replace and delete, what the engine
 * refuses, which pods roll and why.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, writeFileSync } from "fs";
import { dirname, join, resolve } from "path";
import { Command, Option } from "commander";
import { ConfigError } from "../components/config/configSchema";
import { budgetSummary, budgetTable } from "./budget";
import { Capture, reveal } from "./capture";
import { LAYERS, capturedServices, graphStats, layerOf, mermaidOverview, mermaidService, perComponent, perType } from "./graph";
import { exitCleanlyOnSignals, interrupted, temporaryFolder } from "./lifecycle";
import { Timings } from "./timings";
import { captureStack } from "./run";
import { manifestFiles, manifests, validateManifests } from "./k8s/manifests";
import { renderSql } from "./sql/render";
import { checkStackConfig } from "./preview/cliConfig";
import { PreviewOptions, previewExitCode, previewStack, renderPreview } from "./preview/preview";
import { ROOT, isStackName } from "./stackConfig";
import { PgMajor, VerifyStartError } from "./verify/postgres";
import { launchServer } from "./verify/server";
import { VerifyReport, formatMatrix, verifyCapture } from "./verify/verify";

export interface PlanOptions {
  readonly stack: string;
  readonly out: string;
  /** Apply the database design to a throwaway PostgreSQL and write the privilege matrix. */
  readonly verify: boolean;
  /** PostgreSQL major version of the verification. @default 17 */
  readonly pgMajor?: PgMajor;
  /** Print every detail (types, components, secrets, stack outputs, the matrix), not only the summary. @default false */
  readonly verbose?: boolean;
  /** Print how long each phase took (capture, each renderer, each step of the verification). @default false */
  readonly timings?: boolean;
  /** Folder with Pulumi.yaml and the stack files. @default the repository */
  readonly root?: string;
  /** Where the report goes. @default process.stdout */
  readonly write?: (text: string) => void;
  /** Where a config error goes. @default process.stderr */
  readonly writeError?: (text: string) => void;
}

/** Lines of the summary are wrapped at this width, so it reads in a terminal and a CI log. */
const WIDTH = 100;

function table(rows: [string, string | number][], header: [string, string]): string {
  const w = Math.max(header[0].length, ...rows.map((r) => r[0].length));
  return [`  ${header[0].padEnd(w)}  ${header[1]}`, ...rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`)].join("\n");
}

/** `items` joined with ", " after `head`, continuing on indented lines at WIDTH. */
function wrap(head: string, items: readonly string[], indent: number): string[] {
  const lines: string[] = [];
  let line = head;
  let empty = true;
  for (const [i, item] of items.entries()) {
    const piece = `${item}${i < items.length - 1 ? "," : ""}`;
    if (!empty && line.length + 1 + piece.length > WIDTH) {
      lines.push(line);
      line = " ".repeat(indent) + piece;
    } else {
      line = empty ? `${line}${piece}` : `${line} ${piece}`;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
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

/** Resources per layer, each with its types by count: the reviewer's first question. */
function layerLines(c: Capture): string[] {
  const custom = c.resources.filter((r) => r.custom);
  const width = Math.max(...LAYERS.map((l) => l.length));
  return LAYERS.flatMap((layer) => {
    const rs = custom.filter((r) => layerOf(r) === layer);
    if (!rs.length) return [];
    const counts = new Map<string, number>();
    for (const r of rs) counts.set(r.type.split(":").pop()!, (counts.get(r.type.split(":").pop()!) ?? 0) + 1);
    const types = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([t, n]) => `${n} ${t}`);
    const head = `  ${layer.padEnd(width)} ${String(rs.length).padStart(4)}  `;
    return wrap(head, types, head.length);
  });
}

/** What the verification proved, in counts taken from its report. */
function verificationLines(report: VerifyReport, matrixFile: string): string[] {
  const owned = report.checks.filter((x) => /is owned by/.test(x.what));
  const cells = report.matrix.filter((m) => m.actual === m.expected).length;
  const users = new Set(report.checks.filter((x) => /_app_(blue|green)$/.test(x.role)).map((x) => x.role)).size;
  return [
    `Verification on PostgreSQL ${report.serverVersion} (throwaway server, admin not a superuser), ${(report.durationMs / 1000).toFixed(1)} s:`,
    `  ${report.statementsApplied} statements of database.sql applied as the provider runs them`,
    `  ${owned.filter((x) => x.ok).length}/${owned.length} schemas: everything a migrator creates belongs to the owner role`,
    `  ${report.allowedPassed}/${report.allowedChecks} allowed operations worked (${users} runtime users, migrators, read-only roles)`,
    `  ${report.attacksRefused}/${report.attacks} forbidden operations refused with a permission error`,
    `  ${cells}/${report.matrix.length} privilege-matrix cells as the graph declares (${matrixFile})`,
  ];
}

/** Moves `from` to `to`, replacing what is there; another plan may be doing the same at once. */
function replace(from: string, to: string): void {
  for (let attempt = 0; attempt < 20; attempt++) {
    const aside = `${to}.old-${process.pid}-${attempt}`;
    let moved = true;
    try {
      renameSync(to, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      moved = false;
    }
    try {
      renameSync(from, to);
      return;
    } catch (err) {
      // Another plan renamed its folder in between: move that one aside in the next round.
      if (!["ENOTEMPTY", "EEXIST"].includes((err as NodeJS.ErrnoException).code ?? "")) throw err;
    } finally {
      if (moved) rmSync(aside, { recursive: true, force: true });
    }
  }
  throw new Error(`could not move ${from} to ${to}: other plans keep replacing it`);
}

/** Removes `dir` and its parents up to `top` while they are empty (a config error writes nothing). */
function removeEmpty(dir: string, top: string): void {
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
    if (d === resolve(top)) return;
  }
}

/** Staging folders of plans that were killed outright (SIGKILL runs no cleanup): their process is gone. */
function removeAbandoned(out: string): void {
  for (const f of readdirSync(out)) {
    const pid = Number(/^\.plan-(\d+)-/.exec(f)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") rmSync(join(out, f), { recursive: true, force: true });
    }
  }
}

export async function plan(options: PlanOptions): Promise<number> {
  const timings = new Timings();
  const write = options.write ?? ((t) => process.stdout.write(t));
  const writeError = options.writeError ?? ((t) => process.stderr.write(t));
  const dest = join(options.out, options.stack);
  const failedDest = `${dest}.failed`;
  // The staging folder exists before the server's first file, so that a plan killed at any point
  // leaves one for the next plan to remove (removeAbandoned), and the server's watchdog removes the rest.
  const created = mkdirSync(options.out, { recursive: true });
  removeAbandoned(options.out);
  const staging = temporaryFolder(`.plan-${process.pid}-`, options.out);
  // The verification's server needs nothing from the capture: it starts now and its processes run
  // on the other core while this one runs the program. What the launch does before it returns
  // (staging the binaries as root) holds this process up and is a phase of its own; the rest is
  // background. A server that cannot start is reported after the rendering, as before.
  const serverPhase = { mark: (name: string) => timings.mark(name) };
  const server = options.verify ? launchServer(options.pgMajor ?? 17, undefined, (name) => serverPhase.mark(name)) : undefined;
  serverPhase.mark = timings.background();
  server?.catch(() => undefined);
  let rendering = false;
  try {
    let c: Capture;
    const captureStarted = Date.now();
    try {
      c = await captureStack(options.stack, { root: options.root });
    } catch (err) {
      if (err instanceof ConfigError) {
        writeError(`${err.message}\n`);
        // An older plan of this stack no longer describes its config: remove it rather than let
        // someone publish it. A bad stack name never reaches the file system.
        if (isStackName(options.stack)) for (const d of [dest, failedDest]) rmSync(d, { recursive: true, force: true });
        staging.remove();
        if (created) removeEmpty(options.out, created);
        return 2;
      }
      throw err;
    }
    const captureMs = Date.now() - captureStarted;
    timings.mark("capture (program under mocks)");
    // The renderers below are synchronous, and the server's start goes on through callbacks on
    // this thread (a copy that ended, a free port, the postmaster's ready line): each renderer is
    // a phase that first lets them run, so that the server is ready when the renderers are done.
    const phase = async <T>(name: string, render: () => T): Promise<T> => {
      if (server) await new Promise((resolve) => setImmediate(resolve));
      const result = render();
      timings.mark(name);
      return result;
    };
    rendering = true;
    const dir = staging.path;
    const stats = await phase("graph stats", () => graphStats(c));
    await phase("write graph.json, outputs.json", () => {
      // SecretValue serialises as "[secret]": nothing secret reaches these files.
      writeFileSync(join(dir, "graph.json"), JSON.stringify({ project: c.project, stack: c.stack, resources: c.resources, outputs: c.outputs }, null, 2));
      writeFileSync(join(dir, "outputs.json"), JSON.stringify(c.outputs, null, 2) + "\n");
    });
    await phase("connection budget", () => writeFileSync(join(dir, "budget.txt"), budgetTable(c) + "\n"));
    const services = await phase("Mermaid", () => {
      writeFileSync(join(dir, "overview.mmd"), mermaidOverview(c));
      const keys = capturedServices(c);
      mkdirSync(join(dir, "services"));
      for (const key of keys) writeFileSync(join(dir, "services", `${key}.mmd`), mermaidService(c, key));
      return keys;
    });
    await phase("SQL", () => writeFileSync(join(dir, "database.sql"), renderSql(c)));
    const { objects, files } = await phase("Kubernetes YAML", () => {
      mkdirSync(join(dir, "kubernetes"));
      const rendered = manifests(c);
      const yaml = manifestFiles(rendered);
      for (const f of yaml) writeFileSync(join(dir, "kubernetes", f.file), f.yaml);
      return { objects: rendered, files: yaml };
    });
    const problems = await phase("Kubernetes validation", () => validateManifests(objects));

    let report: VerifyReport | undefined;
    let cannotVerify: string | undefined;
    if (options.verify && !problems.length) {
      write(`Verifying the database design on a throwaway PostgreSQL ${options.pgMajor ?? 17} (--no-verify skips)...\n`);
      try {
        report = await verifyCapture(c, { pgMajor: options.pgMajor ?? 17, phase: (name) => timings.mark(name), server });
        writeFileSync(join(dir, "privileges.txt"), formatMatrix(report) + "\n");
      } catch (err) {
        if (!(err instanceof VerifyStartError)) throw err;
        cannotVerify = err.message;
      }
    }
    // What `pulumi preview` itself would refuse in the stack file before the program runs.
    const cliErrors = checkStackConfig(options.stack, options.root ?? ROOT).filter((f) => f.level === "error");
    const failed = problems.length > 0 || cannotVerify !== undefined || (report?.mismatches ?? 0) > 0 || cliErrors.length > 0;
    const shown = failed ? failedDest : dest;

    const out: string[] = [];
    out.push(`Offline plan of stack "${c.stack}" (${c.project}): ${stats.resources} resources in ${stats.components} components, captured in ${captureMs} ms`);
    out.push("", "Resources per layer:", ...layerLines(c));
    out.push(...wrap(`Services (${services.length}): `, services, 2));
    out.push(`Dependency graph: depth ${stats.depth} (longest chain), width ${stats.width} (widest level)`);
    out.push("", budgetSummary(c));
    out.push("", `Kubernetes: ${files.length} objects validated (OpenAPI schemas, API-server rules, cross-checks): ${problems.length} problems`);
    if (report) out.push("", ...verificationLines(report, "privileges.txt"));
    else if (cannotVerify) out.push("", "Verification on PostgreSQL: could not start (see Problems)");
    else if (problems.length) out.push("", "Verification on PostgreSQL: not run (invalid Kubernetes objects)");
    else out.push("", "Verification on PostgreSQL: skipped (--no-verify)");
    const issues = [
      ...(c.warnings ?? []).map((w) => `warning: ${w}`),
      ...cliErrors.map((f) => `Pulumi CLI would refuse: ${f.message}`),
      ...problems.map((p) => `INVALID ${p.object}: ${p.message}`),
      ...(cannotVerify ? [`verification could not start: ${cannotVerify}`] : []),
      ...(report?.mismatches ? [`${report.mismatches} verification mismatches: see ${join(shown, "privileges.txt")}`] : []),
    ];
    const limit = options.verbose ? issues.length : 10;
    out.push("", issues.length ? `Problems (${issues.length}):` : "Problems: none");
    out.push(...issues.slice(0, limit).map((p) => `  ${p}`));
    if (issues.length > limit) out.push(`  ... ${issues.length - limit} more (--verbose prints all)`);
    const written = ["outputs.json", "budget.txt", "overview.mmd", "services/*.mmd", "database.sql", `kubernetes/ (${files.length} files)`, "graph.json", ...(report ? ["privileges.txt"] : [])];
    out.push("", ...wrap(`Wrote ${shown}/: `, written, 2));
    if (!options.verbose) out.push("--verbose prints every type, component and secret, the stack outputs and the matrix.");
    if (options.verbose) {
      out.push("", budgetTable(c));
      out.push("", "Resources per type:", table(perType(c), ["type", "count"]));
      out.push("", "Resources per component:", table(perComponent(c), ["component", "count"]));
      out.push("", `Resources per dependency level: ${stats.perLevel.join(" ")}`);
      out.push(`Longest chain: ${stats.criticalPath.map((u) => u.split("::").pop()).join(" -> ")}`);
      const secrets = secretsSummary(c);
      if (secrets.length) out.push("", "AWS Secrets Manager secrets (values hidden):", table(secrets, ["name", "arn"]));
      out.push("", "Stack outputs:", JSON.stringify(c.outputs, null, 2));
      if (report) out.push("", formatMatrix(report));
    }
    timings.mark("summary");
    if (options.timings) out.push("", timings.format());
    write(out.join("\n") + "\n");

    if (failed) {
      replace(dir, failedDest);
      rmSync(dest, { recursive: true, force: true });
      return 1;
    }
    replace(dir, dest);
    rmSync(failedDest, { recursive: true, force: true });
    return 0;
  } catch (err) {
    // A run that crashed after the capture publishes nothing, and leaves no older plan that looks current.
    if (rendering) rmSync(dest, { recursive: true, force: true });
    throw err;
  } finally {
    staging.remove();
    // Stopped already when the verification ran; not when it did not (invalid Kubernetes objects,
    // a crash): stopping twice is harmless.
    await server?.then(
      (s) => s.stop(),
      () => undefined,
    );
  }
}

/** The command line; options are declared here so that new ones are one line each. */
export function planCommand(): Command {
  return new Command()
    .name("plan")
    .description("Offline plan of a stack: runs the program under mocks and renders what it declares")
    .option("-s, --stack <name>", "stack whose Pulumi.<stack>.yaml to read", "dev")
    .option("-o, --out <dir>", "output folder", join(ROOT, "out"))
    .option("--no-verify", "skip applying the database design to a throwaway PostgreSQL")
    .option("-v, --verbose", "print every detail, not only the summary", false)
    .option("--timings", "print how long each phase took", false)
    .addOption(new Option("--pg <major>", "PostgreSQL major version of the verification").choices(["15", "17"]).default("17"))
    .option("--set <path=value>", "change preview: the stack's config with this value set, as `pulumi config set --path` (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--base <file>", "change preview: compare against this stack file (e.g. main's Pulumi.<stack>.yaml) instead of the stack's own");
}

if (require.main === module) {
  exitCleanlyOnSignals();
  const opts = planCommand().parse().opts<{ stack: string; out: string; verify: boolean; verbose: boolean; timings: boolean; pg: string; set: string[]; base?: string }>();
  const run =
    opts.set.length || opts.base
      ? changePreview({ stack: opts.stack, root: ROOT, sets: opts.set, base: opts.base })
      : plan({ stack: opts.stack, out: opts.out, verify: opts.verify, verbose: opts.verbose, timings: opts.timings, pgMajor: Number(opts.pg) as PgMajor });
  run.then(
    (code) => {
      if (!interrupted()) process.exit(code);
    },
    (err) => {
      // Interrupted: the signal handler exits (130/143) once the server is stopped; what failed
      // because it was stopped is not news.
      if (interrupted()) return;
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
