/** Starts a verifier server, prints its port and folder as JSON, and runs until killed (for the watchdog test). */
import { launchPostgres } from "../../tools/verify/postgres";

launchPostgres({ major: 17, superuser: "su", password: "pw", authMethod: "scram-sha-256", initdbFlags: [], postgresFlags: ["-c", "listen_addresses=127.0.0.1"], log: () => undefined }).then(
  (pg) => {
    process.stdout.write(`${JSON.stringify({ port: pg.port, folder: pg.folder })}\n`);
    setInterval(() => undefined, 60_000);
  },
  (err) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  },
);
