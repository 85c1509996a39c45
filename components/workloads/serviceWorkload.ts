/**
 * One NestJS service on Kubernetes:
 *
 *   <svc>-migrate     Job `<svc>-migrate-<tag>`: runs the migrations of this image as the
 *                     migrator, on the session pooler or direct host (5432), after the service's
 *                     database access exists (dependsOn the ServiceDatabase)
 *   <svc>-deployment  Deployment `<svc>`: dependsOn the Job, so Pulumi rolls the new pods only
 *                     after their migrations succeeded (the provider awaits Job completion)
 *   <svc>-service     ClusterIP Service `<svc>`
 *   <svc>-pdb         PodDisruptionBudget, when replicas > 1
 *
 * Pods read the shared ConfigMap, their own schema and their own credentials Secret; nothing
 * of another service. The pod template carries a checksum of the non-secret inputs that change
 * on rotation or config change, so such a change rolls the pods in both secret-delivery modes.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Endpoint, Probe, Resources } from "../config/configSchema";
import { RuntimeUser, migrationJobName } from "../config/naming";
import {
  CONTAINER_SECURITY_CONTEXT,
  GUIDE_APP_LABEL,
  POD_BASICS,
  ROLLING_UPDATE,
  ROLLOUT_CHECKSUM_ANNOTATION,
  TMP_MOUNT,
  checkReplicas,
  disruptionBudget,
  envFromSecret,
  labelValue,
  plainEnv,
  resourceRequirements,
  rolloutChecksum,
  selectorLabels,
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

export interface ServiceWorkloadArgs {
  /** Service key: name of the Deployment, Service and labels. */
  readonly key: string;
  /** The service's schema (`DATABASE_SCHEMA`). */
  readonly schema: string;
  /** Namespace (an Output of the Namespace when the program creates it). */
  readonly namespace: pulumi.Input<string>;
  /** `<registry>/<service>:<tag>` */
  readonly image: string;
  /** Image tag: the version label and the migration Job's name. */
  readonly tag: string;
  readonly imagePullPolicy: string;
  readonly replicas: number;
  readonly resources: Resources;
  /** HTTP path and port of the readiness and liveness probes (also the container port). */
  readonly probe: Probe;
  /** TypeORM pool settings of this service (override the ConfigMap's defaults). */
  readonly pool: { readonly max: number; readonly min: number; readonly idleTimeoutMillis: number };
  /** Command of the migration Job. */
  readonly migrationCommand: readonly string[];
  /** The shared ConfigMap's name (an Output, so pods wait for it) and data (for the checksum). */
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
  public readonly migrationJob: k8s.batch.v1.Job;
  /** The pod template's rollout checksum (plain; the plan shows why pods roll). */
  public readonly rolloutChecksum: string;

  constructor(name: string, args: ServiceWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:workloads:ServiceWorkload", name, {}, opts);
    if (args.adminEndpoint.kind === "transaction-pooler") {
      throw new Error(`ServiceWorkload ${name}: adminEndpoint must be the session pooler or the direct host; migrations fail on the transaction pooler`);
    }
    checkReplicas(`ServiceWorkload ${name}`, args.replicas, `services.${args.key}.replicas`);
    const parent = { parent: this };
    const labels = workloadLabels(args.key, "api", labelValue(args.tag), GUIDE_APP_LABEL.service);
    const selector = selectorLabels(args.key);
    const resources = resourceRequirements(args.resources);

    // Migrations: session pooler or direct host, as the migrator (which acts as the owner role).
    const jobName = migrationJobName(args.key, args.tag);
    const migrationLabels = workloadLabels(`${args.key}-migrate`, "migration", labelValue(args.tag), `${args.key}-migrate`);
    this.migrationJob = new k8s.batch.v1.Job(
      `${name}-migrate`,
      {
        metadata: { name: jobName, namespace: args.namespace, labels: migrationLabels },
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
                  envFrom: [{ configMapRef: { name: args.configMap.name } }],
                  env: [
                    // Overrides the ConfigMap's transaction pooler: DDL needs a session.
                    ...plainEnv({ DATABASE_HOST: args.adminEndpoint.host, DATABASE_PORT: String(args.adminEndpoint.port), DATABASE_SCHEMA: args.schema }),
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
    const probe = (initialDelaySeconds: number, periodSeconds: number) => ({
      httpGet: { path: args.probe.path, port: "http" },
      initialDelaySeconds,
      periodSeconds,
      timeoutSeconds: 3,
      failureThreshold: 3,
    });
    const deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: args.key, namespace: args.namespace, labels },
        spec: {
          replicas: args.replicas,
          selector: { matchLabels: selector },
          strategy: ROLLING_UPDATE,
          template: {
            metadata: { labels, annotations: { [ROLLOUT_CHECKSUM_ANNOTATION]: this.rolloutChecksum } },
            spec: {
              ...POD_BASICS,
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
                      DATABASE_POOL_MAX: String(args.pool.max),
                      DATABASE_POOL_MIN: String(args.pool.min),
                      DATABASE_POOL_IDLE_TIMEOUT_MS: String(args.pool.idleTimeoutMillis),
                      PORT: String(args.probe.port),
                    }),
                    ...envFromSecret(args.appSecretName, CREDENTIAL_ENV),
                    ...(args.jwt ? envFromSecret(args.jwt.secretName, { JWT_SECRET: "JWT_SECRET" }) : []),
                  ],
                  resources,
                  readinessProbe: probe(5, 10),
                  livenessProbe: probe(30, 20),
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

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: args.key, namespace: args.namespace, labels },
        spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
      },
      parent,
    );

    disruptionBudget(`${name}-pdb`, { replicas: args.replicas, metadata: { name: args.key, namespace: args.namespace, labels }, selector }, this);

    this.deploymentName = deployment.metadata.name;
    this.serviceName = service.metadata.name;
    this.migrationJobName = this.migrationJob.metadata.name;
    this.registerOutputs({ deploymentName: this.deploymentName, serviceName: this.serviceName, migrationJobName: this.migrationJobName });
  }
}
