/** The audit reads, and only reads: every catalog query is a SELECT, run in a READ ONLY transaction rolled back. */
import { HELP } from "../../tools/audit/cli";
import { CATALOG_QUERIES, readCatalog } from "../../tools/audit/catalog";

const WRITES = /\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|CREATE|ALTER|DROP|GRANT|REVOKE|COMMENT|SECURITY LABEL|COPY|CALL|DO|SET ROLE|SET SESSION|REFRESH|VACUUM|LOCK)\b/i;

it.each(Object.entries(CATALOG_QUERIES))("%s is a plain SELECT", (_name, sql) => {
  expect(sql.trimStart().startsWith("SELECT ")).toBe(true);
  expect(sql).not.toMatch(WRITES);
  expect(sql).not.toContain(";");
});

it("opens one READ ONLY, REPEATABLE READ transaction, runs only the catalog queries, and rolls it back", async () => {
  const sent: string[] = [];
  const rows: Record<string, Record<string, unknown>[]> = {
    server: [{ version: "17.10", num: 170010, database: "postgres", user: "auditor", owner: "postgres", acl: null }],
  };
  await readCatalog(
    async (sql) => {
      sent.push(sql);
      const name = Object.entries(CATALOG_QUERIES).find(([, q]) => sql.endsWith(q))?.[0];
      return { rows: (name && rows[name]) || [] };
    },
    { schemas: ["svc_a"], roles: ["svc_a_app"] },
  );
  expect(sent[0]).toBe("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
  expect(sent[sent.length - 1]).toBe("ROLLBACK");
  const queries = sent.slice(1, -1);
  expect(queries).toHaveLength(9);
  for (const q of queries) expect(Object.values(CATALOG_QUERIES).some((c) => q.endsWith(c))).toBe(true);
});

it("says in its help that it is read-only and where the password comes from", () => {
  expect(HELP).toContain("Read-only: the audit runs SELECTs on the system catalog");
  expect(HELP).toContain("inside one READ ONLY transaction that it rolls back. It writes nothing to the\ndatabase");
  expect(HELP).toContain("The password comes from the URL or from PGPASSWORD, never from a file");
});
