/**
 * Hand-listed sabotages, the complement of StrykerJS (`npm run mutate` runs both): Stryker never
 * changes a number (it has no numeric-literal mutator) nor swaps one value for another plausible
 * one, yet `runAsUser: 0`, a shorter JWT_SECRET, a changed `backoffLimit` or `sslmode: disable`
 * are the sabotages that matter here. Each is applied alone in a copy of the repository, the
 * suites of jest.mutate.config.js run against it, and it must make one of them fail.
 *
 *   tsx test/mutation/sabotages.ts [--tests <git rev>]   (--tests: the test/ folder as of that revision)
 *
 * Exits 1 if a sabotage survives or no longer applies (its text is gone from the source).
 */
import { execFileSync, spawnSync } from "child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";

const ROOT = join(__dirname, "..", "..");

interface Sabotage {
  readonly file: string;
  /** Exact text in the file (it must occur once) and what replaces it. */
  readonly find: string;
  readonly replace: string;
  readonly what: string;
}

export const SABOTAGES: readonly Sabotage[] = [
  { file: "components/workloads/podTemplate.ts", find: "runAsUser: 10001,", replace: "runAsUser: 0,", what: "pods run as root" },
  { file: "components/workloads/podTemplate.ts", find: "fsGroup: 10001,", replace: "fsGroup: 0,", what: "volumes owned by root's group" },
  { file: "components/workloads/podTemplate.ts", find: "privileged: false,", replace: "privileged: true,", what: "privileged containers" },
  { file: "components/workloads/podTemplate.ts", find: 'sizeLimit: "64Mi"', replace: 'sizeLimit: "8Gi"', what: "an unbounded /tmp in memory" },
  { file: "components/workloads/podTemplate.ts", find: "export const STARTUP_PERIOD_SECONDS = 5;", replace: "export const STARTUP_PERIOD_SECONDS = 10;", what: "slower startup probes" },
  {
    file: "components/workloads/temporalWorkers.ts",
    find: "securityContext: CONTAINER_SECURITY_CONTEXT,",
    replace: "securityContext: { ...CONTAINER_SECURITY_CONTEXT, readOnlyRootFilesystem: false },",
    what: "the workers' root filesystem writable",
  },
  {
    file: "components/workloads/temporalWorkers.ts",
    find: "              ...POD_BASICS,",
    replace: "              ...POD_BASICS,\n              automountServiceAccountToken: true,",
    what: "the workers mount a service-account token",
  },
  { file: "components/workloads/serviceWorkload.ts", find: "backoffLimit: 1,", replace: "backoffLimit: 3,", what: "migrations retried three times" },
  { file: "components/workloads/serviceWorkload.ts", find: "activeDeadlineSeconds: 900,", replace: "activeDeadlineSeconds: 90,", what: "a 90-second migration deadline" },
  { file: "components/workloads/serviceWorkload.ts", find: "ttlSecondsAfterFinished: 86400,", replace: "ttlSecondsAfterFinished: 600,", what: "Job logs gone after ten minutes" },
  { file: "components/platform.ts", find: '"pod-security.kubernetes.io/enforce": "restricted"', replace: '"pod-security.kubernetes.io/enforce": "baseline"', what: "Pod Security lowered to baseline" },
  { file: "components/platform.ts", find: "{ parent: this, retainOnDelete: config.protect, protect: config.protect },", replace: "{ parent: this, protect: config.protect },", what: "a protected namespace deleted with the stack" },
  { file: "components/providers.ts", find: "sslmode: config.sslMode,", replace: 'sslmode: "disable",', what: "the provider without TLS" },
  { file: "components/providers.ts", find: "superuser: false,", replace: "superuser: true,", what: "the provider reads pg_shadow" },
  { file: "components/providers.ts", find: "connectTimeout: 15,", replace: "connectTimeout: 0,", what: "the provider waits forever for a connection" },
  { file: "components/providers.ts", find: "databaseUsername: config.adminRole,", replace: "databaseUsername: config.adminUsername,", what: "REASSIGN OWNED to the pooler login" },
  { file: "components/outputs.ts", find: "runtimePort: config.runtimeEndpoint.port,", replace: "runtimePort: config.adminEndpoint.port,", what: "database.runtimePort carries the session port" },
  { file: "components/outputs.ts", find: "activeUser: roles.users[svc.rotation.active],", replace: "activeUser: roles.users.blue,", what: "activeUser ignores the rotation" },
  { file: "components/credentials/platformSecrets.ts", find: "export const JWT_SECRET_LENGTH = 64;", replace: "export const JWT_SECRET_LENGTH = 32;", what: "JWT_SECRET shortened to 32 characters" },
  { file: "components/credentials/serviceCredentials.ts", find: "export const PASSWORD_LENGTH = 40;", replace: "export const PASSWORD_LENGTH = 32;", what: "passwords shortened to 32 characters" },
  { file: "components/config/configSchema.ts", find: 'livenessPath: "/health/liveness",\n  readinessPath', replace: 'livenessPath: "/healthz",\n  readinessPath', what: "the default liveness path changed" },
  { file: "components/config/configSchema.ts", find: '.default(["npm", "run", "migration:run"])', replace: '.default(["npm", "run", "migrate"])', what: "the default migration command changed" },
  { file: "components/config/configSchema.ts", find: 'pullPolicy: z.enum(["IfNotPresent", "Always"]).default("IfNotPresent")', replace: 'pullPolicy: z.enum(["IfNotPresent", "Always"]).default("Always")', what: "the default pull policy changed" },
  { file: "components/config/configSchema.ts", find: "poolerPort: port.default(6543),", replace: "poolerPort: port.default(5432),", what: "services sent to the session port" },
  { file: "components/config/configSchema.ts", find: "  port: 3000,", replace: "  port: 8080,", what: "the services' default port changed" },
];

