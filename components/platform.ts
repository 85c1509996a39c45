/**
 * The whole platform for one stack: database baseline, and per enabled service its credentials,
 * database access and workload. Services are independent chains so Pulumi deploys them in
 * parallel; only config (`readsFrom`, Temporal services) links them.
 */
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "./config";
import { connectionLimits } from "./connectionBudget";
import { DatabaseBaseline } from "./databaseBaseline";
import { ServiceSettings } from "./configSchema";
import { ServiceCredentials } from "./serviceCredentials";
import { ServiceDatabase } from "./serviceDatabase";

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
            connectionLimits: connectionLimits(svc, {
              headroom: config.db.connectionHeadroom,
              migratorLimit: config.db.migratorConnectionLimit,
              temporalReplicas: config.temporal.services.includes(key) ? config.temporal.replicas : 0,
            }),
            statementTimeoutMs: config.db.statementTimeoutMs,
            idleInTransactionSessionTimeoutMs: config.db.idleInTransactionSessionTimeoutMs,
            readers,
            readOnlyRole: svc.readOnlyRole,
            protect: config.protect,
          },
          { parent: this },
        ),
      );
    }

    const services = new Map<string, ServicePlatform>();
    for (const svc of config.services) {
      const key = svc.service.key;
      services.set(key, { credentials: credentials.get(key)!, database: databases.get(key)! });
    }
    this.services = services;
    this.registerOutputs({});
  }
}
