/**
 * The whole platform for one stack: database baseline, and per enabled service its credentials,
 * database access and workload. Services are independent chains so Pulumi deploys them in
 * parallel; only config (`readsFrom`, Temporal services) links them.
 */
import * as corev1 from "@pulumi/kubernetes/core/v1";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "./config/config";
import { ConnectionBudget, serviceLimits } from "./database/connectionBudget";
import { DatabaseBaseline } from "./database/databaseBaseline";
import { ServiceSettings, portOf } from "./config/configSchema";
import { serviceByKey } from "./config/catalogue";
import { ExternalSecretsStore } from "./credentials/externalSecretsStore";
import { awsSecretName, loginName, platformSecretName } from "./config/naming";
import { NetworkPolicies } from "./workloads/networkPolicies";
import { PlatformConfigMap } from "./workloads/platformConfigMap";
import { PLATFORM_SECRET_IDS, PlatformSecrets } from "./credentials/platformSecrets";
import { DeliverySettings } from "./credentials/secretDelivery";
import { ServiceCredentials } from "./credentials/serviceCredentials";
import { ServiceDatabase } from "./database/serviceDatabase";
import { ServiceSecrets } from "./credentials/serviceSecrets";
import { ServiceWorkload } from "./workloads/serviceWorkload";
import { TemporalWorkers } from "./workloads/temporalWorkers";

/** Services ordered so that every reader comes before the services it reads. */
export function readersFirst(services: readonly ServiceSettings[]): ServiceSettings[] {
  const done = new Set<string>();
  const ordered: ServiceSettings[] = [];
  const visit = (svc: ServiceSettings, path: string[]) => {
    if (done.has(svc.service.key)) return;
    if (path.includes(svc.service.key)) throw new Error(`readsFrom cycle: ${[...path, svc.service.key].join(" -> ")}`);
    for (const reader of services.filter((o) => o.readsFrom.includes(svc.service.key))) visit(reader, [...path, svc.service.key]);
    done.add(svc.service.key);
    ordered.push(svc);
  };
  for (const svc of services) visit(svc, []);
  return ordered;
}

export interface PlatformArgs {
  /** The validated stack configuration (config.ts). */
  readonly config: PlatformConfig;
  /**
   * The stack's connection budget (`database/connectionBudget.ts`): the logins' CONNECTION LIMITs
   * come from it. The program refuses a stack over budget before building the platform.
   */
  readonly connectionBudget: ConnectionBudget;
}

/** What the platform declares for one service. */
export interface ServicePlatform {
  readonly credentials: ServiceCredentials;
  readonly database: ServiceDatabase;
  /** Its Kubernetes Secrets: `appSecretName` for the pods, `migratorSecretName` for the migration Job. */
  readonly secrets: ServiceSecrets;
  /** Its migration Job, Deployment, Service, HorizontalPodAutoscaler and PodDisruptionBudget. */
  readonly workload: ServiceWorkload;
}

export class Platform extends pulumi.ComponentResource {
  public readonly baseline: DatabaseBaseline;
  /** Keyed by service key, enabled services only, in catalogue order. */
  public readonly services: ReadonlyMap<string, ServicePlatform>;
  /** JWT_SECRET and TEMPORAL_API_KEY (Secrets Manager and Kubernetes). */
  public readonly platformSecrets: PlatformSecrets;
  /** The IRSA SecretStore, when delivery is external-secrets without a ClusterSecretStore. */
  public readonly secretStore?: ExternalSecretsStore;
  /** The namespace everything Kubernetes lives in (an Output of the Namespace when created here). */
  public readonly namespace: pulumi.Output<string>;
  /** `volteryde-config`. */
  public readonly configMap: PlatformConfigMap;
  public readonly temporalWorkers: TemporalWorkers;
  /** The namespace's NetworkPolicies, unless `kubernetes.networkPolicies.enabled` is false. */
  public readonly networkPolicies?: NetworkPolicies;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:index:Platform", name, {}, opts);
    const config = args.config;

    this.baseline = new DatabaseBaseline(
      "database",
      { database: config.database, publicSchema: config.db.publicSchema },
      { parent: this },
    );

    const credentials = new Map<string, ServiceCredentials>();
    for (const svc of config.services) {
      const key = svc.service.key;
      credentials.set(
        key,
        new ServiceCredentials(
          key,
          {
            service: svc,
            stack: config.stack,
            projectRef: config.projectRef,
            database: config.database,
            sslMode: config.sslMode,
            runtimeEndpoint: config.runtimeEndpoint,
            adminEndpoint: config.adminEndpoint,
            kmsKeyArn: config.secrets.kmsKeyArn,
            recoveryWindowInDays: config.secrets.recoveryWindowInDays,
            protect: config.protect,
          },
          { parent: this },
        ),
      );
    }

