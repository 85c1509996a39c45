/**
 * Loads the program as `pulumi preview` and `pulumi up` do, under mocks instead of an engine:
 * through @pulumi/pulumi's own language-host entry, `cmd/run/run.js` `run()`, which registers
 * ts-node itself (the project's TypeScript; the project has no ts-node, so the ts-node 7.0.1
 * vendored in @pulumi/pulumi), reads tsconfig.json, type-checks unless
 * PULUMI_NODEJS_TRANSPILE_ONLY is "true" or tsconfig sets `noCheck`, requires the entry point
 * from package.json `main` and wraps it in the root Stack resource (run.js, tsutils.js).
 *
 * Plain JavaScript on purpose: nothing but the host's own ts-node may compile the program here.
 * The caller passes the stack's config as the CLI does, in PULUMI_CONFIG and
 * PULUMI_CONFIG_SECRET_KEYS (runtime/config.js), and the stack in argv[2]. On success it
 * prints one JSON line: the stack-output keys, resources registered, time and peak memory.
 *
 * The mocks compute only what the program reads back (ids, ARNs, random results, auto-names);
 * the full simulation used by the plan is tools/capture.ts, in TypeScript, which this process
 * must not load through a second compiler.
 */
"use strict";
const { createHash } = require("crypto");
const { join } = require("path");

const started = process.hrtime.bigint();
const root = join(__dirname, "..", "..");
const stack = process.argv[2];
if (!stack) throw new Error("usage: hostEntry.cjs <stack>");
// What the CLI sets for a TypeScript project (Pulumi.yaml runtime nodejs, typescript defaults to true).
process.env.PULUMI_NODEJS_TYPESCRIPT = "true";
process.chdir(root);

const pulumi = require("@pulumi/pulumi");
// run.js requires its package's index.js, the host's argument parser, which connects to the
// engine as soon as it is loaded; all run.js takes from it is an exit code. Stand in for it.
const Module = require("module");
const hostIndex = require.resolve("@pulumi/pulumi/cmd/run/index.js");
const stand = new Module(hostIndex);
stand.filename = hostIndex;
stand.loaded = true;
stand.exports = { nodeJSProcessExitedAfterLoggingUserActionableMessage: 32 };
require.cache[hostIndex] = stand;
const { run } = require("@pulumi/pulumi/cmd/run/run");
const settings = require("@pulumi/pulumi/runtime/settings");

const hash = (s) => createHash("sha256").update(s).digest("hex");
let registered = 0;
pulumi.runtime.setMocks(
  {
    newResource({ type, name, inputs }) {
      registered++;
      const state = { ...inputs };
      if (type.startsWith("random:")) state.result = hash(name).slice(0, Number(inputs.length ?? 16));
      if (type.startsWith("aws:")) state.arn = `arn:aws:${type.split(":")[1].split("/")[0]}:sa-east-1:123456789012:${name}-${hash(name).slice(0, 6)}`;
      if (type === "aws:secretsmanager/secretVersion:SecretVersion") state.versionId = hash(`${name}${inputs.secretString ?? ""}`).slice(0, 32);
      if (type.startsWith("kubernetes:") && inputs.metadata?.name === undefined) state.metadata = { ...inputs.metadata, name: `${name}-${hash(name).slice(0, 8)}` };
      return { id: state.metadata?.name ?? inputs.name ?? `${name}-id`, state };
    },
    call({ token }) {
      throw new Error(`the program made an unexpected call: ${token}`);
    },
  },
  "volteryde-infra",
  stack,
  true,
);

/** Peak memory and CPU time of this process, as the language host's process would use them. */
function usage() {
  const u = process.resourceUsage();
  return { maxRssKb: u.maxRSS, userCpuMs: u.userCPUTime / 1000, systemCpuMs: u.systemCPUTime / 1000 };
}

const errors = [];
run(
  { _: ["."] },
  () => undefined,
  (err) => errors.push(err),
  () => false,
).then(
  async (outputs) => {
    await settings.waitForRPCs();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    process.stdout.write(
      JSON.stringify({ stack, outputs: Object.keys(outputs).sort(), resources: registered, ms, ...usage() }) + "\n",
    );
  },
  (err) => {
    for (const e of errors) process.stderr.write(`${e && e.stack ? e.stack : String(e)}\n`);
    process.stderr.write(`${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
