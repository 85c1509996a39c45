/**
 * `npm run bench:loader` (also part of `npm run bench`): how long `pulumi preview` / `pulumi up`
 * take to load the program before the engine sees its first resource, and how much memory that
 * takes. Each run is a child process that loads index.ts through @pulumi/pulumi's language-host
 * entry (tools/loader/hostEntry.cjs) under mocks, for both stacks, type-checked (ts-node's
 * default) and transpile-only (PULUMI_NODEJS_TRANSPILE_ONLY=true, what the workflows set).
 * "cold" starts with an empty ts-node cache, as a CI runner does; "warm" reuses the cache the
 * cold run left, as a second preview on the same machine does.
 */
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { HostLoadResult, loadUnderHost } from "../tools/loader/hostLoad";

const STACKS = (process.env.BENCH_STACKS ?? "dev,prod").split(",");

function row(label: string, r: HostLoadResult): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padStart(8);
  return `  ${label.padEnd(26)} ${s(r.processMs)} wall ${s(r.userCpuMs)} user CPU ${String(Math.round(r.maxRssKb / 1024)).padStart(6)} MB peak RSS  ${r.resources} resources`;
}

async function main(): Promise<void> {
  console.log("Program load under the Pulumi language host (cmd/run/run.js, vendored ts-node 7.0.1, tsconfig.json), mocks:");
  for (const stack of STACKS) {
    console.log(`\n${stack}:`);
    for (const typeCheck of [true, false]) {
      const dir = mkdtempSync(join(tmpdir(), "bench-loader-"));
      try {
        const mode = typeCheck ? "type-checked" : "transpile-only";
        console.log(row(`${mode}, cold`, await loadUnderHost(stack, { typeCheck, tmpdir: dir })));
        console.log(row(`${mode}, warm cache`, await loadUnderHost(stack, { typeCheck, tmpdir: dir })));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
