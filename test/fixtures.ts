/**
 * Shared by the tests that capture whole stacks (credentials, workloads): the stack x delivery-mode matrix, the expected
 * settings (parsed from the same stack files the program reads), and readers of the capture.
 */
import { PROJECT, Settings, parseSettings } from "../components/config/configSchema";
import { isDeepStrictEqual } from "util";
import { Capture, CapturedResource, SecretValue, plainStrings, reveal } from "../tools/capture";
import { captureStack } from "../tools/run";
import { readStackConfig } from "../tools/stackConfig";

export const RANDOM = "random:index/randomPassword:RandomPassword";
export const AWS_SECRET = "aws:secretsmanager/secret:Secret";
export const AWS_VERSION = "aws:secretsmanager/secretVersion:SecretVersion";
export const K8S_SECRET = "kubernetes:core/v1:Secret";
export const EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret";
export const SECRET_STORE = "kubernetes:external-secrets.io/v1:SecretStore";
export const ROLE = "postgresql:index/role:Role";

/** An IRSA OIDC provider for dev, which has none configured (dev defaults to kubernetes delivery). */
export const DEV_OIDC_PROVIDER = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.sa-east-1.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9";

export interface Case {
  readonly stack: "dev" | "prod";
  readonly mode: "kubernetes" | "external-secrets";
  readonly overrides: Record<string, unknown>;
}

/** Both stacks in both delivery modes: each stack's own mode, and the other one by override. */
export const CASES: readonly Case[] = [
  { stack: "dev", mode: "kubernetes", overrides: {} },
  { stack: "dev", mode: "external-secrets", overrides: { secretsDelivery: "external-secrets", externalSecrets: { oidcProviderArn: DEV_OIDC_PROVIDER } } },
  { stack: "prod", mode: "external-secrets", overrides: {} },
  { stack: "prod", mode: "kubernetes", overrides: { secretsDelivery: "kubernetes" } },
];

export const label = (c: Case) => `${c.stack}/${c.mode}`;

/** The stack's config as the program sees it, overrides applied (secrets left out). */
export function rawConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { config } = readStackConfig(stack);
  const raw: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(config)) {
    const short = key.slice(PROJECT.length + 1);
    if (short === "adminPassword" || short === "temporalApiKey") continue;
    try {
      raw[short] = JSON.parse(text);
    } catch {
      raw[short] = text;
    }
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete raw[k];
    else raw[k] = v;
  }
  return raw;
}

/** Expected settings: the validated config, computed independently of the capture. */
export function settingsOf(stack: string, overrides: Record<string, unknown> = {}): Settings {
  return parseSettings(stack, rawConfig(stack, overrides));
}

/** The stack's `supabase` object with some fields changed (config overrides replace whole keys). */
export function supabaseWith(stack: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { ...(rawConfig(stack).supabase as Record<string, unknown>), ...fields };
}

export async function captureCase(c: Case, extra: Record<string, unknown> = {}): Promise<Capture> {
  return captureWith(c.stack, { ...c.overrides, ...extra });
}

export function find(c: Capture, type: string, name: string): CapturedResource {
  const found = c.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
}

export function component(c: Capture, type: string, name: string): CapturedResource {
  return find(c, `volteryde:credentials:${type}`, name);
}

export function childrenOf(c: Capture, parent: CapturedResource): CapturedResource[] {
  return c.resources.filter((r) => r.parent === parent.urn);
}

/** `type name` of a component's children, sorted: the component's contract. */
export function childList(c: Capture, parent: CapturedResource): string[] {
  return childrenOf(c, parent)
    .map((r) => `${r.type} ${r.name}`)
    .sort();
}

export function providerUrn(c: Capture, pkg: string): string {
  return c.resources.find((r) => r.type === `pulumi:providers:${pkg}`)!.urn;
}

/** A RandomPassword's result (it must be secret). */
export function passwordOf(c: Capture, name: string): string {
  const result = find(c, RANDOM, name).outputs.result;
  if (!(result instanceof SecretValue)) throw new Error(`${name}.result is not secret`);
  return String(reveal(result));
}

/** The parsed JSON value of a SecretVersion (it must be secret). */
export function secretJson(c: Capture, versionName: string): Record<string, unknown> {
  const s = find(c, AWS_VERSION, versionName).inputs.secretString;
  if (!(s instanceof SecretValue)) throw new Error(`${versionName}.secretString is not secret`);
  return JSON.parse(String(reveal(s))) as Record<string, unknown>;
}

/** Revealed inputs of a resource. */
export const plain = (r: CapturedResource) => reveal(r.inputs) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// ---------------------------------------------------------------------------------------------
// Added for the credentials tests (test/components/credentials/*.test.ts)

const captures = new Map<string, Promise<Capture>>();

/**
 * `captureStack` with config overrides, run once per test file for each stack and overrides:
 * the program is deterministic under the mocks, and the tests only read captures.
 */
export function captureWith(stack: string, overrides: Record<string, unknown> = {}): Promise<Capture> {
  // An override set to undefined removes the key: it must not look like no override at all.
  const key = JSON.stringify([stack, overrides], (_, v: unknown) => (v === undefined ? "[undefined]" : v));
  let found = captures.get(key);
  if (!found) captures.set(key, (found = captureStack(stack, { overrides })));
  return found;
}

export type RuntimeSlot = "blue" | "green";
export const otherUser = (u: RuntimeSlot): RuntimeSlot => (u === "blue" ? "green" : "blue");

