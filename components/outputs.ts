/**
 * The stack-output contract other stacks read through `StackReference` (README "Stack outputs").
 * Bump `contractVersion` on any breaking change. No output carries a secret value.
 */
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "./config/config";
import { Platform } from "./platform";

export const CONTRACT_VERSION = 1;

export interface ServiceOutputs {
  /** PostgreSQL schema of the service. */
  readonly schema: pulumi.Output<string>;
  /** Role names: owner (NOLOGIN), migrator (LOGIN), app (NOLOGIN), the runtime users, the active one. */
  readonly roles: {
    readonly owner: string;
    readonly migrator: string;
    readonly app: string;
    readonly users: readonly string[];
    readonly activeUser: string;
  };
  /** Where its credentials live (names and ARNs, never values). */
  readonly secrets: {
    /** Secrets Manager secret of the runtime credentials (`volteryde/<stack>/<svc>/app`). */
    readonly appSecretArn: pulumi.Output<string>;
    /** Secrets Manager secret of the migration credentials (`.../migrator`). */
    readonly migratorSecretArn: pulumi.Output<string>;
    /** Kubernetes Secret the service's pods read (`<svc>-database`). */
    readonly kubernetesAppSecret: pulumi.Output<string>;
    /** Kubernetes Secret the migration Job reads (`<svc>-database-migrator`). */
    readonly kubernetesMigratorSecret: pulumi.Output<string>;
  };
  /** Its Kubernetes objects, by name. */
  readonly kubernetes: {
    readonly deployment: pulumi.Output<string>;
    /** ClusterIP Service: `http://<service>.<namespace>.svc.cluster.local`. */
    readonly service: pulumi.Output<string>;
    /** The current version's migration Job (`<svc>-migrate-<tag>`). */
    readonly migrationJob: pulumi.Output<string>;
  };
}

/** One shared secret: its Secrets Manager ARN and the Kubernetes Secret that carries it. */
export interface PlatformSecretOutputs {
  readonly secretArn: pulumi.Output<string>;
  readonly kubernetesSecret: pulumi.Output<string>;
}

export interface StackOutputs {
  readonly contractVersion: number;
  readonly environment: string;
  readonly database: {
    readonly name: string;
    /** Transaction pooler that services use. */
    readonly runtimeHost: string;
    readonly runtimePort: number;
    /** Session pooler or direct host for migrations and administration. */
    readonly adminHost: string;
    readonly adminPort: number;
    readonly sslMode: string;
  };
  readonly services: Readonly<Record<string, ServiceOutputs>>;
  /** Where the workloads run. */
  readonly kubernetes: {
    readonly namespace: pulumi.Output<string>;
    /** The shared ConfigMap, `volteryde-config`. */
    readonly configMap: pulumi.Output<string>;
    /** The Temporal workers' Deployment. */
    readonly temporalWorkers: pulumi.Output<string>;
  };
  /** JWT_SECRET (for `jwtServices` only) and TEMPORAL_API_KEY (for the Temporal workers only). */
  readonly platformSecrets: {
    readonly jwtSecret: PlatformSecretOutputs;
    readonly temporalApiKey: PlatformSecretOutputs;
    readonly jwtServices: readonly string[];
  };
}

export function stackOutputs(config: PlatformConfig, platform: Platform): StackOutputs {
  const services: Record<string, ServiceOutputs> = {};
  for (const svc of config.services) {
    const p = platform.services.get(svc.service.key)!;
    const roles = p.database.roles;
    services[svc.service.key] = {
      schema: p.database.schemaName,
      roles: {
        owner: roles.owner,
        migrator: roles.migrator,
        app: roles.app,
        users: [roles.users.blue, roles.users.green],
        activeUser: roles.users[svc.rotation.active],
      },
      secrets: {
        appSecretArn: p.credentials.app.secretArn,
        migratorSecretArn: p.credentials.migrator.secretArn,
        kubernetesAppSecret: p.secrets.appSecretName,
        kubernetesMigratorSecret: p.secrets.migratorSecretName,
      },
      kubernetes: {
        deployment: p.workload.deploymentName,
        service: p.workload.serviceName,
        migrationJob: p.workload.migrationJobName,
      },
    };
  }
  return {
    contractVersion: CONTRACT_VERSION,
    environment: config.stack,
    database: {
      name: config.database,
      runtimeHost: config.runtimeEndpoint.host,
      runtimePort: config.runtimeEndpoint.port,
      adminHost: config.adminEndpoint.host,
      adminPort: config.adminEndpoint.port,
      sslMode: config.sslMode,
    },
    services,
    kubernetes: {
      namespace: platform.namespace,
      configMap: platform.configMap.name,
      temporalWorkers: platform.temporalWorkers.deploymentName,
    },
    platformSecrets: {
      jwtSecret: { secretArn: platform.platformSecrets.jwt.secretArn, kubernetesSecret: platform.platformSecrets.jwt.kubernetesSecretName },
      temporalApiKey: {
        secretArn: platform.platformSecrets.temporalApiKey.secretArn,
        kubernetesSecret: platform.platformSecrets.temporalApiKey.kubernetesSecretName,
      },
      jwtServices: platform.platformSecrets.jwtServices,
    },
  };
}
