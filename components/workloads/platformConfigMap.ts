/**
 * The shared ConfigMap `volteryde-config` (the guide's name): the non-secret settings that are
 * the same for every pod that reads it through `envFrom`, the services and (when they run some
 * service's workflows) the Temporal workers: the transaction pooler, the database, SSL, NODE_ENV.
 * Nothing secret: user names and passwords live in each service's own Secret.
 *
 * Only what is true for every reader: what differs per container (its schema and the schemas it
 * may read, its pool size, the Temporal settings only the workers use) is that container's own
 * `env`, so no `env` entry overrides a key of this ConfigMap and `kubectl describe pod` shows the
 * values the container really uses. The migration Jobs do not read it at all: they connect to the
 * session pooler or direct host, and their env says so (serviceWorkload.ts `migrationEnv`).
 *
 * Rollout: the ConfigMap keeps its name, and every pod template that reads it carries a checksum
 * of `data` (podTemplate.ts `rolloutChecksum`), so a change rolls the pods that read it.
 */
import * as corev1 from "@pulumi/kubernetes/core/v1";
import * as pulumi from "@pulumi/pulumi";
import { Endpoint } from "../config/configSchema";
import { CONFIG_MAP_NAME } from "../config/naming";

export interface PlatformConfigMapArgs {
  /** Namespace (an Output of the Namespace when the program creates it, so the ConfigMap waits). */
  readonly namespace: pulumi.Input<string>;
  /** The transaction pooler (6543): where services connect. */
  readonly runtimeEndpoint: Endpoint;
  /** Database name. */
  readonly database: string;
  readonly sslMode: string;
  /** The project's CA certificate (PEM, public), for verify-ca/verify-full. @default none */
  readonly sslRootCert?: string;
  /** `https://<ref>.supabase.co` */
  readonly supabaseUrl: string;
  readonly nodeEnv: string;
}

/** The ConfigMap's data: a pure function of the args, so tests and the rollout checksum read it too. */
export function configMapData(args: Omit<PlatformConfigMapArgs, "namespace">): Readonly<Record<string, string>> {
  return Object.freeze({
    DATABASE_HOST: args.runtimeEndpoint.host,
    DATABASE_PORT: String(args.runtimeEndpoint.port),
    DATABASE_NAME: args.database,
    DATABASE_SSL: "true",
    DATABASE_SSL_MODE: args.sslMode,
    ...(args.sslRootCert ? { DATABASE_SSL_ROOT_CERT: args.sslRootCert } : {}),
    // The guide's variables for the same pooler, for code that still reads them.
    SUPABASE_HOST: args.runtimeEndpoint.host,
    SUPABASE_PORT: String(args.runtimeEndpoint.port),
    SUPABASE_DB: args.database,
    SUPABASE_URL: args.supabaseUrl,
    NODE_ENV: args.nodeEnv,
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
    const configMap = new corev1.ConfigMap(
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
