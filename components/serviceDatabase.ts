/**
 * STUB (issue #3 fills it in): one service's schema, roles, grants and default privileges.
 */
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { ConnectionLimits } from "./connectionBudget";
import { ServiceSettings } from "./configSchema";
import { RoleNames, RuntimeUser, roleNames } from "./naming";

export interface ServiceDatabaseArgs {
  readonly service: ServiceSettings;
  /** Database that holds the schema. */
  readonly database: string;
  /** Passwords (secret) of the two runtime login users and the migrator. */
  readonly passwords: Readonly<Record<RuntimeUser | "migrator", pulumi.Input<string>>>;
  readonly connectionLimits: ConnectionLimits;
  readonly statementTimeoutMs: number;
  readonly idleInTransactionSessionTimeoutMs: number;
  /** `_app` roles of other services that may read this schema (SELECT), from their `readsFrom`. */
  readonly readerRoles: readonly string[];
  /** protect + retainOnDelete the schema. */
  readonly protect: boolean;
}

export class ServiceDatabase extends pulumi.ComponentResource {
  public readonly roles: RoleNames;
  public readonly schemaName: pulumi.Output<string>;

  constructor(name: string, args: ServiceDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:database:ServiceDatabase", name, {}, opts);
    this.roles = roleNames(args.service.service);
    const owner = new postgresql.Role(`${name}-owner`, { name: this.roles.owner, login: false }, { parent: this });
    const schema = new postgresql.Schema(`${name}-schema`, { name: args.service.service.schema, owner: owner.name, database: args.database }, { parent: this });
    this.schemaName = schema.name;
    this.registerOutputs({ schemaName: this.schemaName });
  }
}