function sandbox(testsAt: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), "sabotage-"));
  const skip = new Set(["node_modules", "out", ".git", ".stryker-tmp"]);
  cpSync(ROOT, dir, { recursive: true, filter: (src) => !skip.has(src.slice(ROOT.length + 1).split("/")[0]) });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  if (testsAt) {
    rmSync(join(dir, "test"), { recursive: true, force: true });
    const archive = execFileSync("git", ["archive", testsAt, "test"], { cwd: ROOT, maxBuffer: 1 << 28 });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
  }
  return dir;
}

function main(): number {
  const at = process.argv.indexOf("--tests");
  const testsAt = at >= 0 ? process.argv[at + 1] : undefined;
  const dir = sandbox(testsAt);
  const survived: string[] = [];
  const stale: string[] = [];
  try {
    const jest = join(dir, "node_modules", "jest", "bin", "jest.js");
    for (const s of SABOTAGES) {
      const path = join(dir, s.file);
      const original = readFileSync(path, "utf8");
      if (original.split(s.find).length !== 2) {
        stale.push(`${s.file}: ${s.what} (its text is not in the file exactly once)`);
        continue;
      }
      writeFileSync(path, original.replace(s.find, s.replace));
      try {
        // 10 minutes at most per sabotage; --bail: the first failing suite is enough.
        const run = spawnSync(process.execPath, [jest, "-c", "jest.mutate.config.js", "--bail", "--silent"], { cwd: dir, encoding: "utf8", timeout: 600_000 });
        const killed = run.status !== 0;
        process.stdout.write(`${killed ? "killed  " : "SURVIVED"} ${s.file}: ${s.what}\n`);
        if (!killed) survived.push(`${s.file}: ${s.what}`);
      } finally {
        writeFileSync(path, original);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const applied = SABOTAGES.length - stale.length;
  process.stdout.write(`\nSabotages: ${applied} applied, ${applied - survived.length} killed, ${survived.length} survived${testsAt ? ` (tests as of ${testsAt})` : ""}\n`);
  for (const s of stale) process.stdout.write(`stale: ${s}\n`);
  return survived.length || stale.length ? 1 : 0;
}

if (require.main === module) process.exitCode = main();
