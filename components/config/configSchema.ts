/**
 * The stack configuration's schema and its resolution into one typed, frozen object.
 * Pure: no Pulumi here, so every rule is tested table-driven without a runtime.
 * `config.ts` reads the keys from `pulumi.Config` and hands them to `parseSettings`.
 */
import { z } from "zod";
import { SERVICES, SERVICE_KEYS, ServiceDefinition, serviceByKey } from "./catalogue";
import {
  COMPUTE_LIMITS,
  COMPUTE_SIZES,
  ComputeSize,
  DEFAULT_RESERVED_SUPERUSER,
  DEFAULT_SUPABASE_SERVICES_SHARE,
  SUPAVISOR_MAX_POOLS,
} from "./supabaseCompute";

/** The Pulumi project name; config keys are `volteryde-infra:<key>`. */
export const PROJECT = "volteryde-infra";

const serviceKey = z.enum(SERVICE_KEYS as [string, ...string[]]);
const port = z.number().int().min(1).max(65535);
const positiveInt = z.number().int().min(1);
const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, {
    message: "must be a lower-case DNS host name",
  });
/** Rotation values are keepers of `@pulumi/random`: changing one regenerates that password. */
const rotationValue = z.string().min(1).max(64);
/** A Kubernetes DNS-1123 label: what names of namespaces, Deployments and Secrets must be. */
const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { message: "must be a DNS-1123 label (a-z, 0-9, '-', at most 63)" });
/** An object of `fields` where every absent field takes its value from `defaults`. */
function withDefaults<F extends z.ZodRawShape>(fields: F, defaults: { [K in keyof F]: z.output<F[K]> }) {
  const shape = Object.fromEntries(
    Object.entries(fields).map(([k, schema]) => [k, (schema as z.ZodType).default(defaults[k as keyof F] as never)]),
  ) as unknown as { [K in keyof F]: z.ZodDefault<F[K]> };
  return z.object(shape).strict();
}
/** A KMS key ARN (not an alias): `arn:aws:kms:<region>:<account>:key/<key-id>`. */
export const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/[A-Za-z0-9-]+$/;
/** An IPv4 or IPv6 CIDR, as NetworkPolicy `ipBlock.cidr` takes it. */
const cidr = z.union([z.cidrv4(), z.cidrv6()], { message: "must be a CIDR such as 10.0.0.0/8 or ::/0" });
/** A label key (`[prefix/]name`) and value, as Kubernetes accepts them (apimachinery IsQualifiedName / IsValidLabelValue). */
const labelKey = z
  .string()
  .regex(/^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, {
    message: "must be a label key ([prefix/]name, name at most 63 characters)",
  });
