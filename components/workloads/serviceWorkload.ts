/**
 * One NestJS service on Kubernetes:
 *
 *   <svc>-migrate     Job `<svc>-migrate-<tag>`: runs the migrations of this image as the
 *                     migrator, on the session pooler or direct host (5432), after the service's
 *                     database access exists (dependsOn the ServiceDatabase)
 *   <svc>-deployment  Deployment `<svc>`: dependsOn the Job, so Pulumi rolls the new pods only
 *                     after their migrations succeeded (the provider awaits Job completion)
 *   <svc>-service     ClusterIP Service `<svc>`
 *   <svc>-hpa         HorizontalPodAutoscaler (autoscaling/v2, CPU), when config asks for one
 *   <svc>-pdb         PodDisruptionBudget, when more than one pod can run
 *
 * Pods read the shared ConfigMap, their own schema (and those they may read) and their own
 * credentials Secret; nothing of another service. Each container's environment says exactly what
 * it uses: the Job gets an explicit env (the session pooler or direct host, no ConfigMap), the
 * Deployment the ConfigMap plus what is its own (schema, pool, port), none of it overriding a
 * ConfigMap key. The pod template carries a checksum of the non-secret inputs that change on
 * rotation or config change, so such a change rolls the pods in both secret-delivery modes.
 */
import * as appsv1 from "@pulumi/kubernetes/apps/v1";
import * as autoscalingv2 from "@pulumi/kubernetes/autoscaling/v2";
import * as batchv1 from "@pulumi/kubernetes/batch/v1";
import * as corev1 from "@pulumi/kubernetes/core/v1";
import * as pulumi from "@pulumi/pulumi";
import { Autoscaling, Endpoint, Probe, Resources, SpreadMode } from "../config/configSchema";
import { RuntimeUser, migrationJobName } from "../config/naming";
import {
  COMPONENT,
  CONTAINER_SECURITY_CONTEXT,
  GUIDE_APP_LABEL,
  POD_BASICS,
  ROLLING_UPDATE,
  ROLLOUT_CHECKSUM_ANNOTATION,
  TMP_MOUNT,
  checkReplicas,
  disruptionBudget,
  envFromSecret,
  httpProbes,
  labelValue,
  plainEnv,
  resourceRequirements,
  rolloutChecksum,
  selectorLabels,
  topologySpread,
  workloadLabels,
} from "./podTemplate";
import { CREDENTIAL_KEYS } from "../credentials/serviceSecrets";

/** Identity mapping of the credential keys: the Secret's keys are the variables' names. */
const CREDENTIAL_ENV = Object.fromEntries(Object.keys(CREDENTIAL_KEYS).map((k) => [k, k]));

/** The migration Job's limits. */
export const MIGRATION_JOB = Object.freeze({
  /** Seconds a migration may run before Kubernetes stops it. */
  activeDeadlineSeconds: 900,
  /** Retries: migrations are transactional; one retry covers a dropped connection. */
  backoffLimit: 1,
  /** Finished Jobs are removed after a day (their logs are kept that long for `kubectl logs job/...`). */
  ttlSecondsAfterFinished: 86400,
});

/** What a migration connects to and as what: the plain (non-secret) part of the Job's environment. */
export interface MigrationEnvArgs {
  /** The session pooler or direct host (5432). */
  readonly adminEndpoint: Endpoint;
  readonly databaseName: string;
  readonly sslMode: string;
  readonly nodeEnv: string;
  /** The service's schema. */
  readonly schema: string;
  /** The migrator's statement timeout (also set on its role) and lock timeout, in ms. */
  readonly statementTimeoutMs: number;
  readonly lockTimeoutMs: number;
  /** The project's CA certificate (PEM), for verify-ca/verify-full. @default none */
  readonly sslRootCert?: string;
  /**
   * `<PREFIX>_DATABASE_SCHEMA` of the service's own schema. Not those it may read: the migrator
   * acts as the schema's owner, which has no access to other schemas.
   */
  readonly schemaVariables: Readonly<Record<string, string>>;
}

/**
 * The migration Job's plain environment, complete: it reads no ConfigMap, so nothing of the
 * runtime pooler (6543) reaches it. Credentials come from the migrator Secret on top.
 *
 * The migrator's own timeouts: `statement_timeout` is also set on its role (so it holds however
 * the runner connects); `lock_timeout` has no role setting in the provider, so it reaches the
 * session through libpq's and node-postgres's PGOPTIONS, and as DATABASE_LOCK_TIMEOUT_MS for a
 * runner that sets it itself (README "Migrations"). `npm run` needs a writable HOME and cache on
 * a read-only root filesystem: both live on the /tmp emptyDir.
 */
