/**
 * The verifier's server start: the data folder initdb made once is kept and copied for the next
 * server with the same options, which then accepts the same login; kept folders nobody copied
 * from for a week go when a new one is kept. The server's folder goes to VERIFY_PG_DIR, else a
 * memory file system with room, else the temporary folder.
 */
import { chmodSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { basename, dirname, join } from "path";
import { Client } from "pg";
import { enterableTempParent, launchPostgres, memoryParent, pruneTemplates } from "../../tools/verify/postgres";
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

describe("where a server's folder goes", () => {
  const TMPFS = 0x01021994;
  const GIB_IN_4K_BLOCKS = 262_144;
  const tmpfs = () => ({ type: TMPFS, bavail: GIB_IN_4K_BLOCKS, bsize: 4096 });

  it("a memory file system (tmpfs, ramfs) with 1 GiB free that this process can write; nothing else", () => {
    const dir = tempDir("memory-");
    expect(memoryParent(undefined, dir, tmpfs)).toBe(dir);
    expect(memoryParent(undefined, dir, () => ({ type: 0x858458f6, bavail: 2 * GIB_IN_4K_BLOCKS, bsize: 4096 }))).toBe(dir);
    // ext4, a disk
    expect(memoryParent(undefined, dir, () => ({ type: 0xef53, bavail: 100 * GIB_IN_4K_BLOCKS, bsize: 4096 }))).toBeUndefined();
    // a block short of 1 GiB, like Docker's default 64 MB /dev/shm
    expect(memoryParent(undefined, dir, () => ({ type: TMPFS, bavail: GIB_IN_4K_BLOCKS - 1, bsize: 4096 }))).toBeUndefined();
    // no such folder (statfs fails, as on macOS), or one this process cannot write
    expect(memoryParent(undefined, dir, () => { throw Object.assign(new Error("ENOENT"), { code: "ENOENT" }); })).toBeUndefined();
    expect(memoryParent(undefined, join(dir, "missing"), tmpfs)).toBeUndefined();
  });

  it("as root, not one the server's OS user cannot enter", () => {
    const closed = tempDir("memory-closed-");
    chmodSync(closed, 0o700);
    expect(memoryParent({ uid: 999, gid: 999 }, closed, tmpfs)).toBeUndefined();
  });

  it("VERIFY_PG_DIR naming no folder: a start error that names it, before anything starts", async () => {
    const missing = join(tempDir("pg-dir-missing-"), "nowhere");
    process.env.VERIFY_PG_DIR = missing;
    try {
      await expect(launchPostgres(OPTIONS)).rejects.toThrow(`VERIFY_PG_DIR=${missing}: no such folder; create it, or unset VERIFY_PG_DIR`);
    } finally {
      delete process.env.VERIFY_PG_DIR;
    }
  });

  it("VERIFY_PG_DIR when set: the server's folder is made there and gone after stop", async () => {
    // On the memory file system when there is one, as the verifier would choose: files cost less there.
    const dir = tempDir("pg-dir-", memoryParent(undefined) ?? enterableTempParent() ?? tmpdir());
    chmodSync(dir, 0o755);
    process.env.VERIFY_PG_DIR = dir;
    let pg: Awaited<ReturnType<typeof launchPostgres>> | undefined;
    try {
      pg = await launchPostgres(OPTIONS);
      expect(dirname(pg.folder)).toBe(dir);
      expect(readdirSync(dir)).toEqual([basename(pg.folder)]);
      await pg.stop();
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      delete process.env.VERIFY_PG_DIR;
      // Stopped also when an expectation failed, so that the run does not wait on its server.
      await pg?.stop();
    }
  }, 120_000);
});
