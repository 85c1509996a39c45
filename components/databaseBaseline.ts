/**
 * STUB (issue #3 fills it in): database-wide settings, e.g. the hardened `public` schema.
 */
import * as pulumi from "@pulumi/pulumi";

export interface DatabaseBaselineArgs {
  readonly database: string;
  /** How the `public` schema is hardened for PUBLIC. */
  readonly publicSchema: "no-create" | "revoke-all" | "unchanged";
}

export class DatabaseBaseline extends pulumi.ComponentResource {
  constructor(name: string, _args: DatabaseBaselineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:database:DatabaseBaseline", name, {}, opts);
    this.registerOutputs({});
  }
}
