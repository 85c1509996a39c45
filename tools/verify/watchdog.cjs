"use strict";
// Runs the verifier's PostgreSQL and stops it when the process that started it goes away, however
// it goes (an error, Ctrl-C, SIGKILL): the postmaster never notices that its parent died and would
// keep its port and data folder. The parent holds this process's stdin open; end of file means the
// parent is gone (or asks to stop). Then PostgreSQL gets a fast shutdown (SIGINT: sessions are
// aborted), a SIGKILL if it has not exited after 10 s, and the private working folder is removed.
// Plain JavaScript so that it starts in milliseconds without the TypeScript loader.
const { spawn } = require("child_process");
const { rmSync } = require("fs");

const { command, args, uid, gid, folder } = JSON.parse(process.argv[2]);
const server = spawn(command, args, { stdio: ["ignore", "ignore", "inherit"], uid, gid, env: { ...process.env, LC_MESSAGES: "C" } });
let stopping = false;

function stop() {
  if (stopping) return;
  stopping = true;
  server.kill("SIGINT");
  setTimeout(() => server.kill("SIGKILL"), 10000).unref();
}

// Started detached (its own process group), so a terminal's Ctrl-C reaches only the parent, which
// then closes stdin. A signal sent to this process itself still stops the server first.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, stop);
process.stdin.on("data", () => undefined);
process.stdin.on("end", stop);
process.stdin.on("error", stop);
server.on("error", (err) => {
  process.stderr.write(`[watchdog] could not start ${command}: ${err.message}\n`);
  if (folder) rmSync(folder, { recursive: true, force: true });
  process.exit(127);
});
server.on("exit", (code, signal) => {
  // When the parent asked (or died), nobody else will remove the folder.
  if (stopping && folder) rmSync(folder, { recursive: true, force: true });
  process.exit(code ?? (signal ? 128 : 1));
});
