/**
 * Compares a database's catalog (catalog.ts) with what the captured graph declares (the
 * verifier's model, tools/verify/model.ts) and lists every difference. Pure.
 *
 * In scope: every role and schema the graph declares, and anything anywhere that names one of
 * them (a grant to our role in `public`, a membership of a Supabase role in ours, an object our
 * role owns elsewhere). Inside our schemas every grantee counts, Supabase's roles and PUBLIC
 * too. Supabase's own roles and schemas are otherwise left out, as are roles and schemas that
 * touch nothing of ours (listed in the report, not compared).
 */
import type { Catalog, AclEntry, CatalogMembership } from "./catalog";
import { Acl, DatabaseModel, ObjectKind, builtInDefault, normaliseSetting, objectAcl } from "../verify/model";
import { SUPABASE_ROLES, SUPABASE_SCHEMAS } from "../verify/supabase";

export type DifferenceKind = "missing" | "extra" | "changed";

export interface Difference {
  readonly kind: DifferenceKind;
  /** What it is about: `role svc_x_app`, `table svc_x.orders`, `default privileges of svc_x_owner in svc_x on tables`, ... */
  readonly subject: string;
  /** The key facts in one line. */
  readonly message: string;
  readonly expected?: string;
  readonly actual?: string;
}

export interface AuditResult {
  readonly differences: readonly Difference[];
  /** What was compared, for the report. */
  readonly compared: Readonly<Record<"roles" | "memberships" | "settings" | "schemas" | "objects" | "defaultAcls", number>>;
  /** Roles and schemas neither declared nor Supabase's, that touch nothing of ours: listed, not compared. */
  readonly otherRoles: readonly string[];
  readonly otherSchemas: readonly string[];
}

const PREDEFINED = /^pg_/;

/** An ACL as grantee -> privileges (`X*` for a grant option), without `owner`'s own entries. */
function aclMap(entries: readonly AclEntry[], owner: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of entries) {
    if (e.grantee === owner) continue;
    const list = out.get(e.grantee) ?? [];
    list.push(e.privilege.toUpperCase());
    if (e.grantable) list.push(`${e.privilege.toUpperCase()}*`);
    out.set(e.grantee, list);
  }
  for (const [k, v] of out) out.set(k, [...new Set(v)].sort());
  return out;
}

const fmt = (privileges: readonly string[]) => privileges.map((p) => (p.endsWith("*") ? `${p.slice(0, -1)} WITH GRANT OPTION` : p)).join(", ");
const granteeName = (g: string) => (g === "public" ? "PUBLIC" : g);