const labelValue = z.string().regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/, { message: "must be a label value (at most 63 characters)" });
/** An absolute HTTP path for a probe. */
const httpPath = z.string().regex(/^\/[A-Za-z0-9._~\-/]*$/, { message: "must be an absolute HTTP path" });
const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|k|M|G)?$/, { message: "must be a Kubernetes quantity such as 250m or 256Mi" });
const QUANTITY_SUFFIX: Record<string, number> = { "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
/** The value of a quantity the schema accepted, in base units (cores, bytes). */
export function quantityValue(q: string): number {
  const [, digits, suffix] = /^([0-9.]+)([A-Za-z]*)$/.exec(q)!;
  return Number(digits) * QUANTITY_SUFFIX[suffix];
}
/**
 * Namespaces the cluster itself owns. The program puts a default-deny NetworkPolicy and the
 * restricted Pod Security level on its namespace, which would break whatever else runs there.
 */
export const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
/**
 * A statement or idle-in-transaction timeout: PostgreSQL reads 0 as "no timeout", so a runaway
 * query or a forgotten transaction would hold a pooled connection for ever.
 */
const timeoutMs = z
  .number()
  .int()
  .min(1000, { message: "must be between 1000 and 3600000 ms: 0 turns the timeout off for every login role, and below 1000 ms ordinary queries fail" })
  .max(3_600_000, { message: "must be between 1000 and 3600000 ms" });

// Each group is declared once without defaults (for per-service overrides, where an absent field
// must stay absent) and once with the guide's defaults.
const poolFields = {
  /** TypeORM `extra.max`: connections per pod. */
  max: positiveInt.max(100),
  /** TypeORM `extra.min`. */
  min: z.number().int().min(0),
  /** TypeORM `extra.idleTimeoutMillis`. */
  idleTimeoutMillis: z.number().int().min(1000).max(3_600_000),
};
const poolSchema = withDefaults(poolFields, { max: 10, min: 2, idleTimeoutMillis: 30000 });

const resourcesFields = { cpuRequest: quantity, memoryRequest: quantity, cpuLimit: quantity, memoryLimit: quantity };
const resourcesSchema = withDefaults(resourcesFields, { cpuRequest: "100m", memoryRequest: "256Mi", cpuLimit: "500m", memoryLimit: "512Mi" });

/**
 * Probes follow NestJS Terminus's convention of one `health` controller with a route per check
 * (https://docs.nestjs.com/recipes/terminus uses `/health/readiness` as its example address):
 * liveness answers whether the process works (no database check, so a slow database never
 * restarts pods), readiness whether it can serve now (the TypeORM ping), and the startup probe
 * holds both back while the app boots.
 */
const probeFields = {
  /** Container port the app listens on (`PORT`); the probes and the Service target it. */
  port,
  /** Liveness: a failure restarts the container. */
  livenessPath: httpPath,
  /** Readiness: a failure takes the pod out of the Service until it passes again. */
  readinessPath: httpPath,
  /** Startup: liveness and readiness wait until this passes once. */
  startupPath: httpPath,
  /** How long a container may take to start before the startup probe restarts it. */
  startupTimeoutSeconds: z.number().int().min(10).max(3600),
};
const probeSchema = withDefaults(probeFields, {
  port: 3000,
  livenessPath: "/health/liveness",
  readinessPath: "/health/readiness",
  startupPath: "/health/liveness",
  startupTimeoutSeconds: 120,
});

/** The name of the Temporal workers' Deployment, and how config names them as a caller of a service. */
export const TEMPORAL_WORKERS = "temporal-workers";

const ingressFields = {
  /** Namespaces (by name) whose pods may call the service, e.g. the ingress controller's. */
  namespaces: z.array(dnsLabel),
  /** Workloads of this stack that may call it: service keys, or "temporal-workers". */
  services: z.array(z.enum([...SERVICE_KEYS, TEMPORAL_WORKERS] as unknown as [string, ...string[]])),
};
const ingressSchema = withDefaults(ingressFields, { namespaces: [], services: [] });

/** Extra egress a workload needs (an external API): TCP ports to address ranges; NetworkPolicy has no host names. */
const egressRuleSchema = z.object({ cidrs: z.array(cidr).min(1), ports: z.array(port).min(1) }).strict();

/**
 * `services.<svc>.autoscaling`: an autoscaling/v2 HorizontalPodAutoscaler on CPU. The HPA owns
 * the Deployment's replica count, so `replicas` must not be set next to it.
 */
const autoscalingSchema = z
  .object({
    minReplicas: positiveInt.max(100),
    maxReplicas: positiveInt.max(100),
    /** Average CPU use as a percentage of the CPU request; above 100 is meaningful when the limit is higher. */
    targetCPUUtilizationPercentage: z.number().int().min(1).max(500).default(70),
  })
  .strict();

/** Pod topology spread per topology: `off`, or the constraint's `whenUnsatisfiable`. */
const spreadMode = z.enum(["off", "ScheduleAnyway", "DoNotSchedule"]);

const rotationFields = {
  /** Which of the two runtime login users the pods connect as. */
  active: z.enum(["blue", "green"]),
  blue: rotationValue,
  green: rotationValue,
  migrator: rotationValue,
};
const rotationSchema = withDefaults(rotationFields, { active: "blue", blue: "1", green: "1", migrator: "1" });

const serviceOverrideSchema = z
  .object({
    enabled: z.boolean().optional(),
    replicas: positiveInt.max(100).optional(),
    pool: z.object(poolFields).partial().strict().optional(),
    resources: z.object(resourcesFields).partial().strict().optional(),
    readOnlyRole: z.boolean().optional(),
    readsFrom: z.array(serviceKey).optional(),
    rotation: z.object(rotationFields).partial().strict().optional(),
    migrationCommand: z.array(z.string().min(1)).min(1).optional(),
    probe: z.object(probeFields).partial().strict().optional(),
    ingress: z.object(ingressFields).partial().strict().optional(),
    egress: z.array(egressRuleSchema).optional(),
    autoscaling: autoscalingSchema.optional(),
    /**
     * A deliberate hard cap: CONNECTION LIMIT of each runtime login, below what Supavisor may
     * open for it. The service's clients must then stay under it (README "Connection budget").
     */
    connectionLimit: positiveInt.max(10000).optional(),
  })
  .strict();

export const settingsSchema = z
  .object({
    supabase: z
      .object({
        /** The 20-letter Supabase project reference. */
        projectRef: z.string().regex(/^[a-z]{20}$/, { message: "must be the 20 lower-case letters of a Supabase project ref" }),
        /** AWS region the Supabase project runs in, e.g. sa-east-1. */
        region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-[0-9]$/, { message: "must be an AWS region such as sa-east-1" }),
        /** Shared pooler (Supavisor) host; defaults to aws-0-<region>.pooler.supabase.com. */
        poolerHost: hostname.optional(),
        /** Transaction-mode pooler port that services use. */
        poolerPort: port.default(6543),
        /** Endpoint for administration and migrations: the session pooler (IPv4) or the direct host (IPv6). */
        adminEndpoint: z.enum(["session-pooler", "direct"]).default("session-pooler"),
        /** Direct host; defaults to db.<projectRef>.supabase.co. */
        directHost: hostname.optional(),
        /** Session-mode port, shared by the session pooler and the direct host. */
        sessionPort: port.default(5432),
        database: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: "must be a PostgreSQL identifier (a-z, 0-9, _)" }).default("postgres"),
        sslMode: z.enum(["require", "verify-ca", "verify-full"]).default("require"),
        /**
         * The project's CA certificate (PEM file, path relative to the project directory), which
         * `verify-ca` and `verify-full` need: the provider's `sslrootcert`, and the pods'
         * DATABASE_SSL_ROOT_CERT. Supabase's dashboard offers it for download (Database settings, SSL).
         */
        sslRootCert: z.string().min(1).optional(),
        /** Compute size of the project: sets the defaults of the three limits below. */
        compute: z.enum(COMPUTE_SIZES).default("micro"),
        /** Postgres max_connections (`SHOW max_connections`); default: the compute's. */
        maxConnections: positiveInt.max(100_000).optional(),
        pooler: z
          .object({
            /** The dashboard's "Pool size" (Management API `default_pool_size`); default: the compute's. */
            poolSize: positiveInt.max(10_000).optional(),
            /** The pooler's client limit ("Max client connections"); default: the compute's. */
            maxClients: positiveInt.max(1_000_000).optional(),
          })
          .strict()
          .prefault({}),
        /** Connections our roles can never use. */
        reserved: z
          .object({
            /** superuser_reserved_connections + reserved_connections. */
            superuser: z.number().int().min(0).max(1000).default(DEFAULT_RESERVED_SUPERUSER),
            /** Auth, PostgREST, Realtime, health checks; default 20 % of maxConnections (rounded up). */
            supabaseServices: z.number().int().min(0).max(100_000).optional(),
          })
          .strict()
          .prefault({}),
      })
      .strict(),
    /** Admin login the PostgreSQL provider uses; defaults to postgres.<ref> (session pooler) or postgres (direct). */
    adminUsername: z.string().regex(/^[a-z_][a-z0-9_.]{0,62}$/, { message: "must be a PostgreSQL role name" }).optional(),
    awsRegion: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-[0-9]$/, { message: "must be an AWS region such as sa-east-1" }).default("sa-east-1"),
    kubernetes: z
      .object({
        namespace: dnsLabel.refine((n) => !RESERVED_NAMESPACES.includes(n), {
          message: `must not be one of the cluster's own namespaces (${RESERVED_NAMESPACES.join(", ")}): the program's default-deny NetworkPolicy and restricted Pod Security would apply to everything else in it`,
        }),
        /** Create the namespace (false when the cluster team manages it). */
        createNamespace: z.boolean().default(true),
        /** kubeconfig context; the ambient current context when unset. */
        context: z.string().min(1).optional(),
        networkPolicies: z
          .object({
            /** Declare the NetworkPolicies (default deny plus what each workload needs). */
            enabled: z.boolean().default(true),
            /** Restrict egress too; false for a CNI that enforces ingress policies only. */
            restrictEgress: z.boolean().default(true),
            /** Where the pods' DNS resolver runs (CoreDNS / kube-dns). */
            dns: z
              .object({
                namespace: dnsLabel.default("kube-system"),
                podLabels: z.record(labelKey, labelValue).default({ "k8s-app": "kube-dns" }),
                port: port.default(53),
              })
              .strict()
              .prefault({}),
            /** Address ranges of the Supabase pooler and direct host (NetworkPolicy cannot name hosts). */
            databaseCidrs: z.array(cidr).min(1).default(["0.0.0.0/0", "::/0"]),
            /** Address ranges of the Temporal endpoint. */
            temporalCidrs: z.array(cidr).min(1).default(["0.0.0.0/0", "::/0"]),
          })
          .strict()
          .prefault({}),
        /** Spread each Deployment's pods across zones and hosts (`topology.kubernetes.io/zone`, `kubernetes.io/hostname`). */
        topologySpread: z
          .object({ zones: spreadMode.default("off"), hosts: spreadMode.default("off") })
          .strict()
          .prefault({}),
      })
      .strict(),
    images: z
      .object({
        registry: z.string().regex(/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/, { message: "must be an image registry such as ghcr.io/volteryde" }),
        tag: z
          .string()
          .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { message: "must be a valid image tag" })
          .refine((t) => t !== "latest", {
            message: 'must name a release, not "latest": the migration Job is named after the tag, so an image re-pushed as "latest" would never run its migrations',
          }),
        pullPolicy: z.enum(["IfNotPresent", "Always"]).default("IfNotPresent"),
      })
      .strict(),
    nodeEnv: z.enum(["production", "development", "staging"]).default("production"),
    defaults: z
      .object({
        replicas: positiveInt.max(100).default(1),
        pool: poolSchema.prefault({}),
        resources: resourcesSchema.prefault({}),
        probe: probeSchema.prefault({}),
        ingress: ingressSchema.prefault({}),
        migrationCommand: z.array(z.string().min(1)).min(1).default(["npm", "run", "migration:run"]),
      })
      .strict()
      .prefault({}),
    services: z.partialRecord(serviceKey, serviceOverrideSchema).default({}),
    /**
     * Keep the data: schemas, owner roles and secrets are `retainOnDelete` (disabling a service or
     * a destroy leaves them in place), schemas are never dropped CASCADE, and the secrets nothing
     * documented deletes (platform secrets, a created namespace) are `protect`ed. false (dev):
     * everything is removed, a schema with its tables (README "Nothing lost").
     */
    protect: z.boolean().default(false),
    database: z
      .object({
        statementTimeoutMs: timeoutMs.default(30000),
        idleInTransactionSessionTimeoutMs: timeoutMs.default(60000),
        /** Extra connections allowed above replicas x pool max per runtime login. */
        connectionHeadroom: z.number().int().min(0).max(1000).default(5),
        migratorConnectionLimit: positiveInt.max(20).default(3),
        /**
         * The migrator's own `statement_timeout`: an index build may take minutes, but never longer
         * than the Job's deadline (900 s).
         */
        migratorStatementTimeoutMs: z.number().int().min(1000).max(900_000).default(900_000),
        /**
         * `lock_timeout` for migrations (the Job's PGOPTIONS and DATABASE_LOCK_TIMEOUT_MS): a DDL
         * statement that waits for a lock queues every later query on that table behind it, so it
         * gives up soon and the Job's retry tries again.
         */
        migratorLockTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
        /** How the `public` schema is hardened for PUBLIC. */
        publicSchema: z.enum(["no-create", "revoke-all", "unchanged"]).default("no-create"),
        /** Connections the PostgreSQL provider opens (the session pooler caps clients per role). */
        providerMaxConnections: positiveInt.max(20).default(4),
      })
      .strict()
      .prefault({}),
    rotation: rotationSchema.prefault({}),
    secrets: z
      .object({
        recoveryWindowInDays: z
          .number()
          .int()
          .refine((d) => d === 0 || (d >= 7 && d <= 30), { message: "must be 0 (delete at once) or 7..30 days (what Secrets Manager accepts)" })
          .default(30),
        /**
         * A key ARN, not an alias: the SecretStore's IAM policy grants kms:Decrypt on it, and IAM
         * does not resolve aliases in a policy's Resource (the grant would silently do nothing).
         */
        kmsKeyArn: z
          .string()
          .regex(KMS_KEY_ARN, {
            message: "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>), not an alias: IAM cannot grant kms:Decrypt through an alias",
          })
          .optional(),
        jwtRotation: rotationValue.default("1"),
        /**
         * Services whose pods get JWT_SECRET. It is a symmetric signing key: whoever holds it can
         * mint tokens, so only the services that issue them get it (README "Platform secrets").
         * A disabled service in the default list is skipped; one named in the stack's own list is refused.
         */
        jwtServices: z.array(serviceKey).default(["auth", "client-auth"]),
      })
      .strict()
      .prefault({}),
    secretsDelivery: z.enum(["kubernetes", "external-secrets"]).default("kubernetes"),
    externalSecrets: z
      .object({
        /** Use an existing ClusterSecretStore instead of creating a namespaced SecretStore. */
        clusterSecretStore: dnsLabel.optional(),
        /** IRSA: the cluster's OIDC provider ARN, for the SecretStore's IAM role. */
        oidcProviderArn: z.string().regex(/^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider\/.+$/, { message: "must be an IAM OIDC provider ARN" }).optional(),
        refreshInterval: z.string().regex(/^[0-9]+(s|m|h)$/, { message: "must be a duration such as 1h" }).default("1h"),
      })
      .strict()
      .prefault({}),
    temporal: z
      .object({
        address: z.string().regex(/^[a-z0-9.-]+:[0-9]{1,5}$/, { message: "must be host:port" }),
        namespace: z.string().min(1),
        replicas: positiveInt.max(100).default(1),
        /** Image name under images.registry. */
        image: dnsLabel.default("temporal-workers"),
        /** Services whose workflows the workers run: they get only these services' credentials. */
        services: z.array(serviceKey).default([]),
        /**
         * The workers' health endpoint (see README "Temporal workers"): the worker image serves
         * HTTP on `port`, liveness while the Worker has not failed, readiness while it polls.
         */
        probe: z
          .object({
            enabled: z.boolean().default(true),
            port: port.default(8080),
            livenessPath: httpPath.default("/health/liveness"),
            readinessPath: httpPath.default("/health/readiness"),
            startupTimeoutSeconds: z.number().int().min(10).max(3600).default(120),
          })
          .strict()
          .prefault({}),
        /** Extra egress the workers' activities need, as for services. */
        egress: z.array(egressRuleSchema).default([]),
      })
      .strict(),
  })
  .strict();

