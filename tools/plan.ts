/**
 * The offline plan: `npm start [-- --stack prod] [--no-verify]`.
 * Runs the real program for a stack under mocks with that stack's config (secure values replaced
 * by placeholders), then from the one capture prints a summary and writes out/<stack>/:
 * graph.json, graph.mmd. No credentials, network or Pulumi CLI needed. Exits 2 on a config error.
 */
import { mkdirSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { Command } from "commander";
import { ConfigError } from "../components/configSchema";
import { Capture, reveal } from "./capture";
import { graphStats, mermaid, perComponent, perType } from "./graph";
import { captureStack } from "./run";
import { ROOT } from "./stackConfig";

export interface PlanOptions {
  readonly stack: string;
  readonly out: string;
  readonly verify: boolean;
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

  const out: string[] = [];
  out.push(`Offline plan of stack "${c.stack}" (${c.project}): ${stats.resources} resources in ${stats.components} components, captured in ${captureMs} ms`);
  out.push("", "Resources per type:", table(perType(c), ["type", "count"]));
  out.push("", "Resources per component:", table(perComponent(c), ["component", "count"]));
  out.push(
    "",
    `Dependency graph: depth ${stats.depth} (longest chain), width ${stats.width} (widest level); resources per level: ${stats.perLevel.join(" ")}`,
    `Longest chain: ${stats.criticalPath.map((u) => u.split("::").pop()).join(" -> ")}`,
  );
  const secrets = secretsSummary(c);
  if (secrets.length) out.push("", "AWS Secrets Manager secrets (values hidden):", table(secrets, ["name", "arn"]));
  out.push("", "Stack outputs:", JSON.stringify(c.outputs, null, 2));
  out.push("", `Wrote ${join(dir, "graph.json")} and ${join(dir, "graph.mmd")}`);
  (options.write ?? ((t) => process.stdout.write(t)))(out.join("\n") + "\n");
  return 0;
}

if (require.main === module) {
  const program = new Command()
    .name("plan")
    .description("Offline plan of a stack: runs the program under mocks and renders what it declares")
    .option("-s, --stack <name>", "stack whose Pulumi.<stack>.yaml to read", "dev")
    .option("-o, --out <dir>", "output folder", join(ROOT, "out"))
    .option("--no-verify", "skip applying the database design to a throwaway PostgreSQL")
    .parse();
  const opts = program.opts<{ stack: string; out: string; verify: boolean }>();
  plan({ stack: opts.stack, out: opts.out, verify: opts.verify }).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
