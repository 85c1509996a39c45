/**
 * The shared ConfigMap `volteryde-config` (the guide's name): the non-secret connection settings
 * every service reads through `envFrom`. Nothing secret: user names and passwords live
 * in each service's own Secret.
 *
 * Rollout: the ConfigMap keeps its name, and every pod template that reads it carries a checksum
 * of `data` (podTemplate.ts `rolloutChecksum`), so a change rolls the pods that read it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SERVICES } from "../config/catalogue";
import { Endpoint, Pool } from "../config/configSchema";
import { CONFIG_MAP_NAME } from "../config/naming";

export interface PlatformConfigMapArgs {
  /** Namespace (an Output of the Namespace when the program creates it, so the ConfigMap waits). */
  readonly namespace: pulumi.Input<string>;
  /** The transaction pooler (6543): where services connect. */
  readonly runtimeEndpoint: Endpoint;
  /** Database name. */
  readonly database: string;
  readonly sslMode: string;
  /** Pool settings every service starts from (per-service overrides are set on the Deployment). */
  readonly pool: Pool;
  /** `https://<ref>.supabase.co` */
  readonly supabaseUrl: string;
  readonly nodeEnv: string;
  /** Temporal Cloud `host:port` and namespace. */
  readonly temporalAddress: string;
  readonly temporalNamespace: string;
}

/** The ConfigMap's data: a pure function of the args, so tests and the rollout checksum read it too. */
export function configMapData(args: Omit<PlatformConfigMapArgs, "namespace">): Readonly<Record<string, string>> {
  return Object.freeze({
    DATABASE_HOST: args.runtimeEndpoint.host,
    DATABASE_PORT: String(args.runtimeEndpoint.port),
    DATABASE_NAME: args.database,
    DATABASE_SSL: "true",
    DATABASE_SSL_MODE: args.sslMode,
    DATABASE_POOL_MAX: String(args.pool.max),
    DATABASE_POOL_MIN: String(args.pool.min),
    DATABASE_POOL_IDLE_TIMEOUT_MS: String(args.pool.idleTimeoutMillis),
    // The guide's variables for the same pooler, for code that still reads them.
    SUPABASE_HOST: args.runtimeEndpoint.host,
    SUPABASE_PORT: String(args.runtimeEndpoint.port),
    SUPABASE_DB: args.database,
    SUPABASE_URL: args.supabaseUrl,
    ...Object.fromEntries(SERVICES.map((svc) => [svc.schemaEnvVar, svc.schema])),
    NODE_ENV: args.nodeEnv,
    TEMPORAL_ADDRESS: args.temporalAddress,
    TEMPORAL_NAMESPACE: args.temporalNamespace,
  });
}

export class PlatformConfigMap extends pulumi.ComponentResource {
  /** Name of the ConfigMap; an Output of it, so readers wait for it. */
  public readonly name: pulumi.Output<string>;
  /** Its data (plain, non-secret). */
  public readonly data: Readonly<Record<string, string>>;

  constructor(name: string, args: PlatformConfigMapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:workloads:PlatformConfigMap", name, {}, opts);
    if (args.runtimeEndpoint.kind !== "transaction-pooler") {
      throw new Error(`PlatformConfigMap ${name}: runtimeEndpoint must be the transaction pooler (6543), got ${args.runtimeEndpoint.kind}`);
    }
    this.data = configMapData(args);
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      {
        metadata: {
          name: CONFIG_MAP_NAME,
          namespace: args.namespace,
          labels: { "app.kubernetes.io/part-of": "volteryde", "app.kubernetes.io/managed-by": "pulumi" },
        },
        data: { ...this.data },
      },
      { parent: this },
    );
    this.name = configMap.metadata.name;
    this.registerOutputs({ name: this.name });
  }
}