export function migrationEnv(args: MigrationEnvArgs): Record<string, string> {
  return {
    DATABASE_HOST: args.adminEndpoint.host,
    DATABASE_PORT: String(args.adminEndpoint.port),
    DATABASE_NAME: args.databaseName,
    DATABASE_SSL: "true",
    DATABASE_SSL_MODE: args.sslMode,
    ...(args.sslRootCert ? { DATABASE_SSL_ROOT_CERT: args.sslRootCert } : {}),
    DATABASE_SCHEMA: args.schema,
    ...args.schemaVariables,
    DATABASE_STATEMENT_TIMEOUT_MS: String(args.statementTimeoutMs),
    DATABASE_LOCK_TIMEOUT_MS: String(args.lockTimeoutMs),
    PGOPTIONS: `-c lock_timeout=${args.lockTimeoutMs} -c statement_timeout=${args.statementTimeoutMs}`,
    NODE_ENV: args.nodeEnv,
    HOME: "/tmp",
    npm_config_cache: "/tmp/.npm",
  };
}

export interface ServiceWorkloadArgs {
  /** Service key: name of the Deployment, Service and labels. */
  readonly key: string;
  /** The service's schema (`DATABASE_SCHEMA`). */
  readonly schema: string;
  /**
   * `<PREFIX>_DATABASE_SCHEMA` of its own schema and of each schema it may read (`readsFrom`):
   * the guide's variable names, for exactly the schemas this service can reach.
   */
  readonly schemaVariables: Readonly<Record<string, string>>;
  /** Database name, SSL mode and NODE_ENV, for the migration Job (which reads no ConfigMap). */
  readonly databaseName: string;
  readonly sslMode: string;
  readonly nodeEnv: string;
  /** Namespace (an Output of the Namespace when the program creates it). */
  readonly namespace: pulumi.Input<string>;
  /** `<registry>/<service>:<tag>` */
  readonly image: string;
  /** Image tag: the version label and the migration Job's name. */
  readonly tag: string;
  readonly imagePullPolicy: string;
  /** Pods, when not autoscaled; with `autoscaling` the Deployment leaves the count to the HPA. */
  readonly replicas: number;
  /** A HorizontalPodAutoscaler on CPU between these bounds. @default none (fixed `replicas`) */
  readonly autoscaling?: Autoscaling;
  readonly resources: Resources;
  /** The container port and the startup, liveness and readiness paths. */
  readonly probe: Probe;
  /** Topology spread of the pods across zones and hosts. @default off */
  readonly topologySpread?: { readonly zones: SpreadMode; readonly hosts: SpreadMode };
  /** TypeORM pool settings of this service (`DATABASE_POOL_*`). */
  readonly pool: { readonly max: number; readonly min: number; readonly idleTimeoutMillis: number };
  /** Command of the migration Job. */
  readonly migrationCommand: readonly string[];
  /** The migrator's statement and lock timeouts, in ms. */
  readonly migrationTimeouts: { readonly statementTimeoutMs: number; readonly lockTimeoutMs: number };
  /** The project's CA certificate (PEM), for verify-ca/verify-full. @default none */
  readonly sslRootCert?: string;
  /** The shared ConfigMap's name (an Output, so the Deployment waits for it) and data (for the checksum). */
  readonly configMap: { readonly name: pulumi.Input<string>; readonly data: Readonly<Record<string, string>> };
  /** Secret with DATABASE_USERNAME/DATABASE_PASSWORD of the active runtime user. */
  readonly appSecretName: pulumi.Input<string>;
  /** Secret with the migrator's credentials: the Job's only. */
  readonly migratorSecretName: pulumi.Input<string>;
  /** Where migrations connect (session pooler or direct host, 5432). */
  readonly adminEndpoint: Endpoint;
  /** The active runtime user and its rotation value: a change rolls the pods. */
  readonly activeUser: RuntimeUser;
  readonly activeRotation: string;
  /** JWT_SECRET, for the services that issue tokens only. @default none */
  readonly jwt?: { readonly secretName: pulumi.Input<string>; readonly rotation: string };
  /** What the Job waits for: the service's database access (schema, roles, grants). */
  readonly database: pulumi.Resource;
}

