/**
 * One service's database access: its schema, the least-privilege roles around it, grants on
 * existing objects and default privileges for objects that migrations create later.
 *
 *   svc_<s>_owner     NOLOGIN  owns the schema and everything in it
 *   svc_<s>_migrator  LOGIN    member of owner; `SET ROLE owner` at login, so new objects belong to owner
 *   svc_<s>_app       NOLOGIN  runtime privileges (GRANT_MATRIX.runtime)
 *   svc_<s>_app_blue  LOGIN    member of app; the two alternate for rotation
 *   svc_<s>_app_green LOGIN
 *   svc_<s>_readonly  NOLOGIN  SELECT only (optional)
 */
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { ConnectionLimits } from "./connectionBudget";
import { ServiceSettings } from "../config/configSchema";
import { RUNTIME_USERS, RoleNames, RuntimeUser, roleNames } from "../config/naming";
import { Grantee, ObjectType, grantsFor } from "./privileges";

export interface ServiceReader {
  /** Key of the service that reads this one (names the resources). */
  readonly key: string;
  /** Its `_app` role's name, as the Output of that role (so the grant waits for it). */
  readonly role: pulumi.Input<string>;
}

export interface ServiceDatabaseArgs {
  /** The service, from the catalogue with its settings. */
  readonly service: ServiceSettings;
  /** Database that holds the schema. */
  readonly database: string;
  /** Passwords (secret) of the two runtime login users and the migrator. */
  readonly passwords: Readonly<Record<RuntimeUser | "migrator", pulumi.Input<string>>>;
  /** CONNECTION LIMIT of the login roles. */
  readonly connectionLimits: ConnectionLimits;
  /** `statement_timeout` of the runtime login users, in ms. */
  readonly statementTimeoutMs: number;
  /** `statement_timeout` of the migrator, in ms: DDL such as an index build outlasts a request. */
  readonly migratorStatementTimeoutMs: number;
  /** `idle_in_transaction_session_timeout` of the login roles, in ms. */
  readonly idleInTransactionSessionTimeoutMs: number;
  /** Other services allowed to read this schema (their `readsFrom` names this service). @default none */
  readonly readers?: readonly ServiceReader[];
  /** Create `svc_<s>_readonly`. @default false */
  readonly readOnlyRole?: boolean;
  /**
   * Keep the data: the schema and its owner role are `retainOnDelete` (disabling the service
   * leaves them and the tables in place). false: the schema is dropped CASCADE with its tables.
   */
  readonly protect: boolean;
}

/** Attributes no role of ours ever has; set explicitly so a drift shows in `pulumi preview`. */
const UNPRIVILEGED = {
  superuser: false,
  createDatabase: false,
  createRole: false,
  replication: false,
  bypassRowLevelSecurity: false,
} as const;

export class ServiceDatabase extends pulumi.ComponentResource {
  public readonly roles: RoleNames;
  public readonly schemaName: pulumi.Output<string>;
  /** The login users' role names (blue, green), as Outputs that carry the dependency on the role. */
  public readonly userNames: Readonly<Record<RuntimeUser, pulumi.Output<string>>>;
  public readonly migratorName: pulumi.Output<string>;
  /** The `_app` role's name, carrying the dependency on the role. */
  public readonly appRoleName: pulumi.Output<string>;

