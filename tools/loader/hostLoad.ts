/**
 * Runs tools/loader/hostEntry.cjs in a child process: the program loaded through @pulumi/pulumi's
 * language-host entry and its ts-node, with a stack's config passed as the CLI passes it. Used
 * by the loader benchmark and by the test that the transpile-only path the workflows choose
 * really loads the program.
 */
import { spawn } from "child_process";
import { join } from "path";
import { ROOT, readStackConfig } from "../stackConfig";

export interface HostLoadOptions {
  /** Type-check as ts-node does by default; false sets PULUMI_NODEJS_TRANSPILE_ONLY=true as the workflows do. */
  readonly typeCheck: boolean;
  /**
   * The temporary folder of the child: ts-node 7 caches its compiled output there
   * (`<tmpdir>/ts-node-<digest>`), so a fresh folder is a cold start, as on a CI runner.
   */
  readonly tmpdir: string;
}

export interface HostLoadResult {
  readonly stack: string;
  /** The stack outputs' names, sorted. */
  readonly outputs: readonly string[];
  /** Resources the program registered, the root Stack included. */
  readonly resources: number;
  /** Wall time of the child from its first line to the last registration. */
  readonly ms: number;
  /** Wall time of the whole child process, Node's start included. */
  readonly processMs: number;
  readonly maxRssKb: number;
  readonly userCpuMs: number;
  readonly systemCpuMs: number;
}

export function loadUnderHost(stack: string, options: HostLoadOptions): Promise<HostLoadResult> {
  const { config, secretKeys } = readStackConfig(stack);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_CONFIG: JSON.stringify(config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(secretKeys),
    TMPDIR: options.tmpdir,
  };
  delete env.PULUMI_NODEJS_TRANSPILE_ONLY;
  delete env.TS_NODE_CACHE_DIRECTORY;
  if (!options.typeCheck) env.PULUMI_NODEJS_TRANSPILE_ONLY = "true";
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "tools", "loader", "hostEntry.cjs"), stack], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      const processMs = Number(process.hrtime.bigint() - started) / 1e6;
      const line = stdout.trim().split("\n").pop() ?? "";
      if (code !== 0 || !line.startsWith("{")) return reject(new Error(`loading ${stack} under the language host failed (exit ${code}):\n${stderr}${stdout}`));
      resolve({ ...(JSON.parse(line) as Omit<HostLoadResult, "processMs">), processMs });
    });
  });
}
