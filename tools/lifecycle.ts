/**
 * What a tool run leaves behind when it ends, however it ends: temporary folders are removed on
 * a normal exit, on an error and on SIGINT/SIGTERM/SIGHUP, and cleanups that need time (stopping
 * a PostgreSQL server) run before an interrupted run exits. A run killed outright (SIGKILL) cannot
 * run anything: the verifier's server has its own watchdog for that (tools/verify/postgres.ts).
 */
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";

const folders = new Set<string>();
const cleanups = new Set<() => Promise<void>>();

process.on("exit", () => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** A private (mode 700) temporary folder, removed when `remove` is called or the process exits. */
export function temporaryFolder(prefix: string, parent = tmpdir()): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(parent, prefix));
  folders.add(path);
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
      folders.delete(path);
    },
  };
}

/** Registers a cleanup an interrupted run awaits before it exits; returns its removal. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };

let interruptedBy: string | undefined;

/**
 * Whether a signal is ending the run (exitCleanlyOnSignals): the exit code and the one line are
 * the signal handler's, so an entry point neither prints the failure the cleanup caused (queries
 * on a server it stopped) nor exits with another code.
 */
export function interrupted(): boolean {
  return interruptedBy !== undefined;
}

/**
 * For a command-line entry point: on SIGINT, SIGTERM or SIGHUP print one line (no stack trace),
 * run the registered cleanups (at most `graceMs`), remove the temporary folders and exit with
 * 128 + the signal number, as a shell reports a process killed by that signal.
 */
export function exitCleanlyOnSignals(write: (text: string) => void = (t) => process.stderr.write(t), graceMs = 15_000): void {
  let interrupted = false;
  for (const [signal, number] of Object.entries(SIGNALS)) {
    // `on`, not `once`: a terminal's Ctrl-C reaches npm, its shell and this process, and a runner
    // (npm, tsx) may relay it again; a second signal must not cut the cleanup short.
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      interruptedBy = signal;
      write(`\nInterrupted (${signal}): stopping the verification server and removing temporary files.\n`);
      const timer = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
      void Promise.race([Promise.allSettled([...cleanups].map((c) => c())), timer]).finally(() => process.exit(128 + number));
    });
  }
}
