/**
 * Reads a stack's config the way the Pulumi CLI hands it to the program: Pulumi.<stack>.yaml's
 * `config:` (objects become JSON strings), with `secure:` values replaced by placeholders and
 * reported as secret keys. No credentials are needed to plan.
 */
import { createHash } from "crypto";
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import YAML from "yaml";

export interface StackConfig {
  readonly stack: string;
  readonly project: string;
  readonly config: Record<string, string>;
  readonly secretKeys: string[];
}

export const ROOT = join(__dirname, "..");

export function stackFile(stack: string, root = ROOT): string {
  return join(root, `Pulumi.${stack}.yaml`);
}

/** The project name from Pulumi.yaml. */
export function projectName(root = ROOT): string {
  const doc = YAML.parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as { name: string };
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
  const file = stackFile(stack, root);
  if (!existsSync(file)) throw new Error(`no stack "${stack}": ${file} does not exist`);
  const doc = (YAML.parse(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  return stackConfigFromObject(stack, projectName(root), doc.config ?? {});
}
