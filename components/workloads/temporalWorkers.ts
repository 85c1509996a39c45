/**
 * The Temporal workers: one Deployment `temporal-workers` labelled
 * `app: temporal-workers` (the guide's `kubectl get pods -l app=temporal-workers`), with
 * TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, TEMPORAL_API_KEY (its own Secret), and for ONLY the
 * services whose workflows it runs (`temporal.services`) `<PREFIX>_DATABASE_SCHEMA`,
 * `<PREFIX>_DATABASE_USERNAME` / `_PASSWORD` and `<PREFIX>_DATABASE_POOL_*` (that service's pool).
 * The shared ConfigMap (the transaction pooler) only when it runs some service's workflows;
 * otherwise it does not touch the database and its env says only NODE_ENV. Plus a
 * PodDisruptionBudget when replicas > 1.
 *
 * Workers serve no traffic, so there is no Service. Their health (config `temporal.probe`) is an
 * HTTP endpoint the worker image serves on a `health` port: liveness while the SDK Worker has not
 * failed, readiness while it is running and polling (README "Temporal workers"). Readiness gates
 * a rollout: with `maxUnavailable: 0` an old worker stops only once a new one polls.
 */
import * as appsv1 from "@pulumi/kubernetes/apps/v1";
import * as pulumi from "@pulumi/pulumi";
import { ServiceDefinition } from "../config/catalogue";
import { Pool, Resources, SpreadMode, TEMPORAL_WORKERS } from "../config/configSchema";
import { RuntimeUser } from "../config/naming";
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

/** Annotation with the Secrets Manager version of TEMPORAL_API_KEY: a new key rolls the workers. */
export const TEMPORAL_KEY_VERSION_ANNOTATION = "volteryde.io/temporal-api-key-version";

/** Name of the Deployment (and of the pods' `app.kubernetes.io/name`). */
export const TEMPORAL_WORKERS_NAME = TEMPORAL_WORKERS;

/** One service whose workflows the workers run. */
export interface WorkerService {
  readonly service: ServiceDefinition;
  /** Its runtime credentials Secret (DATABASE_USERNAME / DATABASE_PASSWORD). */
  readonly appSecretName: pulumi.Input<string>;
  /** Its pool settings: each worker pod opens a pool per service, as one of its pods would. */
  readonly pool: Pool;
  /** Active user and its rotation value: a change rolls the workers too. */
  readonly activeUser: RuntimeUser;
  readonly activeRotation: string;
  /** The service's migration Job: the workers run this version's code against its schema. */
  readonly migrationJob: pulumi.Resource;
}

export interface TemporalWorkersArgs {
  readonly namespace: pulumi.Input<string>;
  /** `<registry>/<temporal.image>:<tag>` */
  readonly image: string;
  readonly tag: string;
  readonly imagePullPolicy: string;
  readonly replicas: number;
  readonly resources: Resources;
  /** The shared ConfigMap's name and data (read only when `services` is not empty). */
  readonly configMap: { readonly name: pulumi.Input<string>; readonly data: Readonly<Record<string, string>> };
  /** Temporal Cloud `host:port` and namespace. */
  readonly temporalAddress: string;
  readonly temporalNamespace: string;
  /** NODE_ENV (from the ConfigMap when the workers read it). */
  readonly nodeEnv: string;
  /** The health endpoint the worker image serves. @default none: no probe, and no port */
  readonly probe?: { readonly port: number; readonly livenessPath: string; readonly readinessPath: string; readonly startupTimeoutSeconds: number };
  /** Topology spread of the pods across zones and hosts. @default off */
  readonly topologySpread?: { readonly zones: SpreadMode; readonly hosts: SpreadMode };
  /** Secret with TEMPORAL_API_KEY, and the Secrets Manager version id of the key. */
  readonly temporalApiKey: { readonly secretName: pulumi.Input<string>; readonly versionId: pulumi.Input<string> };
  /** The services whose workflows it runs (config `temporal.services`); may be empty. */
  readonly services: readonly WorkerService[];
}

/** `BOOKING` for svc_booking: the prefix of the service's variables (`BOOKING_DATABASE_SCHEMA`). */
export function envPrefix(service: ServiceDefinition): string {
  return service.schemaEnvVar.replace(/_DATABASE_SCHEMA$/, "");
}

export class TemporalWorkers extends pulumi.ComponentResource {
  public readonly deploymentName: pulumi.Output<string>;
  public readonly rolloutChecksum: string;

