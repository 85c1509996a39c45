/**
 * What volteryde-infra promises, as policies the engine checks on every `pulumi preview` and
 * `pulumi up` (`--policy-pack policy`). Resources are matched by type token, so the pack needs no
 * provider SDK. `index.ts` serves them; tests import this module, which starts nothing.
 *
 * Two policies depend on the environment, from the pack config (`--policy-pack-config`; the
 * workflows write it from the stack's validated config with `tools/policyConfig.ts`):
 * `environment` (default "prod": a run without config gets the strict rules) and `kmsKeyArn`.
 */
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";

export const TYPES = {
  role: "postgresql:index/role:Role",
  grant: "postgresql:index/grant:Grant",
  defaultPrivileges: "postgresql:index/defaultPrivileges:DefaultPrivileges",
  schema: "postgresql:index/schema:Schema",
  configMap: "kubernetes:core/v1:ConfigMap",
  secretsManagerSecret: "aws:secretsmanager/secret:Secret",
} as const;

/** Kubernetes types that run pods, and where their pod spec sits. */
const POD_SPEC_PATH: Readonly<Record<string, readonly string[]>> = {
  "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
  "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
  "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
  "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
  "kubernetes:core/v1:Pod": ["spec"],
};

/** Options as the capture records them: the engine's, plus retainOnDelete (see retainDataInProd). */
export type CapturedPolicyOptions = PolicyResourceOptions & { readonly retainOnDelete?: boolean };

/** Config of the environment-dependent policies. */
export interface EnvironmentConfig {
  /** Stack the pack runs for; the prod rules apply to "prod". @default "prod" */
  readonly environment?: string;
  /** The customer-managed key config gives secrets (`secrets.kmsKeyArn`), if any. */
  readonly kmsKeyArn?: string;
}

const environmentSchema = {
  properties: {
    environment: { type: "string" as const, default: "prod" },
    kmsKeyArn: { type: "string" as const },
  },
};

const MANDATORY: EnforcementLevel = "mandatory";
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Props = Record<string, any>;

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const isPublic = (role: unknown) => typeof role === "string" && role.toLowerCase() === "public";
const isProd = (config: EnvironmentConfig) => (config.environment ?? "prod") === "prod";

function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) v = v !== null && typeof v === "object" ? (v as Props)[key] : undefined;
  return v;
}

// ---------------------------------------------------------------------------------------------
// Pure checks, each returning the problems of one resource (tested one by one)

/** Role attributes that lift a role above its grants; none of the program's roles needs one. */
export const PRIVILEGED_ROLE_ATTRIBUTES = ["superuser", "createRole", "createDatabase", "replication", "bypassRowLevelSecurity"] as const;

export function privilegedRoleAttributes(props: Props): string[] {
  return PRIVILEGED_ROLE_ATTRIBUTES.filter((a) => props[a] === true);
}

/**
 * What a Grant or DefaultPrivileges gives PUBLIC beyond a revoke. The provider revokes the
 * grantee's privileges on the object type before it grants (cyrilgdn/terraform-provider-postgresql,
 * postgresql/resource_postgresql_grant.go, "Revoke all privileges before granting"), so an empty
 * list is a plain REVOKE. One grant is allowed: USAGE on schema `public`, which is what
 * PostgreSQL itself gives PUBLIC there since 15 (the default ACL then revoked only CREATE,
 * https://www.postgresql.org/message-id/attachment/119251/public-default-acl-v1.patch_no_cfbot):
 * the program's `no-create` mode declares it as "revoke everything, keep the default USAGE".
 */
export function publicGrantProblem(type: string, props: Props): string | undefined {
  if (!isPublic(props.role)) return undefined;
  const privileges = asArray(props.privileges).map((p) => String(p).toUpperCase());
  if (privileges.length === 0) return undefined;
  const defaultUsage = type === TYPES.grant && props.objectType === "schema" && props.schema === "public" && privileges.every((p) => p === "USAGE");
  if (defaultUsage) return undefined;
  const on = props.schema ? `${props.objectType} in schema ${props.schema}` : String(props.objectType);
  return `grants ${privileges.join(", ")} on ${on} to PUBLIC (every role, present and future); grant a role instead, or declare a revoke with privileges: []`;
}