export type RawSettings = z.input<typeof settingsSchema>;
type ParsedSettings = z.output<typeof settingsSchema>;
export type Pool = z.output<typeof poolSchema>;
export type Resources = z.output<typeof resourcesSchema>;
export type Probe = z.output<typeof probeSchema>;
export type Rotation = z.output<typeof rotationSchema>;
export type Ingress = z.output<typeof ingressSchema>;
export type EgressRule = z.output<typeof egressRuleSchema>;
export type Autoscaling = z.output<typeof autoscalingSchema>;
export type SpreadMode = z.output<typeof spreadMode>;

/** One enabled service with every default and override resolved. */
export interface ServiceSettings {
  readonly service: ServiceDefinition;
  /**
   * Pods of the service: the fixed count, or with `autoscaling` the HPA's minimum (the Deployment
   * then omits `replicas`). What can run at once is `maxReplicas(service)`.
   */
  readonly replicas: number;
  /** The HorizontalPodAutoscaler's bounds and CPU target, when config asks for one. */
  readonly autoscaling?: Autoscaling;
  readonly pool: Pool;
  readonly resources: Resources;
  readonly probe: Probe;
  /** Who may open connections to the service's port (NetworkPolicy). */
  readonly ingress: Ingress;
  /** Extra egress beyond DNS and the database (NetworkPolicy). */
  readonly egress: readonly EgressRule[];
  readonly readOnlyRole: boolean;
  /** Keys of services whose schema this one may read (SELECT only). */
  readonly readsFrom: readonly string[];
  readonly rotation: Rotation;
  readonly migrationCommand: readonly string[];
  /** A deliberate hard cap on each runtime login's CONNECTION LIMIT. @default none (derived from the pool size) */
  readonly connectionLimit?: number;
  /** `<registry>/<key>:<tag>` */
  readonly image: string;
}