  constructor(name: string, args: TemporalWorkersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:workloads:TemporalWorkers", name, {}, opts);
    checkReplicas(`TemporalWorkers ${name}`, args.replicas, "temporal.replicas");
    const keys = args.services.map((s) => s.service.key);
    if (new Set(keys).size !== keys.length) throw new Error(`TemporalWorkers ${name}: services listed twice: ${keys.join(", ")}`);

    const labels = workloadLabels(TEMPORAL_WORKERS_NAME, COMPONENT.worker, labelValue(args.tag), GUIDE_APP_LABEL.temporal);
    const selector = selectorLabels(TEMPORAL_WORKERS_NAME);
    // The pooler's settings only where a pool is opened: a worker without services never connects.
    const readsConfigMap = args.services.length > 0;
    this.rolloutChecksum = rolloutChecksum({
      config: readsConfigMap ? args.configMap.data : null,
      services: Object.fromEntries(args.services.map((s) => [s.service.key, { activeUser: s.activeUser, activeRotation: s.activeRotation }])),
    });
    const spread = topologySpread(selector, args.topologySpread ?? { zones: "off", hosts: "off" });
    const health = args.probe && { name: "health", containerPort: args.probe.port, protocol: "TCP" };

    const deployment = new appsv1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: TEMPORAL_WORKERS_NAME, namespace: args.namespace, labels },
        spec: {
          replicas: args.replicas,
          selector: { matchLabels: selector },
          strategy: ROLLING_UPDATE,
          template: {
            metadata: {
              labels,
              annotations: {
                [ROLLOUT_CHECKSUM_ANNOTATION]: this.rolloutChecksum,
                // The key comes from config, not from a rotation value: its (non-secret) version
                // id in Secrets Manager changes with it.
                [TEMPORAL_KEY_VERSION_ANNOTATION]: args.temporalApiKey.versionId,
              },
            },
            spec: {
              ...POD_BASICS,
              ...(spread.length ? { topologySpreadConstraints: spread } : {}),
              containers: [
                {
                  name: "worker",
                  image: args.image,
                  imagePullPolicy: args.imagePullPolicy,
                  ...(health ? { ports: [health] } : {}),
                  ...(readsConfigMap ? { envFrom: [{ configMapRef: { name: args.configMap.name } }] } : {}),
                  env: [
                    ...plainEnv({
                      ...(readsConfigMap ? {} : { NODE_ENV: args.nodeEnv }),
                      TEMPORAL_ADDRESS: args.temporalAddress,
                      TEMPORAL_NAMESPACE: args.temporalNamespace,
                      ...(args.probe ? { HEALTH_PORT: String(args.probe.port) } : {}),
                    }),
                    ...envFromSecret(args.temporalApiKey.secretName, { TEMPORAL_API_KEY: "TEMPORAL_API_KEY" }),
                    ...args.services.flatMap((s) => {
                      const prefix = envPrefix(s.service);
                      return [
                        ...plainEnv({
                          [`${prefix}_DATABASE_SCHEMA`]: s.service.schema,
                          [`${prefix}_DATABASE_POOL_MAX`]: String(s.pool.max),
                          [`${prefix}_DATABASE_POOL_MIN`]: String(s.pool.min),
                          [`${prefix}_DATABASE_POOL_IDLE_TIMEOUT_MS`]: String(s.pool.idleTimeoutMillis),
                        }),
                        ...envFromSecret(s.appSecretName, {
                          [`${prefix}_DATABASE_USERNAME`]: "DATABASE_USERNAME",
                          [`${prefix}_DATABASE_PASSWORD`]: "DATABASE_PASSWORD",
                        }),
                      ];
                    }),
                  ],
                  ...(health && args.probe
                    ? httpProbes({ ...args.probe, startupPath: args.probe.livenessPath }, health.name)
                    : {}),
                  resources: resourceRequirements(args.resources),
                  securityContext: CONTAINER_SECURITY_CONTEXT,
                  volumeMounts: [TMP_MOUNT],
                },
              ],
            },
          },
        },
      },
      // The workers run the new version's workflows against these schemas: their migrations first.
      { parent: this, dependsOn: args.services.map((s) => s.migrationJob) },
    );

    disruptionBudget(`${name}-pdb`, { maxReplicas: args.replicas, metadata: { name: TEMPORAL_WORKERS_NAME, namespace: args.namespace, labels }, selector }, this);

    this.deploymentName = deployment.metadata.name;
    this.registerOutputs({ deploymentName: this.deploymentName });
  }
}
