/**
 * The verifier's server start: the data folder initdb made once is kept and copied for the next
 * server with the same options, which then accepts the same login; kept folders nobody copied
 * from for a week go when a new one is kept.
 */
import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from "fs";
import { join } from "path";
import { Client } from "pg";
import { launchPostgres, pruneTemplates } from "../../tools/verify/postgres";
import { tempDir } from "../tempDirs";

const OPTIONS = { major: 17, superuser: "template_probe", password: "template-probe-pw", authMethod: "scram-sha-256", initdbFlags: ["--encoding=UTF8"], postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off"], log: () => undefined } as const;

async function encodingAfter(phases: string[], template?: (path: string | undefined) => void): Promise<string> {
  const pg = await launchPostgres({ ...OPTIONS, phase: (name) => phases.push(name) });
  template?.(pg.template);
  try {
    const client = new Client({ host: "127.0.0.1", port: pg.port, user: OPTIONS.superuser, password: OPTIONS.password, database: "postgres" });
    await client.connect();
    try {
      return (await client.query("SHOW server_encoding")).rows[0].server_encoding;
    } finally {
      await client.end();
    }
  } finally {
    await pg.stop();
  }
}

it("a second server with the same options starts from the kept data folder, not initdb, and takes the same login", async () => {
  const first: string[] = [];
  let template: string | undefined;
  expect(await encodingAfter(first, (t) => (template = t))).toBe("UTF8");
  expect(["server: initdb", "server: data folder from the template"]).toContain(first[1]);
  expect(template).toMatch(/[/\\]node_modules[/\\]\.cache[/\\]verify-postgres[/\\]pg17-[0-9a-f]{16}$/);
  // Last used two days ago, as far as pruning can tell; the copy below marks it used now.
  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
  utimesSync(template!, twoDaysAgo, twoDaysAgo);
  const second: string[] = [];
  const before = Date.now();
  let again: string | undefined;
  expect(await encodingAfter(second, (t) => (again = t))).toBe("UTF8");
  expect(second).toEqual(["server: stage binaries", "server: data folder from the template", "server: start"]);
  expect(again).toBe(template);
  // 1 s for the file system's clock.
  expect(statSync(template!).mtimeMs).toBeGreaterThanOrEqual(before - 1000);
}, 120_000);

it("pruning removes the kept data folders unused for a week but the one just kept, and nothing else", () => {
  const folder = tempDir("templates-");
  const DAY = 24 * 60 * 60 * 1000;
  const now = Date.now();
  const plant = (name: string, daysAgo: number, file = false) => {
    const path = join(folder, name);
    if (file) writeFileSync(path, "");
    else mkdirSync(path);
    const t = new Date(now - daysAgo * DAY);
    utimesSync(path, t, t);
    return path;
  };
  plant("pg17-aaaaaaaaaaaaaaaa", 8);
  plant("pg15-bbbbbbbbbbbbbbbb", 6);
  plant("pg15-eeeeeeeeeeeeeeee", 7.1);
  const kept = plant("pg17-cccccccccccccccc", 30);
  plant("pg17-dddddddddddddddd.tmp-123", 30);
  plant("notes.txt", 30, true);
  expect(pruneTemplates(folder, kept, undefined, now).sort()).toEqual(["pg15-eeeeeeeeeeeeeeee", "pg17-aaaaaaaaaaaaaaaa"]);
  expect(readdirSync(folder).sort()).toEqual(["notes.txt", "pg15-bbbbbbbbbbbbbbbb", "pg17-cccccccccccccccc", "pg17-dddddddddddddddd.tmp-123"]);
});

it("VERIFY_PG_TEMPLATE=0 runs initdb", async () => {
  process.env.VERIFY_PG_TEMPLATE = "0";
  try {
    const phases: string[] = [];
    expect(await encodingAfter(phases)).toBe("UTF8");
    expect(phases).toEqual(["server: stage binaries", "server: initdb", "server: start"]);
  } finally {
    delete process.env.VERIFY_PG_TEMPLATE;
  }
}, 120_000);
