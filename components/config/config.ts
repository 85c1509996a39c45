/**
 * The one module that reads `pulumi.Config`. It reads every key of this project once, validates
 * them (configSchema.ts) and returns one frozen object; secrets stay Outputs. Any mistake throws a
 * ConfigError before a single resource is registered.
 */
import { readFileSync } from "fs";
import { resolve } from "path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, PROJECT, Settings, parseSettings, settingsSchema } from "./configSchema";

/** Keys set with `pulumi config set --secret`. */
export const SECRET_KEYS = ["adminPassword", "temporalApiKey"] as const;

export interface PlatformSecretsConfig {
  /** Password of the admin login the PostgreSQL provider uses. */
  readonly adminPassword: pulumi.Output<string>;
  /** Temporal Cloud API key for the workers. */
  readonly temporalApiKey: pulumi.Output<string>;
}

export interface PlatformConfig extends Settings {
  readonly secrets: Settings["secrets"];
  readonly credentials: PlatformSecretsConfig;
  /** The CA certificate at `sslRootCert`, absolute path and PEM text (not secret), when set. */
  readonly sslRootCertificate?: { readonly path: string; readonly pem: string };
}

/** Reads the CA file `supabase.sslRootCert` names (relative to the project directory, where Pulumi runs the program). */
function readCertificate(path: string, problems: string[]): { path: string; pem: string } | undefined {
  const absolute = resolve(path);
  let pem: string;
  try {
    pem = readFileSync(absolute, "utf8");
  } catch (err) {
    problems.push(`${PROJECT}:supabase.sslRootCert: got ${JSON.stringify(path)}; cannot read ${absolute} (${(err as NodeJS.ErrnoException).code ?? String(err)}): give the path of the project's CA certificate (PEM), relative to the project directory`);
    return undefined;
  }
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(pem)) {
    problems.push(`${PROJECT}:supabase.sslRootCert: got ${JSON.stringify(path)}; ${absolute} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    return undefined;
  }
  return { path: absolute, pem: pem.trim() + "\n" };
}

/**
 * `isConfigSecret` is exported by the SDK's runtime but missing from its type declarations; it is
 * what tells a `--secret` value from a plain one. Where an SDK lacks it, nothing is flagged.
 */
const isConfigSecret: (key: string) => boolean =
  (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret ?? (() => true);

/** Namespaces of the providers the program uses: a default provider would read them, ours do not. */
const PROVIDER_NAMESPACES = ["aws", "kubernetes", "postgresql", "random"];

const KNOWN_KEYS = new Set<string>([...Object.keys(settingsSchema.shape), ...SECRET_KEYS]);

function readValue(text: string): unknown {
  // Pulumi hands every value over as a string; structured and typed values arrive as JSON
  // (`pulumi config set --path`, or YAML objects, numbers and booleans in Pulumi.<stack>.yaml).
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Reads and validates this stack's configuration. */
export function loadConfig(): PlatformConfig {
  const cfg = new pulumi.Config(PROJECT);
  const problems: string[] = [];

  const prefix = `${PROJECT}:`;
  const unknown = Object.keys(pulumi.runtime.allConfig())
    .filter((k) => k.startsWith(prefix) && !KNOWN_KEYS.has(k.slice(prefix.length)))
    .sort();
  for (const k of unknown) {
    problems.push(`${k}: unknown config key; known keys: ${[...KNOWN_KEYS].sort().join(", ")}`);
  }
  // A key in another namespace is never read: a typo there (volteryde-infr:protect) would
  // silently leave prod unprotected. The providers' own namespaces can be set on purpose, for
  // a default provider, so they only warn: every provider here is explicit and reads our keys.
  for (const k of Object.keys(pulumi.runtime.allConfig()).sort()) {
    const namespace = k.slice(0, k.indexOf(":"));
    const key = k.slice(k.indexOf(":") + 1);
    if (namespace === PROJECT || namespace === "pulumi") continue;
    if (PROVIDER_NAMESPACES.includes(namespace)) {
      void pulumi.log.warn(`${k} is not read: this program configures its ${namespace} provider explicitly, from ${PROJECT} keys (see "Configuration reference" in README.md)`);
    } else {
      const hint = KNOWN_KEYS.has(key.split(".")[0]) ? `did you mean ${prefix}${key}? ` : "";
      problems.push(`${k}: unknown config namespace "${namespace}"; ${hint}this program reads only ${prefix}<key> (and ignores the providers' ${PROVIDER_NAMESPACES.join(", ")})`);
    }
  }

  for (const key of SECRET_KEYS) {
    const value = cfg.get(key);
    if (value === undefined || value === "") {
      problems.push(`${prefix}${key}: missing; set it with \`pulumi config set --secret ${key} <value>\``);
    } else if (!isConfigSecret(`${prefix}${key}`)) {
      problems.push(`${prefix}${key}: stored in plain text; set it again with \`pulumi config set --secret ${key} <value>\``);
    }
  }

  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(settingsSchema.shape)) {
    const text = cfg.get(key);
    if (text !== undefined) raw[key] = readValue(text);
  }
  // Strings that look like numbers must stay strings where the schema wants a string.
  for (const key of ["adminUsername", "awsRegion", "nodeEnv", "secretsDelivery"]) {
    const text = cfg.get(key);
    if (text !== undefined) raw[key] = text;
  }

  let settings: Settings | undefined;
  try {
    settings = parseSettings(pulumi.getStack(), raw);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  const certificate = settings?.sslRootCert ? readCertificate(settings.sslRootCert, problems) : undefined;
  if (problems.length || !settings) throw new ConfigError(problems);

  return Object.freeze({
    ...settings,
    ...(certificate ? { sslRootCertificate: Object.freeze(certificate) } : {}),
    credentials: Object.freeze({
      adminPassword: cfg.requireSecret("adminPassword"),
      temporalApiKey: cfg.requireSecret("temporalApiKey"),
    }),
  });
}
