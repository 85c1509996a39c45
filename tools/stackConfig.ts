/**
 * Reads a stack's config the way the Pulumi CLI hands it to the program: Pulumi.<stack>.yaml's
 * `config:` (objects become JSON strings), with `secure:` values replaced by placeholders and
 * reported as secret keys. Keys that Pulumi.yaml declares `secret: true` and the stack file does
 * not set (the committed stack files keep no ciphertext: the CLI asks for them) get placeholders
 * too, so no credentials are needed to plan.
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

/**
 * Parsed YAML by file text. The file is read on every call, so an edited file is parsed again;
 * the same text is parsed once (a test run reads the two stack files thousands of times, and
 * parsing cost more than a small capture). Callers get a copy: a stack file is JSON-shaped.
 */
const parsedYaml = new Map<string, string>();
const PARSED_YAML_KEEP = 32;

/** Parses a YAML file; a syntax error becomes a ConfigError naming the file, line and column. */
function readYaml(file: string): unknown {
  const text = readFileSync(file, "utf8");
  const known = parsedYaml.get(text);
  if (known !== undefined) return JSON.parse(known);
  try {
    const value: unknown = YAML.parse(text);
    if (parsedYaml.size >= PARSED_YAML_KEEP) parsedYaml.delete(parsedYaml.keys().next().value!);
    parsedYaml.set(text, JSON.stringify(value) ?? "null");
    return value;
  } catch (err) {
    if (!(err instanceof YAMLParseError)) throw err;
    const at = err.linePos?.[0];
    const first = err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw new ConfigError([`${file}${at ? `:${at.line}:${at.col}` : ""}: YAML syntax error: ${first}`]);
  }
}

/**
 * A stable placeholder for a `secure:` value: a plan never sees the real secret. It follows the
 * ciphertext, so a new secret (a new Temporal API key) is a new placeholder in the change preview.
 */
export function placeholder(key: string, ciphertext: unknown = ""): string {
  return `placeholder-${createHash("sha256").update(`${key}\n${String(ciphertext)}`).digest("hex").slice(0, 16)}`;
}

export function stackConfigFromObject(stack: string, project: string, values: Record<string, unknown>): StackConfig {
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, value] of Object.entries(values ?? {})) {
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    if (value && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
      config[key] = placeholder(key, (value as { secure: unknown }).secure);
      secretKeys.push(key);
    } else {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { stack, project, config, secretKeys };
}

/** One `config:` entry of Pulumi.yaml (the CLI's project-level config declaration). */
export interface DeclaredKey {
  readonly type?: string;
  readonly description?: string;
  readonly secret?: boolean;
  readonly default?: unknown;
}

/** Pulumi.yaml, as far as config is concerned: the project name and its declared keys (full `project:key`). */
export function readProject(root = ROOT): { readonly name: string; readonly config: Readonly<Record<string, DeclaredKey>> } {
  const doc = readYaml(join(root, "Pulumi.yaml")) as { name: string; config?: Record<string, DeclaredKey> };
  const config: Record<string, DeclaredKey> = {};
  for (const [key, decl] of Object.entries(doc.config ?? {})) config[key.includes(":") ? key : `${doc.name}:${key}`] = decl ?? {};
  return { name: doc.name, config };
}

/** The stack file's `config:` as written (secure values as `{secure: ...}`); a YAML error names the file. */
export function readStackFile(file: string): Record<string, unknown> {
  const doc = (readYaml(file) ?? {}) as { config?: Record<string, unknown> };
  return doc.config ?? {};
}

/**
 * The config a stack runs with, from a stack file (`file`, default Pulumi.<stack>.yaml): secret
 * keys that Pulumi.yaml declares and the file leaves unset get placeholders, as if set with
 * `pulumi config set --secret`.
 */
export function readStackConfig(stack: string, root = ROOT, file?: string): StackConfig {
  const known = stacks(root);
  if (!STACK_NAME.test(stack)) {
    throw new ConfigError([`--stack ${JSON.stringify(stack)}: not a stack name (letters, digits, "-", "_", "."); stacks here: ${known.join(", ") || "none"}`]);
  }
  const path = file ?? stackFile(stack, root);
  if (!existsSync(path)) {
    throw new ConfigError([file ? `--base ${file}: no such file` : `--stack ${stack}: no such stack (${path} does not exist); stacks here: ${known.join(", ") || "none"}`]);
  }
  const project = readProject(root);
  const values = { ...readStackFile(path) };
  const present = new Set(Object.keys(values).map((k) => (k.includes(":") ? k : `${project.name}:${k}`)));
  for (const [key, decl] of Object.entries(project.config)) {
    if (decl.secret && !present.has(key)) values[key] = { secure: "offline-placeholder" };
  }
  return stackConfigFromObject(stack, project.name, values);
}