/** The stack's `rotation` object with some fields changed (overrides replace whole keys). */
export function rotationWith(stack: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { ...((rawConfig(stack).rotation as Record<string, unknown>) ?? {}), ...fields };
}

/** The stack's `services` object with one service's `rotation` override changed. */
export function serviceRotationWith(stack: string, key: string, fields: Record<string, unknown>): Record<string, unknown> {
  const services = { ...((rawConfig(stack).services as Record<string, Record<string, unknown>>) ?? {}) };
  const current = services[key] ?? {};
  services[key] = { ...current, rotation: { ...((current.rotation as Record<string, unknown>) ?? {}), ...fields } };
  return services;
}

/** Resources of a type, keyed by `metadata.name` (Kubernetes objects). */
export function byMetadataName(c: Capture, type: string): Map<string, CapturedResource> {
  return new Map(c.resources.filter((r) => r.type === type).map((r) => [String(plain(r).metadata.name), r]));
}

/** The version id (as the mock AWS provider returned it) of the Secrets Manager secret an ExternalSecret reads. */
export function awsVersionOf(c: Capture, external: CapturedResource): string {
  const awsName = (plain(external).spec.data as { remoteRef: { key: string } }[])[0].remoteRef.key;
  const secret = c.resources.find((x) => x.type === AWS_SECRET && plain(x).name === awsName)!;
  const version = c.resources.find((x) => x.type === AWS_VERSION && x.inputs.secretId === secret.outputs.arn)!;
  return String(version.outputs.versionId);
}

/**
 * The base name of a Secret a pod refers to: for one an ExternalSecret writes, its name less the
 * `-<first 8 characters of the AWS version id>` it must carry; any other name as it is.
 */
export function deliveredBaseName(c: Capture, name: string): string {
  const external = byMetadataName(c, EXTERNAL_SECRET).get(name);
  if (!external) return name;
  const suffix = `-${awsVersionOf(c, external).slice(0, 8)}`;
  return name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
}

/**
 * Delivered Secrets (v1 Secrets, or the ExternalSecrets that write them) keyed by the Secret's
 * base name. An ExternalSecret's metadata.name must be `<base>-<first 8 characters of the AWS
 * version id it reads>`; one that is not stays under its full name, so name checks fail.
 */
export function byDeliveredName(c: Capture, type: string): Map<string, CapturedResource> {
  return new Map(
    [...byMetadataName(c, type)].map(([n, r]) => [type === EXTERNAL_SECRET ? deliveredBaseName(c, n) : n, r]),
  );
}

/**
 * Every secret value a capture may hold, by label: each RandomPassword's result and each
 * `secure:` config value (its placeholder) of the stack.
 */
export function knownSecrets(c: Capture): Map<string, string> {
  const values = new Map<string, string>();
  for (const r of c.resources.filter((x) => x.type === RANDOM)) values.set(`RandomPassword ${r.name}`, passwordOf(c, r.name));
  const { config, secretKeys } = readStackConfig(c.stack);
  for (const key of secretKeys) values.set(`config ${key}`, config[key]);
  return values;
}

/** Where any of `secrets` appears in `value` outside a SecretValue (substring match: URLs, JSON). */
export function leaksIn(value: unknown, secrets: ReadonlyMap<string, string>, where = ""): string[] {
  const found: string[] = [];
  for (const s of plainStrings(value, where)) {
    for (const [label, secret] of secrets) if (s.value.includes(secret)) found.push(`${s.path}: ${label}`);
  }
  return found;
}

/** Labels of the secrets in `secrets` that appear anywhere in `value` (revealed), secret or not. */
export function secretsIn(value: unknown, secrets: ReadonlyMap<string, string>): string[] {
  const strings = plainStrings(reveal(value)).map((s) => s.value);
  return [...secrets].filter(([, secret]) => strings.some((s) => s.includes(secret))).map(([label]) => label).sort();
}

/**
 * `type name` of the custom resources whose revealed inputs or outputs differ between two
 * captures of the same program (added or removed ones too), among those `include` accepts.
 */
export function changedResources(a: Capture, b: Capture, include: (r: CapturedResource) => boolean = () => true): string[] {
  const index = (c: Capture) =>
    new Map(c.resources.filter((r) => r.custom && include(r)).map((r) => [`${r.type} ${r.name}`, reveal({ inputs: r.inputs, outputs: r.outputs })]));
  const before = index(a);
  const after = index(b);
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => !isDeepStrictEqual(before.get(k), after.get(k))).sort();
}

/** The value the capture gives a `secure:` config key of the stack (its placeholder). */
export function configSecret(stack: string, key: string): string {
  const full = `${PROJECT}:${key}`;
  const { config, secretKeys } = readStackConfig(stack);
  if (!secretKeys.includes(full)) throw new Error(`${full} is not a secret key of ${stack}`);
  return config[full];
}

/** The type of a component (or resource) from its URN. */
export const typeOfUrn = (urn: string): string => urn.split("::")[2].split("$").pop()!;

/**
 * What the credentials own: resources under a credentials or database component. Workloads are
 * left out on purpose: their rollout on a rotation is asserted with the workloads.
 */
export const credentialsOrDatabase = (r: CapturedResource): boolean =>
  r.parent !== undefined && /^volteryde:(credentials|database):/.test(typeOfUrn(r.parent));