/** `ALL` drifts with the server version (PostgreSQL 17 adds MAINTAIN to tables): list privileges. */
export function allPrivilegeProblem(props: Props): string | undefined {
  const all = asArray(props.privileges).filter((p) => /^ALL( PRIVILEGES)?$/i.test(String(p).trim()));
  return all.length ? `lists ${all.map(String).join(", ")}; name the privileges (ALL includes MAINTAIN on PostgreSQL 17 and whatever later versions add)` : undefined;
}

/** Key names that say "secret". */
export const SECRET_KEY = /pass(word|wd|phrase)?|secret|token|api[-_]?key|private[-_]?key|credential|access[-_]?key|\bpwd\b/i;

const SECRET_VALUES: readonly [string, RegExp][] = [
  ["a URL with a password", /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i],
  ["a private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ["an AWS access key id", /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ["a JSON web token", /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./],
  ["a GitHub token", /\bgh[pousr]_[A-Za-z0-9]{36,}\b/],
  ["a Slack token", /\bxox[abprs]-[A-Za-z0-9-]{10,}/],
];

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / s.length) * Math.log2(n / s.length);
  return bits;
}

/**
 * Why a ConfigMap value looks like a secret, or undefined. Besides known shapes: a run of 32 or
 * more token characters with letters and digits and more than 4.3 bits per character, which
 * generated passwords and keys have and words, host names and hex checksums (at most 4) do not.
 */
export function secretLikeValue(value: string): string | undefined {
  for (const [what, pattern] of SECRET_VALUES) if (pattern.test(value)) return what;
  for (const token of value.match(/[A-Za-z0-9+/=_-]{32,}/g) ?? []) {
    if (/[A-Za-z]/.test(token) && /[0-9]/.test(token) && entropy(token) > 4.3) return "a high-entropy string";
  }
  return undefined;
}

export function configMapProblems(props: Props): string[] {
  const problems: string[] = [];
  for (const field of ["data", "binaryData"]) {
    for (const [key, value] of Object.entries((props[field] ?? {}) as Props)) {
      if (SECRET_KEY.test(key)) problems.push(`${field}.${key}: the key names a secret; put it in a Secret`);
      const why = typeof value === "string" && field === "data" ? secretLikeValue(value) : undefined;
      if (why) problems.push(`${field}.${key}: the value looks like ${why}; put it in a Secret`);
    }
  }
  return problems;
}

/** The pod spec of a pod-running resource, or undefined for any other type. */
export function podSpecOf(type: string, props: Props): Props | undefined {
  const path = POD_SPEC_PATH[type];
  return path ? ((at(props, path) as Props | undefined) ?? {}) : undefined;
}

function containersOf(pod: Props): { kind: string; c: Props }[] {
  return [
    ...asArray(pod.initContainers).map((c) => ({ kind: "initContainer", c: c as Props })),
    ...asArray(pod.containers).map((c) => ({ kind: "container", c: c as Props })),
  ];
}

/**
 * The restricted Pod Security Standard's container rules this program promises, plus limits:
 * every container sets CPU and memory limits, runs as non-root (its own securityContext or the
 * pod's; never UID 0), has a read-only root filesystem and cannot escalate privileges.
 */