export function compareCatalog(model: DatabaseModel, catalog: Catalog): AuditResult {
  const out: Difference[] = [];
  const ours = new Set(model.roles.keys());
  const ourSchemas = new Set(model.schemas.keys());
  const pg16 = catalog.serverVersionNum >= 160000;

  /** Differences between two ACLs, for the grantees `include` selects. */
  const diffAcl = (subject: string, expected: Acl, actual: Acl, include: (grantee: string) => boolean) => {
    for (const grantee of new Set([...expected.keys(), ...actual.keys()])) {
      if (!include(grantee)) continue;
      const want = expected.get(grantee) ?? [];
      const have = actual.get(grantee) ?? [];
      const extra = have.filter((p) => !want.includes(p));
      const missing = want.filter((p) => !have.includes(p));
      if (extra.length) {
        out.push({ kind: "extra", subject, message: `${subject}: ${granteeName(grantee)} has ${fmt(extra)}, which the graph does not grant`, expected: fmt(want) || "nothing", actual: fmt(have) });
      }
      if (missing.length) {
        out.push({ kind: "missing", subject, message: `${subject}: ${granteeName(grantee)} lacks ${fmt(missing)}, which the graph grants`, expected: fmt(want), actual: fmt(have) || "nothing" });
      }
    }
  };
  const oursOnly = (grantee: string) => ours.has(grantee);
  const everyone = () => true;

  // Roles: attributes.
  const roleByName = new Map(catalog.roles.map((r) => [r.name, r]));
  for (const role of model.roles.values()) {
    const actual = roleByName.get(role.name);
    const subject = `role ${role.name}`;
    if (!actual) {
      out.push({ kind: "missing", subject, message: `${subject} does not exist` });
      continue;
    }
    const attributes: [string, boolean | number | string, boolean | number | string][] = [
      ["SUPERUSER", role.superuser, actual.superuser],
      ["CREATEDB", role.createdb, actual.createdb],
      ["CREATEROLE", role.createrole, actual.createrole],
      ["INHERIT", role.inherit, actual.inherit],
      ["LOGIN", role.login, actual.login],
      ["REPLICATION", role.replication, actual.replication],
      ["BYPASSRLS", role.bypassrls, actual.bypassrls],
      ["CONNECTION LIMIT", role.connectionLimit, actual.connectionLimit],
      ["VALID UNTIL", role.validUntil, actual.validUntil ?? "infinity"],
    ];
    for (const [attribute, want, have] of attributes) {
      if (want === have) continue;
      const show = (v: boolean | number | string) => (typeof v === "boolean" ? `${v ? "" : "NO"}${attribute}` : `${attribute} ${v}`);
      out.push({ kind: "changed", subject, message: `${subject} has ${show(have)}; the graph declares ${show(want)}`, expected: show(want), actual: show(have) });
    }
  }

  // Memberships: every row that names one of our roles, on either side.
  type Expected = { role: string; member: string; admin: boolean; inherit: boolean | null; set: boolean | null; why: string };
  const expectedEdges: Expected[] = [];
  for (const role of model.roles.values()) {
    for (const parent of role.memberOf) expectedEdges.push({ role: parent, member: role.name, admin: false, inherit: pg16 ? role.inherit : null, set: pg16 ? true : null, why: "Role.roles" });
    // PostgreSQL 16+ gives the CREATEROLE admin that created a role ADMIN on it, without INHERIT or SET.
    const adminRole = roleByName.get(model.admin);
    if (pg16 && adminRole && !adminRole.superuser) {
      expectedEdges.push({ role: role.name, member: model.admin, admin: true, inherit: false, set: false, why: "PostgreSQL 16+ creator membership" });
    }
  }
  const options = (m: { admin: boolean; inherit: boolean | null; set: boolean | null }) =>
    [m.admin ? "ADMIN" : "", m.inherit ? "INHERIT" : "", m.set ? "SET" : ""].filter(Boolean).join(", ") || (m.inherit === null ? "member" : "no options");
  const same = (e: Expected, a: CatalogMembership) => e.admin === a.admin && e.inherit === a.inherit && e.set === a.set;
  const byPair = new Map<string, CatalogMembership[]>();
  for (const m of catalog.memberships) byPair.set(`${m.role}\u0000${m.member}`, [...(byPair.get(`${m.role}\u0000${m.member}`) ?? []), m]);
  for (const e of expectedEdges) {
    const subject = `membership of ${e.member} in ${e.role}`;
    const rows = byPair.get(`${e.role}\u0000${e.member}`) ?? [];
    byPair.delete(`${e.role}\u0000${e.member}`);
    if (!rows.length) {
      out.push({ kind: "missing", subject, message: `${e.member} is not a member of ${e.role} (${e.why})`, expected: options(e), actual: "none" });
      continue;
    }
    const match = rows.find((r) => same(e, r));
    for (const r of rows.filter((x) => x !== match)) {
      out.push({
        kind: match ? "extra" : "changed",
        subject,
        message: `${r.member} is a member of ${r.role} with ${options(r)} (granted by ${r.grantor}); the graph declares ${options(e)} (${e.why})`,
        expected: options(e),
        actual: options(r),
      });
    }
  }
  for (const rows of byPair.values()) {
    for (const r of rows) {
      out.push({
        kind: "extra",
        subject: `membership of ${r.member} in ${r.role}`,
        message: `${r.member} is a member of ${r.role} with ${options(r)} (granted by ${r.grantor}); the graph declares no such membership`,
        actual: options(r),
      });
    }
  }

  // Role settings (ALTER ROLE ... SET); per-database settings are never declared.
  for (const role of model.roles.values()) {
    if (!roleByName.has(role.name)) continue;
    const actual = catalog.settings.filter((s) => s.role === role.name);
    const subject = `settings of role ${role.name}`;
    for (const s of actual.filter((x) => x.database !== null)) {
      out.push({ kind: "extra", subject, message: `${role.name} has ${s.name} = ${s.value} in database ${s.database}; the graph sets no per-database setting`, actual: `${s.name}=${s.value}` });
    }
    const global = new Map(actual.filter((x) => x.database === null).map((x) => [x.name, x.value]));
    for (const [name, want] of Object.entries(role.settings)) {
      const have = global.get(name);
      global.delete(name);
      if (have === undefined) out.push({ kind: "missing", subject, message: `${role.name} has no ${name}; the graph sets ${name} = ${want}`, expected: want, actual: "unset" });
      else if (normaliseSetting(name, have) !== want) out.push({ kind: "changed", subject, message: `${role.name} has ${name} = ${have}; the graph sets ${want}`, expected: want, actual: have });
    }
    for (const [name, have] of global) out.push({ kind: "extra", subject, message: `${role.name} has ${name} = ${have}, which the graph does not set`, actual: have });
  }

  // Schemas: ours compare owner and every grantee; others only what names our roles.
  const schemaByName = new Map(catalog.schemas.map((s) => [s.name, s]));
  for (const schema of model.schemas.values()) {
    const actual = schemaByName.get(schema.name);
    const subject = `schema ${schema.name}`;
    if (!actual) {
      out.push({ kind: "missing", subject, message: `${subject} does not exist` });
      continue;
    }
    if (actual.owner !== schema.owner) out.push({ kind: "changed", subject, message: `${subject} is owned by ${actual.owner}; the graph declares ${schema.owner}`, expected: schema.owner, actual: actual.owner });
    diffAcl(subject, schema.acl, aclMap(actual.acl ?? [], actual.owner), everyone);
  }
  for (const actual of catalog.schemas.filter((s) => !ourSchemas.has(s.name))) {
    const subject = `schema ${actual.name}`;
    if (ours.has(actual.owner)) out.push({ kind: "extra", subject, message: `${subject} is owned by our role ${actual.owner}; the graph declares no such schema`, actual: actual.owner });
    const have = aclMap(actual.acl ?? [], actual.owner);
    const want = new Map<string, string[]>();
    if (actual.name === "public" && model.publicSchema) {
      if (model.publicSchema.length) want.set("public", [...model.publicSchema]);
      diffAcl(subject, want, have, (g) => g === "public" || ours.has(g));
    } else diffAcl(subject, want, have, oursOnly);
  }

  // Objects: in our schemas owner and every grantee; elsewhere what names our roles.
  for (const o of catalog.objects) {
    const subject = `${o.kind} ${o.schema}.${o.name}`;
    const schema = model.schemas.get(o.schema);
    const have = o.acl === null ? new Map(builtInDefault(o.kind)) : aclMap(o.acl, o.owner);
    if (schema) {
      if (o.owner !== schema.owner) out.push({ kind: "changed", subject, message: `${subject} is owned by ${o.owner}; every object in ${o.schema} must belong to ${schema.owner}`, expected: schema.owner, actual: o.owner });
      diffAcl(subject, objectAcl(model, schema.owner, o.schema, o.kind), have, (g) => g !== schema.owner);
    } else {
      if (ours.has(o.owner)) out.push({ kind: "extra", subject, message: `${subject} is owned by our role ${o.owner}, outside the schemas the graph declares`, actual: o.owner });
      diffAcl(subject, new Map(), have, oursOnly);
    }
  }
  for (const col of catalog.columns) {
    const subject = `column ${col.schema}.${col.table}.${col.column}`;
    const owner = model.schemas.get(col.schema)?.owner;
    diffAcl(subject, new Map(), aclMap(col.acl, owner ?? ""), owner ? (g) => g !== owner : oursOnly);
  }

  // Default privileges: the rows the graph creates, and every row in our schemas or of our roles.
  const kindWord: Record<ObjectKind, string> = { table: "tables", sequence: "sequences", function: "functions", type: "types", schema: "schemas" };
  const keyOf = (owner: string, schema: string | null | undefined, kind: ObjectKind) => `${owner}\u0000${schema ?? ""}\u0000${kind}`;
  const actualRows = new Map(catalog.defaultAcls.map((d) => [keyOf(d.owner, d.schema, d.kind), d]));
  const expectedRows = new Map(model.defaultAcls.map((d) => [keyOf(d.owner, d.schema, d.kind), d]));
  for (const key of new Set([...expectedRows.keys(), ...actualRows.keys()])) {
    const e = expectedRows.get(key);
    const a = actualRows.get(key);
    const owner = (e?.owner ?? a?.owner)!;
    const schema = e ? e.schema : (a?.schema ?? undefined);
    const kind = (e?.kind ?? a?.kind)!;
    const global = schema === undefined;
    const subject = `default privileges of ${owner}${global ? " (database-wide)" : ` in ${schema}`} on ${kindWord[kind] ?? kind}`;
    const fallback = global ? builtInDefault(kind) : new Map<string, string[]>();
    const want = e?.acl ?? fallback;
    const have = a ? aclMap(a.acl, owner) : fallback;
    const full = ours.has(owner) || (schema !== undefined && ourSchemas.has(schema));
    diffAcl(subject, want, have, full ? everyone : oursOnly);
  }

  // The database: our roles' privileges (PUBLIC's CONNECT is Supabase's and stays).
  const dbHave = catalog.databaseAcl === null ? new Map<string, string[]>() : aclMap(catalog.databaseAcl, catalog.databaseOwner);
  diffAcl(`database ${catalog.database}`, model.databaseAcl, dbHave, oursOnly);

  const known = new Set([...ours, ...SUPABASE_ROLES]);
  const touched = new Set(catalog.memberships.flatMap((m) => [m.role, m.member]));
  const otherRoles = catalog.roles.map((r) => r.name).filter((n) => !known.has(n) && !PREDEFINED.test(n) && !touched.has(n));
  const otherSchemas = catalog.schemas.map((s) => s.name).filter((n) => !ourSchemas.has(n) && !SUPABASE_SCHEMAS.includes(n) && !/^(pg_|information_schema$)/.test(n));
  return {
    differences: out,
    compared: {
      roles: model.roles.size,
      memberships: expectedEdges.length,
      settings: [...model.roles.values()].reduce((n, r) => n + Object.keys(r.settings).length, 0),
      schemas: model.schemas.size,
      objects: catalog.objects.length + catalog.columns.length,
      defaultAcls: new Set([...expectedRows.keys(), ...actualRows.keys()]).size,
    },
    otherRoles,
    otherSchemas,
  };
}

/** The report as text: every difference on its own line, then what was compared and left out. */
export function formatAudit(result: AuditResult, header: string): string {
  const label: Record<DifferenceKind, string> = { missing: "MISSING", extra: "EXTRA  ", changed: "CHANGED" };
  const c = result.compared;
  const lines = [
    header,
    ...result.differences.map((d) => `  ${label[d.kind]} ${d.message}`),
    "",
    `Compared ${c.roles} roles, ${c.memberships} memberships, ${c.settings} role settings, ${c.schemas} schemas, ${c.objects} objects and column ACLs, ${c.defaultAcls} default ACLs.`,
    `Left out (neither the graph's nor Supabase's, touching nothing of ours): roles ${result.otherRoles.join(", ") || "none"}; schemas ${result.otherSchemas.join(", ") || "none"}.`,
    result.differences.length ? `DRIFT: ${result.differences.length} difference(s) from the graph.` : "No drift: the database matches the graph.",
  ];
  return lines.join("\n");
}
