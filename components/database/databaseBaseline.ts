/**
 * Database-wide settings that belong to no service: the hardened `public` schema.
 *
 * The guide revokes everything on `public` from PUBLIC. On Supabase that is safe for its own
 * roles (anon, authenticated, service_role get USAGE explicitly), but extensions and tools that
 * live in `public` stop resolving for other logins; so it is a switch:
 *   no-create   REVOKE ALL, then GRANT USAGE: nobody but the owner creates in public (default)
 *   revoke-all  REVOKE ALL: the guide's statement
 *   unchanged   leave `public` alone
 * CONNECT on the database is never revoked from PUBLIC: Supabase's API, Auth and Storage need it.
 */
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";

export type PublicSchemaMode = "no-create" | "revoke-all" | "unchanged";

export interface DatabaseBaselineArgs {
  /** Database whose `public` schema is hardened. */
  readonly database: string;
  /** How the `public` schema is hardened for PUBLIC. @default "no-create" */
  readonly publicSchema?: PublicSchemaMode;
}

const PUBLIC_PRIVILEGES: Record<Exclude<PublicSchemaMode, "unchanged">, string[]> = {
  "no-create": ["USAGE"],
  "revoke-all": [],
};

export class DatabaseBaseline extends pulumi.ComponentResource {
  /** What PUBLIC may do on schema `public` after this component, or undefined when unmanaged. */
  public readonly publicSchemaPrivileges?: readonly string[];

  constructor(name: string, args: DatabaseBaselineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:database:DatabaseBaseline", name, {}, opts);
    const mode = args.publicSchema ?? "no-create";
    if (!(mode in PUBLIC_PRIVILEGES) && mode !== "unchanged") {
      throw new Error(`DatabaseBaseline ${name}: publicSchema must be one of no-create, revoke-all, unchanged; got ${String(mode)}`);
    }
    if (mode !== "unchanged") {
      this.publicSchemaPrivileges = PUBLIC_PRIVILEGES[mode];
      // The provider revokes everything before it grants, so `privileges: []` is a plain REVOKE.
      new postgresql.Grant(
        `${name}-public-schema`,
        { database: args.database, schema: "public", role: "public", objectType: "schema", privileges: [...PUBLIC_PRIVILEGES[mode]] },
        // Deleting a Grant revokes all it covers, here PUBLIC's USAGE on `public`: switching to
        // "unchanged" must leave the database as it is, not strip it further.
        { parent: this, retainOnDelete: true, deleteBeforeReplace: true },
      );
    }
    this.registerOutputs({ publicSchemaPrivileges: this.publicSchemaPrivileges });
  }
}
