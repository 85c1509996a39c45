/**
 * Reads a stack's config the way the Pulumi CLI hands it to the program: Pulumi.<stack>.yaml's
 * `config:` (objects become JSON strings), with `secure:` values replaced by placeholders and
 * reported as secret keys. No credentials are needed to plan.
 */
import { createHash } from "crypto";
import { existsSync, readFileSync, readdirSync } from "fs";
import { join } from "path";
import YAML, { YAMLParseError } from "yaml";
import { ConfigError } from "../components/config/configSchema";

export interface StackConfig {
  readonly stack: string;
  readonly project: string;
  readonly config: Record<string, string>;
  readonly secretKeys: string[];
}

export const ROOT = join(__dirname, "..");

/** What Pulumi accepts in a stack name; anything else (a path such as ../x) is refused before it reaches the file system. */
const STACK_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$/;

/** Whether `stack` is a stack name (and so safe as part of a file name). */
export function isStackName(stack: string): boolean {
  return STACK_NAME.test(stack);
}

export function stackFile(stack: string, root = ROOT): string {
  return join(root, `Pulumi.${stack}.yaml`);
}

/** The stacks that have a Pulumi.<stack>.yaml in `root`. */
export function stacks(root = ROOT): string[] {
  return readdirSync(root)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined && STACK_NAME.test(s))
    .sort();
}

/** Parses a YAML file; a syntax error becomes a ConfigError naming the file, line and column. */
function readYaml(file: string): unknown {
  try {
    return YAML.parse(readFileSync(file, "utf8"));
  } catch (err) {
    if (!(err instanceof YAMLParseError)) throw err;
    const at = err.linePos?.[0];
    const first = err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw new ConfigError([`${file}${at ? `:${at.line}:${at.col}` : ""}: YAML syntax error: ${first}`]);
  }
}

/** The project name from Pulumi.yaml. */
export function projectName(root = ROOT): string {
  const doc = readYaml(join(root, "Pulumi.yaml")) as { name: string };
  return doc.name;
}

/** A stable placeholder for a `secure:` value: a plan never sees the real secret. */
export function placeholder(key: string): string {
  return `placeholder-${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
}

export function stackConfigFromObject(stack: string, project: string, values: Record<string, unknown>): StackConfig {
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, value] of Object.entries(values ?? {})) {
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    if (value && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
      config[key] = placeholder(key);
      secretKeys.push(key);
    } else {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { stack, project, config, secretKeys };
}

export function readStackConfig(stack: string, root = ROOT): StackConfig {
  const known = stacks(root);
  if (!STACK_NAME.test(stack)) {
    throw new ConfigError([`--stack ${JSON.stringify(stack)}: not a stack name (letters, digits, "-", "_", "."); stacks here: ${known.join(", ") || "none"}`]);
  }
  const file = stackFile(stack, root);
  if (!existsSync(file)) throw new ConfigError([`--stack ${stack}: no such stack (${file} does not exist); stacks here: ${known.join(", ") || "none"}`]);
  const doc = (readYaml(file) ?? {}) as { config?: Record<string, unknown> };
  return stackConfigFromObject(stack, projectName(root), doc.config ?? {});
}
