/**
 * The grant matrix: which privileges each kind of grantee gets on a service's schema and the
 * objects in it. Pure data; ServiceDatabase turns it into resources and the verifier reads the
 * resulting graph. Privileges are always listed: `ALL` drifts between PostgreSQL versions (17 adds
 * MAINTAIN on tables) and would hand out TRUNCATE, REFERENCES and TRIGGER.
 */

/** Object types of `postgresql.Grant` / `postgresql.DefaultPrivileges` used here. */
export type ObjectType = "schema" | "table" | "sequence" | "function";

/** Who is granted. */
export type Grantee = "runtime" | "readonly" | "reader";

export type PrivilegeSet = Readonly<Partial<Record<ObjectType, readonly string[]>>>;

export const GRANT_MATRIX: Readonly<Record<Grantee, PrivilegeSet>> = Object.freeze({
  /** The service's `_app` role: CRUD, sequences for serial/identity, functions. No CREATE, TRUNCATE or ownership. */
  runtime: Object.freeze({
    schema: ["USAGE"],
    table: ["SELECT", "INSERT", "UPDATE", "DELETE"],
    sequence: ["USAGE", "SELECT"],
    function: ["EXECUTE"],
  }),
  /** `_readonly`: analytics and support. */
  readonly: Object.freeze({
    schema: ["USAGE"],
    table: ["SELECT"],
    sequence: ["SELECT"],
  }),
  /** Another service's `_app` role declared in `readsFrom`: SELECT only. */
  reader: Object.freeze({
    schema: ["USAGE"],
    table: ["SELECT"],
  }),
});

/** Object types that exist inside a schema (grants on existing objects + default privileges). */
export const SCHEMA_OBJECT_TYPES: readonly Exclude<ObjectType, "schema">[] = ["table", "sequence", "function"];

/** Privileges that no grantee of ours may ever hold: the verifier attacks them. */
export const FORBIDDEN_TABLE_PRIVILEGES: readonly string[] = ["TRUNCATE", "REFERENCES", "TRIGGER"];

/** The `(grantee, object type, privileges)` rows for a grantee, in a stable order. */
export function grantsFor(grantee: Grantee): { objectType: ObjectType; privileges: readonly string[] }[] {
  const set = GRANT_MATRIX[grantee];
  return (["schema", ...SCHEMA_OBJECT_TYPES] as ObjectType[])
    .filter((t) => set[t] !== undefined)
    .map((objectType) => ({ objectType, privileges: set[objectType]! }));
}