/** The Supabase project's connection limits: the compute's defaults with config's overrides. */
export interface SupabaseLimits {
  readonly compute: ComputeSize;
  /** Postgres max_connections. */
  readonly maxConnections: number;
  /** Supavisor's pool size: server connections per (role, database, mode) pool. */
  readonly poolSize: number;
  /** Supavisor's client limit. */
  readonly poolerMaxClients: number;
  /** Pools Supavisor opens per project before refusing. */
  readonly maxPools: number;
  /** Slots only superusers may use. */
  readonly reservedSuperuser: number;
  /** Slots Supabase's own services hold (Auth, PostgREST, Realtime, health checks). */
  readonly reservedSupabaseServices: number;
}

/** The limits of `compute` with the given overrides (absent ones take the compute's default). */
export function supabaseLimits(
  compute: ComputeSize,
  overrides: { maxConnections?: number; poolSize?: number; poolerMaxClients?: number; reservedSuperuser?: number; reservedSupabaseServices?: number } = {},
): SupabaseLimits {
  const d = COMPUTE_LIMITS[compute];
  const maxConnections = overrides.maxConnections ?? d.maxConnections;
  return {
    compute,
    maxConnections,
    poolSize: overrides.poolSize ?? d.poolSize,
    poolerMaxClients: overrides.poolerMaxClients ?? d.poolerMaxClients,
    maxPools: SUPAVISOR_MAX_POOLS,
    reservedSuperuser: overrides.reservedSuperuser ?? DEFAULT_RESERVED_SUPERUSER,
    reservedSupabaseServices: overrides.reservedSupabaseServices ?? Math.ceil(maxConnections * DEFAULT_SUPABASE_SERVICES_SHARE),
  };
}

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** What the endpoint is: Supavisor wants `<role>.<ref>` as the user name, the direct host the plain role. */
  readonly kind: "transaction-pooler" | "session-pooler" | "direct";
}