    // A schema's reader grants name the reader's `_app` role, which must exist first: build
    // readers before the services they read (config rejects cycles).
    const databases = new Map<string, ServiceDatabase>();
    for (const svc of readersFirst(config.services)) {
      const key = svc.service.key;
      const readers = config.services
        .filter((other) => other.readsFrom.includes(key))
        .map((other) => ({ key: other.service.key, role: databases.get(other.service.key)!.appRoleName }));
      databases.set(
        key,
        new ServiceDatabase(
          key,
          {
            service: svc,
            database: config.database,
            passwords: credentials.get(key)!.passwords,
            connectionLimits: serviceLimits(args.connectionBudget, key),
            statementTimeoutMs: config.db.statementTimeoutMs,
            migratorStatementTimeoutMs: config.db.migratorStatementTimeoutMs,
            idleInTransactionSessionTimeoutMs: config.db.idleInTransactionSessionTimeoutMs,
            readers,
            readOnlyRole: svc.readOnlyRole,
            protect: config.protect,
          },
          { parent: this },
        ),
      );
    }

    // Every Kubernetes object names the namespace through this Output, so it waits for the
    // Namespace when the program creates it. Deleting a namespace deletes everything in it:
    // retained and protected in protected stacks (no documented operation deletes it).
    const namespace = config.kubernetes.createNamespace
      ? new corev1.Namespace(
          "namespace",
          {
            metadata: {
              name: config.kubernetes.namespace,
              labels: {
                // Every pod here meets the restricted Pod Security Standard; enforce it.
                "pod-security.kubernetes.io/enforce": "restricted",
                "app.kubernetes.io/part-of": "volteryde",
                "app.kubernetes.io/managed-by": "pulumi",
              },
            },
          },
          { parent: this, retainOnDelete: config.protect, protect: config.protect },
        ).metadata.name
      : pulumi.output(config.kubernetes.namespace);
    this.namespace = namespace;
    this.configMap = new PlatformConfigMap(
      "shared",
      {
        namespace,
        runtimeEndpoint: config.runtimeEndpoint,
        database: config.database,
        sslMode: config.sslMode,
        ...(config.sslRootCertificate ? { sslRootCert: config.sslRootCertificate.pem } : {}),
        supabaseUrl: config.supabaseUrl,
        nodeEnv: config.nodeEnv,
      },
      { parent: this },
    );
    const np = config.kubernetes.networkPolicies;
    if (np.enabled) {
      this.networkPolicies = new NetworkPolicies(
        "network",
        {
          namespace,
          restrictEgress: np.restrictEgress,
          dns: np.dns,
          database: { runtimePort: config.runtimeEndpoint.port, adminPort: config.adminEndpoint.port, cidrs: np.databaseCidrs },
          temporal: {
            port: portOf(config.temporal.address),
            cidrs: np.temporalCidrs,
            usesDatabase: config.temporal.services.length > 0,
            egress: config.temporal.egress,
          },
          services: config.services.map((svc) => ({ key: svc.service.key, port: svc.probe.port, ingress: svc.ingress, egress: svc.egress })),
        },
        { parent: this },
      );
    }
    const es = config.externalSecrets;
    if (config.secretsDelivery === "external-secrets" && !es.clusterSecretStore) {
      this.secretStore = new ExternalSecretsStore(
        "external-secrets",
        {
          namespace,
          region: config.awsRegion,
          oidcProviderArn: es.oidcProviderArn!,
          secretNames: [
            ...config.services.flatMap((svc) => [awsSecretName(config.stack, svc.service.key, "app"), awsSecretName(config.stack, svc.service.key, "migrator")]),
            ...Object.values(PLATFORM_SECRET_IDS).map((id) => platformSecretName(config.stack, id)),
          ],
          kmsKeyArn: config.secrets.kmsKeyArn,
          tags: { Environment: config.stack, Service: "platform", ManagedBy: "pulumi" },
        },
        { parent: this },
      );
    }
    const delivery: DeliverySettings =
      config.secretsDelivery === "kubernetes"
        ? { mode: "kubernetes", namespace }
        : {
            mode: "external-secrets",
            namespace,
            store: this.secretStore?.storeRef ?? { name: es.clusterSecretStore!, kind: "ClusterSecretStore" },
            refreshInterval: es.refreshInterval,
          };
    const enabled = new Set(config.services.map((svc) => svc.service.key));
    this.platformSecrets = new PlatformSecrets(
      "platform",
      {
        stack: config.stack,
        jwtRotation: config.secrets.jwtRotation,
        jwtServices: config.secrets.jwtServices.filter((key) => enabled.has(key)),
        temporalApiKey: config.credentials.temporalApiKey,
        kmsKeyArn: config.secrets.kmsKeyArn,
        recoveryWindowInDays: config.secrets.recoveryWindowInDays,
        protect: config.protect,
        delivery,
      },
      { parent: this },
    );

