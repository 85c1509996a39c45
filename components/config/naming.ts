/**
 * Names are a public contract: roles, AWS secrets and Kubernetes objects are looked up by them,
 * and a change renames (replaces) a resource. One place derives them all from the catalogue.
 */
import { createHash } from "crypto";
import { ServiceDefinition } from "./catalogue";
import { Endpoint } from "./configSchema";

/** The two alternating runtime login users; see README "Rotation". */
export const RUNTIME_USERS = ["blue", "green"] as const;
export type RuntimeUser = (typeof RUNTIME_USERS)[number];

export interface RoleNames {
  /** NOLOGIN; owns the schema and every object in it. */
  readonly owner: string;
  /** LOGIN; member of owner, switches to it at login. */
  readonly migrator: string;
  /** NOLOGIN; the runtime privileges. */
  readonly app: string;
  /** LOGIN users that inherit `app`, one per rotation slot. */
  readonly users: Readonly<Record<RuntimeUser, string>>;
  /** NOLOGIN; SELECT only (when enabled). */
  readonly readonly: string;
}

export function roleNames(service: ServiceDefinition): RoleNames {
  const s = service.schema;
  return Object.freeze({
    owner: `${s}_owner`,
    migrator: `${s}_migrator`,
    app: `${s}_app`,
    users: Object.freeze({ blue: `${s}_app_blue`, green: `${s}_app_green` }),
    readonly: `${s}_readonly`,
  });
}

/**
 * The user name to present to an endpoint. Supabase's shared pooler (Supavisor, on both ports)
 * routes by tenant and wants `<role>.<project-ref>`; the direct host wants the plain role name.
 */
export function loginName(role: string, endpoint: Endpoint, projectRef: string): string {
  return endpoint.kind === "direct" ? role : `${role}.${projectRef}`;
}

export type CredentialKind = "app" | "migrator";

/** AWS Secrets Manager name of a service's credentials: `volteryde/<stack>/<service>/<kind>`. */
export function awsSecretName(stack: string, serviceKey: string, kind: CredentialKind): string {
  return `volteryde/${stack}/${serviceKey}/${kind}`;
}

/** AWS Secrets Manager name of a platform-wide secret, e.g. `volteryde/prod/platform/jwt-secret`. */
export function platformSecretName(stack: string, name: string): string {
  return `volteryde/${stack}/platform/${name}`;
}

/** Kubernetes Secret that a service's pods (or its migration Job) read. Same name in both delivery modes. */
export function kubernetesSecretName(serviceKey: string, kind: CredentialKind): string {
  return kind === "app" ? `${serviceKey}-database` : `${serviceKey}-database-migrator`;
}

/**
 * Kubernetes Secret of a platform-wide secret, e.g. `volteryde-jwt-secret`: one Secret per value,
 * so a pod is given exactly the shared secrets it needs. Same name in both delivery modes.
 */
export function platformKubernetesSecretName(name: string): string {
  return `volteryde-${name}`;
}

/** The guide's ConfigMap name. */
export const CONFIG_MAP_NAME = "volteryde-config";

/**
 * The migration Job of a service for an image tag, e.g. `booking-migrate-v1-14-2`: a new tag is a
 * new Job, so a new version runs its migrations again. A DNS-1123 label of at most 63 characters
 * (the Job controller copies it into a pod label); when the tag had to be changed to fit (case,
 * `.`/`_`, length), a hash of the real tag keeps distinct tags distinct.
 */
export function migrationJobName(serviceKey: string, tag: string): string {
  const prefix = `${serviceKey}-migrate-`;
  const cleaned = tag.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  if (cleaned === tag && cleaned.length <= 63 - prefix.length && !cleaned.endsWith("-")) return `${prefix}${cleaned}`;
  const hash = createHash("sha256").update(tag).digest("hex").slice(0, 8);
  const body = cleaned.slice(0, 63 - prefix.length - hash.length - 1).replace(/-+$/, "");
  return `${prefix}${body ? `${body}-` : ""}${hash}`;
}