export interface Settings {
  readonly stack: string;
  readonly projectRef: string;
  readonly database: string;
  readonly sslMode: "require" | "verify-ca" | "verify-full";
  /** Path of the CA certificate (PEM) that verify-ca/verify-full check the server against. */
  readonly sslRootCert?: string;
  readonly supabaseUrl: string;
  /** Where services connect: the transaction pooler (6543). */
  readonly runtimeEndpoint: Endpoint;
  /** Where the provider and migrations connect: session pooler or direct (5432), never 6543. */
  readonly adminEndpoint: Endpoint;
  readonly adminUsername: string;
  /**
   * The role behind `adminUsername` (`postgres` for `postgres.<ref>` on the pooler): the
   * provider's `databaseUsername`, to which it reassigns what a deleted role owned.
   */
  readonly adminRole: string;
  /** Connection limits of the Supabase project (README "Connection budget"). */
  readonly supabaseLimits: SupabaseLimits;
  readonly awsRegion: string;
  readonly kubernetes: ParsedSettings["kubernetes"];
  readonly images: ParsedSettings["images"];
  readonly nodeEnv: ParsedSettings["nodeEnv"];
  readonly protect: boolean;
  readonly db: ParsedSettings["database"];
  readonly secrets: ParsedSettings["secrets"];
  readonly secretsDelivery: ParsedSettings["secretsDelivery"];
  readonly externalSecrets: ParsedSettings["externalSecrets"];
  readonly temporal: ParsedSettings["temporal"];
  /** What every service starts from (the ConfigMap's pool settings, the workers' resources). */
  readonly defaults: ParsedSettings["defaults"];
  /** Enabled services, in catalogue order. */
  readonly services: readonly ServiceSettings[];
}

