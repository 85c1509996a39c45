/**
 * out/<stack>/database.sql is a script a DBA can run: the whole file, sent as one simple-protocol
 * query (what `psql -f` does statement by statement), applies on a real PostgreSQL set up like
 * Supabase, as its non-superuser admin.
 */
import { Client } from "pg";
import { captureStack } from "../../tools/run";
import { renderSql } from "../../tools/sql/render";
import { startServer } from "../../tools/verify/server";

it.each(["dev", "prod"])("%s: the whole database.sql runs as one script and creates what the graph declares", async (stack) => {
  const script = renderSql(await captureStack(stack));
  // Roles belong to the whole server: one server per stack.
  const server = await startServer(17, "postgres");
  const client = new Client(server.config(server.admin.user, server.admin.password));
  try {
    await client.connect();
    await client.query(script);
    const schemas = await client.query("SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname LIKE 'svc\\_%' ORDER BY 1");
    expect(schemas.rows).toContainEqual({ nspname: "svc_booking", owner: "svc_booking_owner" });
    expect(schemas.rows).toHaveLength(10);
    const setting = await client.query(
      "SELECT unnest(setconfig) AS s FROM pg_db_role_setting WHERE setrole = 'svc_booking_migrator'::regrole",
    );
    expect(setting.rows.map((r) => r.s)).toContain("role=svc_booking_owner");
  } finally {
    await client.end();
    await server.stop();
  }
}, 60_000);
