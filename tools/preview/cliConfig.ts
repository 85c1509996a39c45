/**
 * The Pulumi CLI's rules for Pulumi.yaml's `config:` against a stack file, as `pulumi preview`
 * and `pulumi up` apply them before the program runs (pulumi/pulumi v3.248.0,
 * sdk/go/common/workspace/config.go `validateStackConfigAndApplyProjectConfig`, and project.go):
 *
 *   required  a key of the project's namespace with no `default` (and no `value`) must be set in
 *             the stack, typed or not: "Stack 'dev' is missing configuration value 'x'"
 *             (config.go: `if !foundOnStack && !hasValue && !hasDefault && key.Namespace() == projectName`)
 *   secret    a key declared with a `type` and `secret: true` must be stored `secure:`:
 *             "Stack 'dev' with configuration key 'x' must be encrypted as it's secret"
 *   type      a typed key's value must be of its type (string, integer, boolean, array, object):
 *             "Stack 'dev' with configuration key 'x' must be of type 'boolean'"
 *   decrypt   every `secure:` value is decrypted before validation, so one value that is not a
 *             ciphertext fails the whole preview (crypt.go: a passphrase ciphertext is
 *             `v1:<nonce>:<ciphertext>`, "bad value" otherwise; the service's is plain base64)
 *
 * A declared secret that a stack file leaves unset is the CLI asking for it (required): that is
 * how the committed stacks are meant to be until `pulumi config set --secret`; it is reported as
 * a step to take, not as a fault of the file.
 */
import { DeclaredKey, readProject, readStackFile, stackFile } from "../stackConfig";

export interface ConfigFinding {
  readonly level: "error" | "todo";
  readonly key: string;
  readonly message: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Whether a `secure:` value has the shape of a ciphertext of the passphrase, service or cloud secrets providers. */
export function looksLikeCiphertext(value: unknown): boolean {
  if (typeof value !== "string" || value.length < 16) return false;
  const parts = value.split(":");
  if (parts.length === 3 && parts[0] === "v1") return BASE64.test(parts[1]) && BASE64.test(parts[2]);
  return parts.length === 1 && BASE64.test(value);
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** Whether the CLI accepts `value` for a key declared of `type` (project.go ValidateConfigValue). */
function ofType(type: string, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return typeOf(value) === "integer" || (typeof value === "string" && /^-?[0-9]+$/.test(value));
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false";
    case "array":
      return Array.isArray(value);
    case "object":
      return typeOf(value) === "object";
    default:
      return false;
  }
}

const isSecure = (v: unknown): v is { secure: unknown } => typeof v === "object" && v !== null && !Array.isArray(v) && "secure" in v;

/** What the CLI would say of `stack`'s file (`file`, default Pulumi.<stack>.yaml) against Pulumi.yaml in `root`. */
export function checkStackConfig(stack: string, root: string, file = stackFile(stack, root)): ConfigFinding[] {
  const project = readProject(root);
  const values = Object.fromEntries(Object.entries(readStackFile(file)).map(([k, v]) => [k.includes(":") ? k : `${project.name}:${k}`, v]));
  const findings: ConfigFinding[] = [];
  const declared = Object.entries(project.config) as [string, DeclaredKey][];
  for (const [key, decl] of declared) {
    const inProject = key.startsWith(`${project.name}:`);
    if (!(key in values)) {
      if (!inProject || decl.default !== undefined) continue;
      findings.push(
        decl.secret
          ? { level: "todo", key, message: `Stack '${stack}' is missing configuration value '${key}': set it with \`pulumi config set --secret ${key.split(":")[1]} <value>\`` }
          : { level: "error", key, message: `Stack '${stack}' is missing configuration value '${key}': Pulumi.yaml declares it without a default, so every stack file must set it` },
      );
      continue;
    }
    const value = values[key];
    if (decl.type && decl.secret && !isSecure(value)) {
      findings.push({ level: "error", key, message: `Stack '${stack}' with configuration key '${key}' must be encrypted as it's secret` });
    }
    if (decl.type && !isSecure(value) && !ofType(decl.type, value)) {
      findings.push({ level: "error", key, message: `Stack '${stack}' with configuration key '${key}' must be of type '${decl.type}' (got ${typeOf(value)})` });
    }
  }
  for (const [key, value] of Object.entries(values)) {
    if (isSecure(value) && !looksLikeCiphertext(value.secure)) {
      findings.push({
        level: "error",
        key,
        message: `${key}: the secure value ${JSON.stringify(String(value.secure).slice(0, 24))} is not a ciphertext, and the CLI decrypts every secret before it runs: remove it and set the value with \`pulumi config set --secret\``,
      });
    }
  }
  return findings;
}