/** A configuration mistake, reported with the key, the bad value and what is allowed. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function keyOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return `${PROJECT} (top-level config)`;
  const [top, ...rest] = path.map(String);
  return `${PROJECT}:${top ?? ""}${rest.length ? "." + rest.join(".") : ""}`;
}

function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const input = (issue as { input?: unknown }).input;
    let message = issue.message;
    if (issue.code === "invalid_type" && input === undefined) {
      return `${keyOf(issue.path)}: missing; this key is required (${issue.expected}), see "Configuration reference" in README.md`;
    } else if (issue.code === "invalid_type" && issue.expected === "string" && typeof input === "number") {
      message = `must be a string: quote it in the YAML, e.g. "${input}" (unquoted it is a number, and 1.10 would read as 1.1)`;
    } else if (issue.code === "invalid_value" && "values" in issue) {
      message = `must be one of ${(issue.values as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    } else if (issue.code === "unrecognized_keys" && issue.path.length === 1 && issue.path[0] === "services") {
      message = `unknown service(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}; known services: ${SERVICE_KEYS.join(", ")}`;
    } else if (issue.code === "unrecognized_keys" && issue.path[issue.path.length - 1] === "probe" && issue.keys.includes("path")) {
      message = 'probe.path was split in two: set probe.livenessPath and probe.readinessPath (and probe.startupPath), see "Configuration reference" in README.md';
    } else if (issue.code === "unrecognized_keys") {
      message = `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}; check the configuration reference in README.md`;
    }
    return `${keyOf(issue.path)}: got ${describe(input)}; ${message}`;
  });
}

/** A cycle in the "reads from" graph, as a path that starts and ends at the same key, if any. */
export function findCycle(edges: readonly (readonly [string, readonly string[]])[]): string[] | undefined {
  const next = new Map(edges.map(([k, v]) => [k, v]));
  const state = new Map<string, "open" | "done">();
  const walk = (key: string, path: string[]): string[] | undefined => {
    if (state.get(key) === "open") return [...path.slice(path.indexOf(key)), key];
    if (state.get(key) === "done") return undefined;
    state.set(key, "open");
    for (const to of next.get(key) ?? []) {
      const found = walk(to, [...path, key]);
      if (found) return found;
    }
    state.set(key, "done");
    return undefined;
  };
  for (const [key] of edges) {
    const found = walk(key, []);
    if (found) return found;
  }
  return undefined;
}

/** The most pods a service runs at once, before a rollout's surge pod: what connection limits must budget. */
export function maxReplicas(service: Pick<ServiceSettings, "replicas" | "autoscaling">): number {
  return service.autoscaling?.maxReplicas ?? service.replicas;
}

/** The port of a `host:port` address (config validates the form). */
export function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(":") + 1));
}

function mergeDefined<T extends object>(base: T, override: Partial<T> | undefined): T {
  const result = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(override ?? {})) if (v !== undefined) result[k] = v;
  return result as T;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Validates raw config values (as read from the stack) and resolves defaults, derived hosts and
 * per-service overrides. Throws a ConfigError naming every bad key; registers nothing.
 */
