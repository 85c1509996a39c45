/**
 * The database design on a real PostgreSQL (17 and 15), for both stacks: each run has a server of
 * its own. The four clean runs are the verifier's own function, in this process (`verifyStack`,
 * what tools/verify/cli.ts runs); the drift run is the command line, as a process, with its exit
 * code, its output and its JSON report.
 *
 * @slow five verifications, each with its own PostgreSQL server
 */
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import { join } from "path";
import { StackVerification, verifyStack } from "../../tools/verify/cli";
import type { VerifyReport } from "../../tools/verify/verify";
import { LOAD_TYPESCRIPT } from "../commandLine";
import { tempDir } from "../tempDirs";

const ROOT = join(__dirname, "..", "..");
/** A verifier process is killed after this; each test (which may start one) gets a minute more. */
const RUN_TIMEOUT_MS = 240_000;
jest.setTimeout(RUN_TIMEOUT_MS + 60_000);

const runs = new Map<string, Promise<StackVerification>>();

/** One run per stack and version (several tests read the same report). */
function verify(stack: string, pg: 15 | 17): Promise<StackVerification> {
  const key = `${stack}/${pg}`;
  if (!runs.has(key)) runs.set(key, verifyStack(stack, pg));
  return runs.get(key)!;
}

/** `tools/verify/cli.ts` as a process, loaded as npm start loads its files. */
function runVerifierProcess(stack: string, pg: number, extraSql: string[]): { code: number | null; output: string; report: VerifyReport } {
  const json = join(tempDir("verify-report-"), "report.json");
  const args = [...LOAD_TYPESCRIPT, "tools/verify/cli.ts", "--stack", stack, "--pg", String(pg), "--json", json, "--extra-sql", ...extraSql];
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", timeout: RUN_TIMEOUT_MS });
  if (run.error) throw run.error;
  let report: VerifyReport;
  try {
    report = JSON.parse(readFileSync(json, "utf8"));
  } catch {
    throw new Error(`verifier wrote no report (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  }
  return { code: run.status, output: run.stdout, report };
}

describe.each([17, 15] as const)("PostgreSQL %i", (pg) => {
  it.each(["dev", "prod"])("%s: every declared privilege works, every attack is refused", async (stack) => {
    const { code, output, report } = await verify(stack, pg);
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

  it.each([
    ["dev", 186],
    ["prod", 206],
  ])("%s: on Supabase's own role setup, with no createrole_self_grant, the provider's temporary grants suffice", async (stack, temporary) => {
    const { report } = await verify(stack, pg);
    // Supabase sets no createrole_self_grant: empty on 16+, unknown to 15.
    expect(report.createroleSelfGrant).toBe(pg === 17 ? "" : null);
    // withRolesGranted grants and revokes the owner around every schema, grant and default
    // privilege of a service schema (93 resources in dev, 103 in prod): on 15 the admin is no
    // member of the roles it creates, on 17 only with ADMIN, which the provider's set_option check
    // does not count as a member.
    expect(report.temporaryGrants).toBe(temporary);
    const admin = report.checks.filter((c) => c.role === "postgres");
    expect(admin.map((c) => c.what)).toEqual([
      "without the provider's grant: CREATE SCHEMA AUTHORIZATION svc_auth_owner",
      "without the provider's grant: ALTER DEFAULT PRIVILEGES FOR ROLE svc_auth_owner",
    ]);
    expect(admin.every((c) => !c.expectAllowed && c.ok && c.detail?.startsWith("42501"))).toBe(true);
    // The catalog the server holds is what the audit's model says, memberships included.
    const catalog = report.checks.filter((c) => c.role === "catalog");
    expect(catalog).toHaveLength(1);
    expect(catalog[0].ok).toBe(true);
    expect(report.catalogDifferences).toEqual([]);
  });

  it("the Data API's roles see, read, write and execute nothing in a service schema, and keep what they need in public", async () => {
    const { report } = await verify("prod", pg);
    for (const role of ["authenticator", "anon", "authenticated", "service_role"]) {
      const attacks = report.checks.filter((c) => c.role === role && !c.expectAllowed);
      // 10 service schemas x (see, select, insert, update, delete, truncate, view, sequence,
      // execute, create, SET ROLE runtime, SET ROLE owner); the API roles also try to create in public.
      expect(attacks).toHaveLength(role === "authenticator" ? 120 : 121);
      expect(attacks.filter((c) => !c.ok)).toEqual([]);
      expect(attacks.filter((c) => c.what === "see svc_payment")).toHaveLength(1);
      expect(attacks.filter((c) => c.what === "select in svc_payment" && c.detail?.startsWith("42501"))).toHaveLength(1);
    }
    for (const role of ["anon", "authenticated", "service_role"]) {
      const needs = report.checks.filter((c) => c.role === role && c.expectAllowed);
      expect(needs.map((c) => c.what).sort()).toEqual(["USAGE on extensions", "USAGE on public", "execute in public", "insert in public (serial)", "select in public"]);
      expect(needs.every((c) => c.ok)).toBe(true);
    }
    expect(report.families["Data API (anon)"]).toEqual({ allowed: 5, attacks: 121 });
  });
});

it("the command line exits 1 on privileges the graph does not declare (drift injected after the program's SQL), and names them", () => {
  // The admin holds the owner only with ADMIN: like the provider, it needs a temporary membership.
  const { code, output, report } = runVerifierProcess("dev", 17, ["GRANT svc_users_owner TO postgres", "GRANT CREATE ON SCHEMA svc_users TO svc_booking_app", "REVOKE svc_users_owner FROM postgres"]);
  expect(code).toBe(1);
  expect(report.mismatches).toBeGreaterThan(0);
  expect(output).toContain("MISMATCH svc_booking_app_blue create on svc_users: expected denied");
  // The catalog check (the audit's comparison) names it too.
  expect(report.catalogDifferences).toEqual(["schema svc_users: svc_booking_app has CREATE, which the graph does not grant"]);
});