    const services = new Map<string, ServicePlatform>();
    for (const svc of config.services) {
      const key = svc.service.key;
      const creds = credentials.get(key)!;
      const database = databases.get(key)!;
      // User names as Outputs of the database roles: a Secret names a login only once the role
      // (with its current password) exists, so pods never read a user the database lacks.
      const secrets = new ServiceSecrets(
        key,
        {
          service: svc.service,
          app: {
            ...creds.app,
            username: database.userNames[creds.activeUser].apply((role) => loginName(role, config.runtimeEndpoint, config.projectRef)),
          },
          migrator: {
            ...creds.migrator,
            username: database.migratorName.apply((role) => loginName(role, config.adminEndpoint, config.projectRef)),
          },
          delivery,
        },
        { parent: this },
      );
      const workload = new ServiceWorkload(
        key,
        {
          key,
          schema: svc.service.schema,
          schemaVariables: Object.fromEntries([svc.service, ...svc.readsFrom.map(serviceByKey)].map((d) => [d.schemaEnvVar, d.schema])),
          databaseName: config.database,
          sslMode: config.sslMode,
          nodeEnv: config.nodeEnv,
          namespace,
          image: svc.image,
          tag: config.images.tag,
          imagePullPolicy: config.images.pullPolicy,
          replicas: svc.replicas,
          autoscaling: svc.autoscaling,
          resources: svc.resources,
          probe: svc.probe,
          topologySpread: config.kubernetes.topologySpread,
          pool: svc.pool,
          migrationCommand: svc.migrationCommand,
          migrationTimeouts: { statementTimeoutMs: config.db.migratorStatementTimeoutMs, lockTimeoutMs: config.db.migratorLockTimeoutMs },
          ...(config.sslRootCertificate ? { sslRootCert: config.sslRootCertificate.pem } : {}),
          configMap: this.configMap,
          appSecretName: secrets.appSecretName,
          migratorSecretName: secrets.migratorSecretName,
          adminEndpoint: config.adminEndpoint,
          activeUser: svc.rotation.active,
          activeRotation: svc.rotation[svc.rotation.active],
          jwt: this.platformSecrets.jwtServices.includes(key)
            ? { secretName: this.platformSecrets.jwt.kubernetesSecretName, rotation: config.secrets.jwtRotation }
            : undefined,
          database,
        },
        { parent: this },
      );
      services.set(key, { credentials: creds, database, secrets, workload });
    }
    this.services = services;

    this.temporalWorkers = new TemporalWorkers(
      "temporal",
      {
        namespace,
        image: `${config.images.registry}/${config.temporal.image}:${config.images.tag}`,
        tag: config.images.tag,
        imagePullPolicy: config.images.pullPolicy,
        replicas: config.temporal.replicas,
        resources: config.defaults.resources,
        configMap: this.configMap,
        temporalAddress: config.temporal.address,
        temporalNamespace: config.temporal.namespace,
        nodeEnv: config.nodeEnv,
        probe: config.temporal.probe.enabled ? config.temporal.probe : undefined,
        topologySpread: config.kubernetes.topologySpread,
        temporalApiKey: { secretName: this.platformSecrets.temporalApiKey.kubernetesSecretName, versionId: this.platformSecrets.temporalApiKey.versionId },
        services: config.temporal.services.map((key) => {
          const svc = config.services.find((s) => s.service.key === key)!;
          const p = services.get(key)!;
          return {
            service: svc.service,
            appSecretName: p.secrets.appSecretName,
            pool: svc.pool,
            activeUser: svc.rotation.active,
            activeRotation: svc.rotation[svc.rotation.active],
            migrationJob: p.workload.migrationJob,
          };
        }),
      },
      { parent: this },
    );
    // Recorded with the component, so the offline plan reads the budget from the captured graph.
    const budget = args.connectionBudget;
    this.registerOutputs({ connectionBudget: { limits: budget.limits, rows: budget.rows, totals: budget.totals } });
  }
}
