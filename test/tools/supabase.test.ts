/** What supautils refuses the admin, as tools/verify/supabase.ts models it (supautils.conf.j2's lists). */
import { supautilsRefusal } from "../../tools/verify/supabase";

const asAdmin = { privileged: true };

describe("supautils' reserved roles and memberships", () => {
  it.each([
    ['CREATE ROLE "supabase_admin" WITH LOGIN', '"supabase_admin" is a reserved role'],
    ["create role authenticated nologin", '"authenticated" is a reserved role'],
    ['DROP ROLE "dashboard_user"', '"dashboard_user" is a reserved role'],
    ["DROP ROLE IF EXISTS svc_x_app, pgbouncer", '"pgbouncer" is a reserved role'],
    ['ALTER ROLE "authenticator" NOLOGIN', '"authenticator" is a reserved role'],
    ["ALTER ROLE anon BYPASSRLS", '"anon" is a reserved role'],
    ['ALTER ROLE "supabase_auth_admin" SET search_path TO auth', '"supabase_auth_admin" is a reserved role'],
    ["ALTER ROLE svc_x_app RENAME TO service_role", '"service_role" is a reserved role'],
    ['GRANT "pg_execute_server_program" TO "svc_x_app"', '"pg_execute_server_program" role memberships are reserved'],
    ["GRANT authenticator TO svc_x_app_blue", '"authenticator" role memberships are reserved'],
    ['CREATE ROLE "svc_x_probe" LOGIN IN ROLE "pg_read_server_files"', '"pg_read_server_files" role memberships are reserved'],
    ['GRANT "svc_x_app" TO "supabase_storage_admin"', '"supabase_storage_admin" is a reserved role'],
    ["ALTER ROLE postgres CREATEDB", "only superusers can alter privileged roles"],
  ])("refuses %s", (sql, reason) => {
    expect(supautilsRefusal(sql, asAdmin)).toBe(reason);
  });

  it.each([
    // Roles marked * in reserved_roles: the privileged role may change their settings and grant to them.
    "ALTER ROLE anon SET statement_timeout = '5s'",
    'GRANT "svc_x_app" TO "authenticated"',
    // What the provider sends for our roles.
    'CREATE ROLE "svc_x_owner" WITH NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOLOGIN',
    'GRANT "svc_x_owner" TO "svc_x_migrator"',
    'GRANT "svc_x_owner" TO "postgres"',
    'REVOKE "svc_x_owner" FROM "postgres"',
    'ALTER ROLE "svc_x_migrator" SET ROLE TO "svc_x_owner"',
    'ALTER ROLE "svc_x_app_blue" CONNECTION LIMIT 30',
    // Object privileges to a reserved role are not membership changes.
    'GRANT SELECT ON TABLE "svc_x"."t" TO "anon"',
    "ALTER ROLE postgres SET search_path TO public",
  ])("lets %s through", (sql) => {
    expect(supautilsRefusal(sql, asAdmin)).toBeUndefined();
  });

  it("lets only the privileged role change the settings of a * role", () => {
    expect(supautilsRefusal("ALTER ROLE anon SET statement_timeout = '5s'", { privileged: false })).toBe('"anon" is a reserved role');
    expect(supautilsRefusal('GRANT "svc_x_app" TO "authenticated"', { privileged: false })).toBe('"authenticated" is a reserved role');
  });
});
