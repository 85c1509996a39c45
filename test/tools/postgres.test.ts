/**
 * The verifier's server start: the data folder initdb made once is kept and copied for the next
 * server with the same options, which then accepts the same login.
 */
import { Client } from "pg";
import { launchPostgres } from "../../tools/verify/postgres";

const OPTIONS = { major: 17, superuser: "template_probe", password: "template-probe-pw", authMethod: "scram-sha-256", initdbFlags: ["--encoding=UTF8"], postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off"], log: () => undefined } as const;

async function encodingAfter(phases: string[]): Promise<string> {
  const pg = await launchPostgres({ ...OPTIONS, phase: (name) => phases.push(name) });
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
  expect(await encodingAfter(first)).toBe("UTF8");
  expect(["server: initdb", "server: data folder from the template"]).toContain(first[1]);
  const second: string[] = [];
  expect(await encodingAfter(second)).toBe("UTF8");
  expect(second).toEqual(["server: stage binaries", "server: data folder from the template", "server: start"]);
}, 120_000);

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