export class ServiceWorkload extends pulumi.ComponentResource {
  public readonly deploymentName: pulumi.Output<string>;
  public readonly serviceName: pulumi.Output<string>;
  public readonly migrationJobName: pulumi.Output<string>;
  /** The Job, for workers that run this service's code and must wait for its migrations too. */
  public readonly migrationJob: batchv1.Job;
  /** The pod template's rollout checksum (plain; the plan shows why pods roll). */
  public readonly rolloutChecksum: string;

  constructor(name: string, args: ServiceWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:workloads:ServiceWorkload", name, {}, opts);
    if (args.adminEndpoint.kind === "transaction-pooler") {
      throw new Error(`ServiceWorkload ${name}: adminEndpoint must be the session pooler or the direct host; migrations fail on the transaction pooler`);
    }
    checkReplicas(`ServiceWorkload ${name}`, args.replicas, `services.${args.key}.replicas`);
    const scaling = args.autoscaling;
    if (scaling) {
      checkReplicas(`ServiceWorkload ${name}`, scaling.minReplicas, `services.${args.key}.autoscaling.minReplicas`);
      if (scaling.maxReplicas < scaling.minReplicas) {
        throw new Error(`ServiceWorkload ${name}: autoscaling.maxReplicas (${scaling.maxReplicas}) is below minReplicas (${scaling.minReplicas}); set services.${args.key}.autoscaling`);
      }
    }
    for (const key of Object.keys(args.schemaVariables)) {
      if (!/^[A-Z][A-Z0-9_]*_DATABASE_SCHEMA$/.test(key)) throw new Error(`ServiceWorkload ${name}: schemaVariables key ${key} is not a <PREFIX>_DATABASE_SCHEMA variable`);
    }
    const parent = { parent: this };
    const labels = workloadLabels(args.key, COMPONENT.api, labelValue(args.tag), GUIDE_APP_LABEL.service);
    const selector = selectorLabels(args.key);
    const resources = resourceRequirements(args.resources);

    // Migrations: session pooler or direct host, as the migrator (which acts as the owner role).
    const jobName = migrationJobName(args.key, args.tag);
    const migrationLabels = workloadLabels(`${args.key}-migrate`, COMPONENT.migration, labelValue(args.tag), `${args.key}-migrate`);
    this.migrationJob = new batchv1.Job(
      `${name}-migrate`,
      {
        metadata: {
          name: jobName,
          namespace: args.namespace,
          labels: migrationLabels,
          // The provider keeps awaiting a Job that failed in an earlier update; with this it
          // replaces it instead, so after a fix the next `pulumi up` re-runs the migrations
          // without a `kubectl delete` (@pulumi/kubernetes batch/v1/job.d.ts).
          annotations: { "pulumi.com/replaceUnready": "true" },
        },
        spec: {
          activeDeadlineSeconds: MIGRATION_JOB.activeDeadlineSeconds,
          backoffLimit: MIGRATION_JOB.backoffLimit,
          ttlSecondsAfterFinished: MIGRATION_JOB.ttlSecondsAfterFinished,
          template: {
            metadata: { labels: migrationLabels },
            spec: {
              ...POD_BASICS,
              restartPolicy: "Never",
              containers: [
                {
                  name: "migrate",
                  image: args.image,
                  imagePullPolicy: args.imagePullPolicy,
                  command: [...args.migrationCommand],
                  // No envFrom: the shared ConfigMap describes the transaction pooler (6543),
                  // which DDL must not use; this env is the whole truth for the Job.
                  env: [
                    ...plainEnv(
                      migrationEnv({
                        adminEndpoint: args.adminEndpoint,
                        databaseName: args.databaseName,
                        sslMode: args.sslMode,
                        nodeEnv: args.nodeEnv,
                        schema: args.schema,
                        ...args.migrationTimeouts,
                        ...(args.sslRootCert ? { sslRootCert: args.sslRootCert } : {}),
                        schemaVariables: Object.fromEntries(Object.entries(args.schemaVariables).filter(([, schema]) => schema === args.schema)),
                      }),
                    ),
                    ...envFromSecret(args.migratorSecretName, CREDENTIAL_ENV),
                  ],
                  resources,
                  securityContext: CONTAINER_SECURITY_CONTEXT,
                  volumeMounts: [TMP_MOUNT],
                },
              ],
            },
          },
        },
      },
      {
        ...parent,
        // The roles, schema and grants must exist before a migration connects; nothing in the
        // Job's inputs refers to them (the migrator Secret only waits for the migrator role).
        dependsOn: [args.database],
        // A Job's template is immutable: a change replaces it, and with an unchanged tag the
        // new Job has the old one's name.
        deleteBeforeReplace: true,
        // The provider awaits completion (a failed Job fails the update at once); allow the
        // deadline plus scheduling and image pull.
        customTimeouts: { create: `${MIGRATION_JOB.activeDeadlineSeconds + 300}s`, update: `${MIGRATION_JOB.activeDeadlineSeconds + 300}s` },
      },
    );

    this.rolloutChecksum = rolloutChecksum({
      config: args.configMap.data,
      activeUser: args.activeUser,
      activeRotation: args.activeRotation,
      jwtRotation: args.jwt?.rotation ?? null,
    });
    const port = { name: "http", containerPort: args.probe.port, protocol: "TCP" };
    const spread = topologySpread(selector, args.topologySpread ?? { zones: "off", hosts: "off" });
    const deployment = new appsv1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: args.key, namespace: args.namespace, labels },
        spec: {
          // With an HPA the count is the autoscaler's: a `replicas` here would be applied back on
          // every `pulumi up`, resetting its decision, and under Server-Side Apply conflict with
          // the HPA controller that owns the field once it scaled (pulumi-kubernetes forces only
          // with `pulumi.com/patchForce`: provider/pkg/await/await.go `patchForce`). README
          // "Kubernetes workloads", Autoscaling.
          ...(scaling ? {} : { replicas: args.replicas }),
          selector: { matchLabels: selector },
          strategy: ROLLING_UPDATE,
          template: {
            metadata: { labels, annotations: { [ROLLOUT_CHECKSUM_ANNOTATION]: this.rolloutChecksum } },
            spec: {
              ...POD_BASICS,
              ...(spread.length ? { topologySpreadConstraints: spread } : {}),
              containers: [
                {
                  name: args.key,
                  image: args.image,
                  imagePullPolicy: args.imagePullPolicy,
                  ports: [port],
                  envFrom: [{ configMapRef: { name: args.configMap.name } }],
                  env: [
                    ...plainEnv({
                      DATABASE_SCHEMA: args.schema,
                      ...args.schemaVariables,
                      DATABASE_POOL_MAX: String(args.pool.max),
                      DATABASE_POOL_MIN: String(args.pool.min),
                      DATABASE_POOL_IDLE_TIMEOUT_MS: String(args.pool.idleTimeoutMillis),
                      PORT: String(args.probe.port),
                    }),
                    ...envFromSecret(args.appSecretName, CREDENTIAL_ENV),
                    ...(args.jwt ? envFromSecret(args.jwt.secretName, { JWT_SECRET: "JWT_SECRET" }) : []),
                  ],
                  resources,
                  ...httpProbes(args.probe, port.name),
                  securityContext: CONTAINER_SECURITY_CONTEXT,
                  volumeMounts: [TMP_MOUNT],
                },
              ],
            },
          },
        },
      },
      // Migrations first: Pulumi starts the rollout only once this version's Job completed.
      { ...parent, dependsOn: [this.migrationJob] },
    );

    const service = new corev1.Service(
      `${name}-service`,
      {
        metadata: { name: args.key, namespace: args.namespace, labels },
        spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
      },
      parent,
    );

    if (scaling) {
      new autoscalingv2.HorizontalPodAutoscaler(
        `${name}-hpa`,
        {
          metadata: { name: args.key, namespace: args.namespace, labels },
          spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
            minReplicas: scaling.minReplicas,
            maxReplicas: scaling.maxReplicas,
            // Utilization is relative to the containers' CPU requests, which every pod here sets.
            metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: scaling.targetCPUUtilizationPercentage } } }],
          },
        },
        parent,
      );
    }

    disruptionBudget(
      `${name}-pdb`,
      { maxReplicas: scaling?.maxReplicas ?? args.replicas, metadata: { name: args.key, namespace: args.namespace, labels }, selector },
      this,
    );

    this.deploymentName = deployment.metadata.name;
    this.serviceName = service.metadata.name;
    this.migrationJobName = this.migrationJob.metadata.name;
    this.registerOutputs({ deploymentName: this.deploymentName, serviceName: this.serviceName, migrationJobName: this.migrationJobName });
  }
}
