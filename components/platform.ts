/**
 * The whole platform for one stack: database baseline, and per enabled service its credentials,
 * database access and workload. Services are independent chains so Pulumi deploys them in
 * parallel; only config (`readsFrom`, Temporal services) links them.
 */
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "./config";
import { connectionLimits } from "./connectionBudget";
import { DatabaseBaseline } from "./databaseBaseline";
import { roleNames } from "./naming";
import { ServiceCredentials } from "./serviceCredentials";
import { ServiceDatabase } from "./serviceDatabase";

export interface PlatformArgs {
  /** The validated stack configuration (config.ts). */
  readonly config: PlatformConfig;
}

/** What the platform declares for one service. */
export interface ServicePlatform {
  readonly credentials: ServiceCredentials;
  readonly database: ServiceDatabase;
}

export class Platform extends pulumi.ComponentResource {
  public readonly baseline: DatabaseBaseline;
  /** Keyed by service key, enabled services only, in catalogue order. */
  public readonly services: ReadonlyMap<string, ServicePlatform>;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:index:Platform", name, {}, opts);
    const config = args.config;

    this.baseline = new DatabaseBaseline(
      "database",
      { database: config.database, publicSchema: config.db.publicSchema },
      { parent: this },
    );

    const services = new Map<string, ServicePlatform>();
    for (const svc of config.services) {
      const key = svc.service.key;
      const credentials = new ServiceCredentials(
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
      );
      const readers = config.services.filter((other) => other.readsFrom.includes(key)).map((other) => roleNames(other.service).app);
      const database = new ServiceDatabase(
        key,
        {
          service: svc,
          database: config.database,
          passwords: credentials.passwords,
          connectionLimits: connectionLimits(svc, {
            headroom: config.db.connectionHeadroom,
            migratorLimit: config.db.migratorConnectionLimit,
            temporalReplicas: config.temporal.services.includes(key) ? config.temporal.replicas : 0,
          }),
          statementTimeoutMs: config.db.statementTimeoutMs,
          idleInTransactionSessionTimeoutMs: config.db.idleInTransactionSessionTimeoutMs,
          readerRoles: readers,
          protect: config.protect,
        },
        { parent: this },
      );
      services.set(key, { credentials, database });
    }
    this.services = services;
    this.registerOutputs({});
  }
}