export function workloadProblems(pod: Props): string[] {
  const problems: string[] = [];
  const podContext = (pod.securityContext ?? {}) as Props;
  for (const { kind, c } of containersOf(pod)) {
    const ctx = (c.securityContext ?? {}) as Props;
    const where = `${kind} ${String(c.name)}`;
    const limits = (at(c, ["resources", "limits"]) ?? {}) as Props;
    const missing = ["cpu", "memory"].filter((r) => limits[r] === undefined || limits[r] === "");
    if (missing.length) problems.push(`${where}: no ${missing.join(" or ")} limit`);
    if ((ctx.runAsNonRoot ?? podContext.runAsNonRoot) !== true) problems.push(`${where}: runAsNonRoot is not true`);
    if ((ctx.runAsUser ?? podContext.runAsUser) === 0) problems.push(`${where}: runs as UID 0`);
    if (ctx.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem is not true`);
    if (ctx.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
    if (ctx.privileged === true) problems.push(`${where}: privileged`);
  }
  return problems;
}

/** Why an image reference would run whatever `latest` is at pull time, or undefined. */
export function mutableImageProblem(image: string): string | undefined {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return undefined;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.lastIndexOf(":");
  if (colon < 0) return `image ${image} has no tag, so it is latest`;
  if (lastSegment.slice(colon + 1) === "latest") return `image ${image} is tagged latest`;
  return undefined;
}

export function imageProblems(pod: Props): string[] {
  return containersOf(pod).flatMap(({ kind, c }) => {
    const problem = mutableImageProblem(String(c.image ?? ""));
    return problem ? [`${kind} ${String(c.name)}: ${problem}; use a release tag or a digest`] : [];
  });
}

/** A prod secret must survive a mistaken delete and use the stack's customer-managed key. */
export function prodSecretProblems(props: Props, config: EnvironmentConfig): string[] {
  if (!isProd(config)) return [];
  const problems: string[] = [];
  // AWS's default window is 30 days when the input is unset.
  const window = props.recoveryWindowInDays ?? 30;
  if (typeof window !== "number" || window < 7) problems.push(`recoveryWindowInDays is ${String(window)}; prod keeps a deleted secret at least 7 days`);
  if (config.kmsKeyArn && props.kmsKeyId !== config.kmsKeyArn) {
    problems.push(`kmsKeyId is ${props.kmsKeyId === undefined ? "unset (the AWS managed key)" : String(props.kmsKeyId)}; config gives ${config.kmsKeyArn}`);
  }
  return problems;
}

/**
 * What holds data in a stack: schemas (dropping one drops its tables), the roles that own them
 * (dropping an owner reassigns or drops what it owns) and Secrets Manager secrets. Owners are
 * found through the Schema's `owner` input: the Role it depends on, or the Role of that name.
 */
export function dataBearing(resources: readonly PolicyResource[]): { resource: PolicyResource; what: string }[] {
  const schemas = resources.filter((r) => r.type === TYPES.schema);
  const ownerUrns = new Set(schemas.flatMap((s) => (s.propertyDependencies?.owner ?? []).map((d) => d.urn)));
  const ownerNames = new Set(schemas.map((s) => s.props.owner).filter((o): o is string => typeof o === "string"));
  return [
    ...schemas.map((resource) => ({ resource, what: "schema" })),
    ...resources
      .filter((r) => r.type === TYPES.role && (ownerUrns.has(r.urn) || ownerNames.has(r.props.name)))
      .map((resource) => ({ resource, what: "schema owner role" })),
    ...resources.filter((r) => r.type === TYPES.secretsManagerSecret).map((resource) => ({ resource, what: "Secrets Manager secret" })),
  ];
}

// ---------------------------------------------------------------------------------------------
// The policies

/** A mandatory policy that reports each problem `problems` finds on a resource. */
function resourcePolicy(
  name: string,
  description: string,
  problems: (args: ResourceValidationArgs) => readonly (string | undefined)[],
  configSchema?: PolicyConfigSchema,
): ResourceValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: MANDATORY,
    ...(configSchema ? { configSchema } : {}),
    validateResource: (args, report) => problems(args).forEach((p) => p && report(p)),
  };
}

const grantLike = (type: string) => type === TYPES.grant || type === TYPES.defaultPrivileges;

export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  resourcePolicy("postgresql-no-privileged-roles", "No PostgreSQL role is SUPERUSER, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS.", ({ type, props }) => {
    const attributes = type === TYPES.role ? privilegedRoleAttributes(props) : [];
    return attributes.length ? [`role ${String(props.name)} sets ${attributes.join(", ")}; login and owner roles need none of them`] : [];
  }),
  resourcePolicy(
    "postgresql-no-grants-to-public",
    "Nothing is granted to PUBLIC; grants to PUBLIC only revoke (privileges: []), or keep PostgreSQL's default USAGE on schema public.",
    ({ type, props }) => (grantLike(type) ? [publicGrantProblem(type, props)] : []),
  ),
  resourcePolicy(
    "postgresql-grants-delete-before-replace",
    "Grants and DefaultPrivileges are replaced delete-first: the provider's delete revokes everything the role has on the object type, so deleting the old one after creating its replacement would revoke what the new one granted.",
    ({ type, name, opts }) =>
      grantLike(type) && opts.deleteBeforeReplace !== true
        ? [`${name} has no deleteBeforeReplace: a replacement (any change to role, schema, object type) would end with the role's privileges revoked`]
        : [],
  ),
  resourcePolicy("postgresql-no-all-privileges", "Grants and DefaultPrivileges list their privileges; none says ALL.", ({ type, props }) =>
    grantLike(type) ? [allPrivilegeProblem(props)] : [],
  ),
  resourcePolicy(
    "kubernetes-configmap-no-secrets",
    "No ConfigMap key or value looks like a secret (ConfigMaps are readable by anyone who can read the namespace and are never encrypted).",
    ({ type, props }) => (type === TYPES.configMap ? configMapProblems(props) : []),
  ),
  resourcePolicy(
    "kubernetes-workload-hardening",
    "Every container of a Deployment, Job (or other pod-running object) has CPU and memory limits, runs as non-root, has a read-only root filesystem and no privilege escalation.",
    ({ type, props }) => workloadProblems(podSpecOf(type, props) ?? {}),
  ),
  resourcePolicy(
    "kubernetes-no-latest-image",
    "No container image is tagged latest or untagged: a rollout must run the release it names.",
    ({ type, props }) => imageProblems(podSpecOf(type, props) ?? {}),
  ),
  resourcePolicy(
    "secretsmanager-prod-recovery-and-kms",
    "In prod, Secrets Manager secrets keep a recovery window of at least 7 days and use the KMS key config gives.",
    (args) => (args.type === TYPES.secretsManagerSecret ? prodSecretProblems(args.props, args.getConfig<EnvironmentConfig>()) : []),
    environmentSchema,
  ),
  {
    name: "retain-data-in-prod",
    description: "In prod, schemas, their owner roles and Secrets Manager secrets are retainOnDelete: destroying the stack or disabling a service never drops data.",
    enforcementLevel: MANDATORY,
    configSchema: environmentSchema,
    validateStack: (args, report) => {
      if (!isProd(args.getConfig<EnvironmentConfig>())) return;
      const data = dataBearing(args.resources);
      const retain = (r: PolicyResource) => (r.opts as CapturedPolicyOptions).retainOnDelete;
      // The engine does not send retainOnDelete to policy packs: AnalyzerResourceOptions carries
      // protect, ignoreChanges, deleteBeforeReplace, aliases, customTimeouts and
      // additionalSecretOutputs only (@pulumi/pulumi 3.248 proto/analyzer_pb.js; @pulumi/policy
      // 1.21 PolicyResourceOptions). Under the engine this rule cannot see the option, so it says
      // so; `npm test` runs it on the captured graph, which records it.
      if (data.length && data.every((d) => retain(d.resource) === undefined)) {
        args.notApplicable("the engine does not pass retainOnDelete to policy packs; npm test checks it on the captured graph");
      }
      for (const { resource, what } of data) {
        if (retain(resource) !== true) report(`${what} ${resource.name} is not retainOnDelete: deleting it from the program would delete its data`, resource.urn);
      }
    },
  },
];
