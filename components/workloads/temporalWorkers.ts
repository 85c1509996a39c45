/**
 * The Temporal workers: one Deployment `temporal-workers` labelled
 * `app: temporal-workers` (the guide's `kubectl get pods -l app=temporal-workers`), with the
 * Temporal address and namespace (ConfigMap), TEMPORAL_API_KEY (its own Secret), and the database
 * credentials of ONLY the services whose workflows it runs (`temporal.services`), each as
 * `<PREFIX>_DATABASE_USERNAME` / `<PREFIX>_DATABASE_PASSWORD` next to the ConfigMap's
 * `<PREFIX>_DATABASE_SCHEMA`. Plus a PodDisruptionBudget when replicas > 1.
 *
 * Workers open no port, so there is no Service and no HTTP probe.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ServiceDefinition } from "../config/catalogue";
import { Resources } from "../config/configSchema";
import { RuntimeUser } from "../config/naming";
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
  resourceRequirements,
  rolloutChecksum,
  selectorLabels,
  workloadLabels,
} from "./podTemplate";

/** Annotation with the Secrets Manager version of TEMPORAL_API_KEY: a new key rolls the workers. */
export const TEMPORAL_KEY_VERSION_ANNOTATION = "volteryde.io/temporal-api-key-version";

/** Name of the Deployment (and of the pods' `app.kubernetes.io/name`). */
export const TEMPORAL_WORKERS_NAME = "temporal-workers";

/** One service whose workflows the workers run. */
export interface WorkerService {
  readonly service: ServiceDefinition;
  /** Its runtime credentials Secret (DATABASE_USERNAME / DATABASE_PASSWORD). */
  readonly appSecretName: pulumi.Input<string>;
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
  /** The shared ConfigMap's name and data. */
  readonly configMap: { readonly name: pulumi.Input<string>; readonly data: Readonly<Record<string, string>> };
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

    const labels = workloadLabels(TEMPORAL_WORKERS_NAME, "worker", labelValue(args.tag), GUIDE_APP_LABEL.temporal);
    const selector = selectorLabels(TEMPORAL_WORKERS_NAME);
    this.rolloutChecksum = rolloutChecksum({
      config: args.configMap.data,
      services: Object.fromEntries(args.services.map((s) => [s.service.key, { activeUser: s.activeUser, activeRotation: s.activeRotation }])),
    });

    const deployment = new k8s.apps.v1.Deployment(
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
              containers: [
                {
                  name: "worker",
                  image: args.image,
                  imagePullPolicy: args.imagePullPolicy,
                  envFrom: [{ configMapRef: { name: args.configMap.name } }],
                  env: [
                    ...envFromSecret(args.temporalApiKey.secretName, { TEMPORAL_API_KEY: "TEMPORAL_API_KEY" }),
                    ...args.services.flatMap((s) =>
                      envFromSecret(s.appSecretName, {
                        [`${envPrefix(s.service)}_DATABASE_USERNAME`]: "DATABASE_USERNAME",
                        [`${envPrefix(s.service)}_DATABASE_PASSWORD`]: "DATABASE_PASSWORD",
                      }),
                    ),
                  ],
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

    disruptionBudget(`${name}-pdb`, { replicas: args.replicas, metadata: { name: TEMPORAL_WORKERS_NAME, namespace: args.namespace, labels }, selector }, this);

    this.deploymentName = deployment.metadata.name;
    this.registerOutputs({ deploymentName: this.deploymentName });
  }
}