export function parseSettings(stack: string, raw: Record<string, unknown>): Settings {
  const parsed = settingsSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error));
  const s = parsed.data;
  const problems: string[] = [];

  const check = (ok: boolean, key: string, value: unknown, allowed: string) => {
    if (!ok) problems.push(`${PROJECT}:${key}: got ${describe(value)}; ${allowed}`);
  };

  const enabled = SERVICES.filter((svc) => s.services[svc.key]?.enabled !== false);
  check(enabled.length > 0, "services", s.services, "at least one service must stay enabled");
  const enabledKeys = new Set(enabled.map((e) => e.key));
  const enabledList = enabledKeys.size ? [...enabledKeys].join(", ") : "none is enabled";
  /** Whether the stack itself sets this key (dotted path), rather than a default filling it in. */
  const userSet = (path: string): boolean =>
    path.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), raw) !== undefined;
  /** Of two keys that conflict, the one the stack sets in the narrowest scope, so the message names what the user wrote. */
  const blame = (scopes: readonly string[], preferred: string, other: string): string => {
    for (const scope of scopes) {
      if (userSet(`${scope}.${preferred}`)) return `${scope}.${preferred}`;
      if (userSet(`${scope}.${other}`)) return `${scope}.${other}`;
    }
    return `${scopes[scopes.length - 1]}.${preferred}`;
  };

  const services: ServiceSettings[] = enabled.map((svc) => {
    const o = s.services[svc.key] ?? {};
    const pool = mergeDefined(s.defaults.pool, o.pool);
    const poolKey = blame([`services.${svc.key}.pool`, "defaults.pool"], "min", "max");
    if (poolKey.endsWith(".min")) check(pool.min <= pool.max, poolKey, pool.min, `must not exceed pool max (${pool.max})`);
    else check(pool.min <= pool.max, poolKey, pool.max, `must be at least pool min (${pool.min}, the default unless set)`);
    const resources = mergeDefined(s.defaults.resources, o.resources);
    for (const [request, limit] of [
      ["cpuRequest", "cpuLimit"],
      ["memoryRequest", "memoryLimit"],
    ] as const) {
      const key = blame([`services.${svc.key}.resources`, "defaults.resources"], request, limit);
      check(
        quantityValue(resources[request]) <= quantityValue(resources[limit]),
        key,
        key.endsWith(request) ? resources[request] : resources[limit],
        `${request} (${resources[request]}) must not exceed ${limit} (${resources[limit]}): the API server refuses such a pod`,
      );
    }
    const autoscaling = o.autoscaling;
    if (autoscaling) {
      check(
        autoscaling.minReplicas <= autoscaling.maxReplicas,
        `services.${svc.key}.autoscaling.minReplicas`,
        autoscaling.minReplicas,
        `must not exceed autoscaling.maxReplicas (${autoscaling.maxReplicas})`,
      );
      check(
        o.replicas === undefined,
        `services.${svc.key}.replicas`,
        o.replicas,
        "must not be set together with autoscaling: the HorizontalPodAutoscaler sets the replica count between autoscaling.minReplicas and maxReplicas",
      );
    }
    const probe = mergeDefined(s.defaults.probe, o.probe);
    const probeKey = o.probe?.livenessPath || o.probe?.readinessPath ? `services.${svc.key}.probe` : "defaults.probe";
    check(
      probe.livenessPath !== probe.readinessPath,
      `${probeKey}.readinessPath`,
      probe.readinessPath,
      `must differ from livenessPath (${probe.livenessPath}): a readiness check that includes the database would make a slow database restart pods`,
    );
    const ingress = mergeDefined(s.defaults.ingress, o.ingress);
    const callersKey = o.ingress?.services ? `services.${svc.key}.ingress.services` : "defaults.ingress.services";
    for (const caller of ingress.services) {
      // The defaults may list every service; a service's own list naming itself is a mistake.
      if (caller === svc.key) {
        check(!o.ingress?.services, callersKey, caller, "a service needs no policy to reach itself; list other services");
      } else if (caller !== TEMPORAL_WORKERS) {
        check(enabledKeys.has(caller), callersKey, caller, `must name an enabled service (${enabledList}) or "${TEMPORAL_WORKERS}"`);
      }
    }
    const readsFrom = o.readsFrom ?? [];
    for (const other of readsFrom) {
      check(other !== svc.key, `services.${svc.key}.readsFrom`, other, "a service already reads its own schema; list other services");
      if (other !== svc.key) check(enabledKeys.has(other), `services.${svc.key}.readsFrom`, other, `must name an enabled service (${enabledList})`);
    }
    return {
      service: svc,
      replicas: autoscaling ? autoscaling.minReplicas : (o.replicas ?? s.defaults.replicas),
      ...(autoscaling ? { autoscaling } : {}),
      pool,
      resources,
      probe,
      ingress: { namespaces: [...new Set(ingress.namespaces)].sort(), services: [...new Set(ingress.services)].filter((c) => c !== svc.key).sort() },
      egress: o.egress ?? [],
      readOnlyRole: o.readOnlyRole ?? false,
      readsFrom: [...new Set(readsFrom)].filter((k) => k !== svc.key).sort(),
      rotation: mergeDefined(s.rotation, o.rotation),
      migrationCommand: o.migrationCommand ?? s.defaults.migrationCommand,
      ...(o.connectionLimit !== undefined ? { connectionLimit: o.connectionLimit } : {}),
      image: `${s.images.registry}/${svc.key}:${s.images.tag}`,
    };
  });
  // Reader grants need the reader's role first, so the platform builds readers first: a cycle
  // (a reads b, b reads a) has no such order.
  const cycle = findCycle(services.map((x) => [x.service.key, x.readsFrom] as const));
  if (cycle) check(false, `services.${cycle[0]}.readsFrom`, s.services[cycle[0]]?.readsFrom, `cross-service reads must not form a cycle (${cycle.join(" -> ")})`);
  for (const key of s.temporal.services) {
    check(enabledKeys.has(key), "temporal.services", key, `must name an enabled service (${enabledList})`);
  }
  if (userSet("secrets.jwtServices")) {
    for (const key of s.secrets.jwtServices) {
      check(enabledKeys.has(key), "secrets.jwtServices", key, `must name an enabled service (${enabledList}): a disabled service has no pods to receive JWT_SECRET`);
    }
  }
  const tp = s.temporal.probe;
  if (tp.enabled) {
    check(tp.livenessPath !== tp.readinessPath, "temporal.probe.readinessPath", tp.readinessPath, `must differ from livenessPath (${tp.livenessPath})`);
  }
  const kms = s.secrets.kmsKeyArn;
  if (kms) {
    const region = kms.split(":")[3];
    check(region === s.awsRegion, "secrets.kmsKeyArn", kms, `must be a key in awsRegion (${s.awsRegion}): Secrets Manager only uses keys of its own region`);
  }
  const es = s.externalSecrets;
  if (s.secretsDelivery === "external-secrets") {
    check(
      Boolean(es.clusterSecretStore) !== Boolean(es.oidcProviderArn),
      "externalSecrets",
      es,
      "with secretsDelivery external-secrets set exactly one of clusterSecretStore (an existing store) or oidcProviderArn (a SecretStore with IRSA)",
    );
  }
  const sb = s.supabase;
  const limits = supabaseLimits(sb.compute, {
    maxConnections: sb.maxConnections,
    poolSize: sb.pooler.poolSize,
    poolerMaxClients: sb.pooler.maxClients,
    reservedSuperuser: sb.reserved.superuser,
    reservedSupabaseServices: sb.reserved.supabaseServices,
  });
  check(
    limits.reservedSuperuser + limits.reservedSupabaseServices < limits.maxConnections,
    sb.reserved.supabaseServices !== undefined ? "supabase.reserved.supabaseServices" : "supabase.reserved.superuser",
    sb.reserved,
    `the reserves (${limits.reservedSuperuser} superuser + ${limits.reservedSupabaseServices} Supabase services) must leave connections below max_connections (${limits.maxConnections}, compute ${limits.compute})`,
  );
  // Defaults are checked once per service: report each problem once.
  if (problems.length) throw new ConfigError([...new Set(problems)]);

  const poolerHost = sb.poolerHost ?? `aws-0-${sb.region}.pooler.supabase.com`;
  const directHost = sb.directHost ?? `db.${sb.projectRef}.supabase.co`;
  const adminEndpoint: Endpoint =
    sb.adminEndpoint === "direct"
      ? { host: directHost, port: sb.sessionPort, kind: "direct" }
      : { host: poolerHost, port: sb.sessionPort, kind: "session-pooler" };
  const late: string[] = [];
  if (adminEndpoint.port === sb.poolerPort) {
    late.push(
      `${PROJECT}:supabase.sessionPort: got ${sb.sessionPort}; must differ from supabase.poolerPort (${sb.poolerPort}): the PostgreSQL provider and migrations fail on the transaction pooler`,
    );
  }
  if (sb.sslMode !== "require" && !sb.sslRootCert) {
    late.push(
      `${PROJECT}:supabase.sslMode: got ${JSON.stringify(sb.sslMode)}; ${sb.sslMode} checks the server against a CA certificate: set supabase.sslRootCert to the project's CA file (PEM), or use "require"`,
    );
  }
  const adminUsername = s.adminUsername ?? (adminEndpoint.kind === "direct" ? "postgres" : `postgres.${sb.projectRef}`);
  // Supavisor finds the project by the user name's last `.<ref>`; the direct host takes the plain role.
  const refSuffix = `.${sb.projectRef}`;
  if (adminEndpoint.kind === "session-pooler" && !adminUsername.endsWith(refSuffix)) {
    late.push(
      `${PROJECT}:adminUsername: got ${JSON.stringify(adminUsername)}; through the session pooler the login is <role>${refSuffix} (e.g. postgres${refSuffix})`,
    );
  }
  if (adminEndpoint.kind === "direct" && adminUsername.endsWith(refSuffix)) {
    late.push(`${PROJECT}:adminUsername: got ${JSON.stringify(adminUsername)}; the direct host takes the plain role name (e.g. postgres), without ${refSuffix}`);
  }
  if (late.length) throw new ConfigError(late);
  const adminRole = adminEndpoint.kind === "session-pooler" ? adminUsername.slice(0, -refSuffix.length) : adminUsername;

  return deepFreeze({
    stack,
    projectRef: sb.projectRef,
    database: sb.database,
    sslMode: sb.sslMode,
    ...(sb.sslRootCert ? { sslRootCert: sb.sslRootCert } : {}),
    supabaseUrl: `https://${sb.projectRef}.supabase.co`,
    runtimeEndpoint: { host: poolerHost, port: sb.poolerPort, kind: "transaction-pooler" },
    adminEndpoint,
    adminUsername,
    adminRole,
    supabaseLimits: limits,
    awsRegion: s.awsRegion,
    kubernetes: s.kubernetes,
    images: s.images,
    nodeEnv: s.nodeEnv,
    protect: s.protect,
    db: s.database,
    secrets: s.secrets,
    secretsDelivery: s.secretsDelivery,
    externalSecrets: s.externalSecrets,
    temporal: s.temporal,
    defaults: s.defaults,
    services,
  });
}

export { serviceByKey };
