"use strict";
// Guards one run of the verifier's PostgreSQL: it owns the run's private folder and runs, one at
// a time, the commands the parent sends (initdb, then the postmaster), so that when the parent
// goes away, however it goes (an error, Ctrl-C, SIGKILL), the command is stopped and the folder
// removed. The postmaster never notices that its parent died and would keep its port and folder.
//
// Protocol: the parent writes one JSON line per command to stdin ({command, args, uid, gid, and
// optionally stopSignal}); the command's stderr is this process's stderr; when it ends, one JSON
// line ({exit, signal} or {error}) goes to stdout. End of stdin means the parent is gone or done:
// the running command gets its stopSignal (default SIGINT, PostgreSQL's fast shutdown), SIGKILL
// after 10 s, then the folder is removed.
// Plain JavaScript so that it starts in milliseconds without the TypeScript loader.
const { spawn } = require("child_process");
const { rmSync } = require("fs");

const { folder } = JSON.parse(process.argv[2]);
let current;
let stopSignal = "SIGINT";
let closing = false;

function finish() {
  rmSync(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  process.exit(0);
}

function close() {
  if (closing) return;
  closing = true;
  if (!current) return finish();
  current.kill(stopSignal);
  setTimeout(() => current && current.kill("SIGKILL"), 10000).unref();
}

let buffered = "";
process.stdin.on("data", (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf("\n")) >= 0) {
    const { command, args, uid, gid, stopSignal: signal } = JSON.parse(buffered.slice(0, newline));
    stopSignal = signal || "SIGINT";
    buffered = buffered.slice(newline + 1);
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "inherit"], uid, gid, env: { ...process.env, LC_MESSAGES: "C" } });
    current = child;
    child.on("error", (err) => {
      current = undefined;
      process.stdout.write(JSON.stringify({ error: err.code || err.message }) + "\n");
      if (closing) finish();
    });
    child.on("exit", (code, signal) => {
      current = undefined;
      process.stdout.write(JSON.stringify({ exit: code, signal }) + "\n");
      if (closing) finish();
    });
  }
});
process.stdout.on("error", () => undefined); // the parent is gone: nobody to tell
process.stdin.on("end", close);
process.stdin.on("error", close);
// Started detached (its own process group), so a terminal's Ctrl-C reaches only the parent, which
// then closes stdin. A signal sent to this process itself still stops the command first.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, close);