  constructor(name: string, args: ServiceDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:database:ServiceDatabase", name, {}, opts);
    const { connectionLimits: limits } = args;
    for (const [key, value] of Object.entries({ runtime: limits.runtime, migrator: limits.migrator })) {
      if (!Number.isInteger(value) || value < 1) {
        throw new Error(`ServiceDatabase ${name}: connectionLimits.${key} must be a positive integer, got ${value}`);
      }
    }
    for (const reader of args.readers ?? []) {
      if (reader.key === args.service.service.key) {
        throw new Error(`ServiceDatabase ${name}: a service cannot be its own reader (readers: ${reader.key})`);
      }
    }

    const names = roleNames(args.service.service);
    const schemaName = args.service.service.schema;
    this.roles = names;
    const parent = { parent: this };
    // The owner carries the data: with it gone the provider reassigns ownership to the admin.
    // retainOnDelete, not protect: the engine refuses to delete a protected resource
    // (pulumi/pulumi pkg/resource/deploy/step_generator.go), which would refuse disabling a
    // service; retained, the delete only forgets it and the data stays.
    const keep = { retainOnDelete: args.protect };
    const loginSettings = {
      login: true,
      inherit: true,
      searchPaths: [schemaName],
      statementTimeout: args.statementTimeoutMs,
      idleInTransactionSessionTimeout: args.idleInTransactionSessionTimeoutMs,
    };

    const owner = new postgresql.Role(`${name}-owner`, { name: names.owner, login: false, inherit: true, ...UNPRIVILEGED }, { ...parent, ...keep });
    const app = new postgresql.Role(`${name}-app`, { name: names.app, login: false, inherit: true, ...UNPRIVILEGED }, parent);
    // Memberships are declared with Role.roles only (never also GrantRole: the two fight).
    const migrator = new postgresql.Role(
      `${name}-migrator`,
      {
        name: names.migrator,
        ...UNPRIVILEGED,
        ...loginSettings,
        password: args.passwords.migrator,
        connectionLimit: limits.migrator,
        statementTimeout: args.migratorStatementTimeoutMs,
        roles: [owner.name],
        // ALTER ROLE ... SET role: every session starts as the owner, so objects a migration
        // creates belong to the owner and not to this login.
        assumeRole: owner.name,
      },
      parent,
    );
    const users = Object.fromEntries(
      RUNTIME_USERS.map((slot) => [
        slot,
        new postgresql.Role(
          `${name}-app-${slot}`,
          {
            name: names.users[slot],
            ...UNPRIVILEGED,
            ...loginSettings,
            password: args.passwords[slot],
            connectionLimit: limits.runtime,
            roles: [app.name],
          },
          parent,
        ),
      ]),
    ) as Record<RuntimeUser, postgresql.Role>;
    const readonly = args.readOnlyRole
      ? new postgresql.Role(`${name}-readonly`, { name: names.readonly, login: false, inherit: true, ...UNPRIVILEGED }, parent)
      : undefined;

    const schema = new postgresql.Schema(
      `${name}-schema`,
      // A kept schema is never dropped. Otherwise (dev) it goes with its tables: the provider
      // drops RESTRICT unless dropCascade (resource_postgresql_schema.go), which fails once
      // migrations created tables, after the grants and roles around it were already removed.
      { name: schemaName, owner: owner.name, database: args.database, ifNotExists: true, dropCascade: !args.protect },
      { ...parent, ...keep },
    );

    // CONNECT on the database. The provider locks the database for database grants, so these
    // may run in parallel. PUBLIC keeps CONNECT on `postgres`: Supabase's services need it.
    for (const [suffix, role] of [
      ["owner", owner],
      ["app", app],
      ...(readonly ? [["readonly", readonly] as const] : []),
    ] as const) {
      new postgresql.Grant(
        `${name}-${suffix}-connect`,
        { database: args.database, role: role.name, objectType: "database", privileges: ["CONNECT"] },
        // A Grant's delete revokes everything the role has on that object type: replaced
        // create-first, the old one's delete would revoke what the new one granted.
        { ...parent, deleteBeforeReplace: true },
      );
    }

    // cyrilgdn/terraform-provider-postgresql#178 ("tuple concurrently updated"): the provider
    // locks the grantee role, not the schema or its objects, so two grants for different roles on
    // the same schema (one pg_namespace row) or the same tables (pg_class rows), or two
    // default-privilege entries for the same owner and schema, race when Pulumi runs them in
    // parallel. Each such family is a lane: a chain inside this schema. Lanes of one schema run
    // side by side, and each service's schema is its own, so services stay parallel.
    const lanes = new Map<string, pulumi.Resource>();
    const inLane = <T extends pulumi.Resource>(lane: string, make: (dependsOn: pulumi.Resource[]) => T): T => {
      const previous = lanes.get(lane);
      const resource = make(previous ? [previous] : []);
      lanes.set(lane, resource);
      return resource;
    };

    const grantees: { suffix: string; kind: Grantee; role: pulumi.Input<string> }[] = [
      { suffix: "app", kind: "runtime", role: app.name },
      ...(readonly ? [{ suffix: "readonly", kind: "readonly" as const, role: readonly.name }] : []),
      ...(args.readers ?? []).map((r) => ({ suffix: `reader-${r.key}`, kind: "reader" as const, role: r.role })),
    ];
    const plural: Record<ObjectType, string> = { schema: "usage", table: "tables", sequence: "sequences", function: "functions" };

    for (const grantee of grantees) {
      for (const { objectType, privileges } of grantsFor(grantee.kind)) {
        // Existing objects ("ALL TABLES IN SCHEMA": `objects: []`) ...
        inLane(objectType, (dependsOn) =>
          new postgresql.Grant(
            `${name}-${grantee.suffix}-${plural[objectType]}`,
            {
              database: args.database,
              schema: schema.name,
              role: grantee.role,
              objectType,
              objects: [],
              privileges: [...privileges],
              withGrantOption: false,
            },
            // Delete first, as for every Grant (see the CONNECT grants above).
            { ...parent, dependsOn, deleteBeforeReplace: true },
          ),
        );
        if (objectType === "schema") continue;
        // ... and objects migrations create later, as the owner (FOR ROLE owner). The guide's
        // ALTER DEFAULT PRIVILEGES without FOR ROLE only covers objects the admin creates.
        inLane("default-privileges", (dependsOn) =>
          new postgresql.DefaultPrivileges(
            `${name}-${grantee.suffix}-default-${plural[objectType]}`,
            { database: args.database, schema: schema.name, owner: owner.name, role: grantee.role, objectType, privileges: [...privileges] },
            // Replaced on change: delete first, so the new entry is never revoked by the old one's delete.
            { ...parent, dependsOn, deleteBeforeReplace: true },
          ),
        );
      }
    }
    // Functions are executable by PUBLIC by default. A per-schema default privilege cannot take
    // that away (PostgreSQL only adds per-schema defaults to the global ones), so this one has no
    // schema: functions the owner creates anywhere are not executable by PUBLIC. The verifier
    // caught the per-schema version letting another service execute this schema's functions.
    inLane("default-privileges", (dependsOn) =>
      new postgresql.DefaultPrivileges(
        `${name}-public-default-functions`,
        { database: args.database, owner: owner.name, role: "public", objectType: "function", privileges: [] },
        { ...parent, dependsOn, deleteBeforeReplace: true },
      ),
    );

    this.schemaName = schema.name;
    this.userNames = { blue: users.blue.name, green: users.green.name };
    this.migratorName = migrator.name;
    this.appRoleName = app.name;
    this.registerOutputs({ schemaName: this.schemaName, userNames: this.userNames, migratorName: this.migratorName });
  }
}
