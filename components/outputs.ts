/**
 * The stack-output contract other stacks read through `StackReference` (README "Stack outputs").
 * Bump `contractVersion` on any breaking change. No output carries a secret value.
 */
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "./config";
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
  };
}
