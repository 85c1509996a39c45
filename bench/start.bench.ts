/**
 * `npm run bench:start`: `npm start` end to end, as a developer runs it: the plan of each stack as
 * a process (package.json's start command without npm, so Node.js's start and the loader's are in
 * it), with the real-PostgreSQL verification, BENCH_RUNS times after one warm-up run (which fills
 * the compile cache and the verifier's data folder as the first run after `npm ci` does). Prints
 * min / median / max wall time, the median of each phase `--timings` prints, and the load average
 * before and after: the machine's two cores are shared, so figures are comparable only at a similar
 * load.
 * BENCH_STACKS=dev,prod picks the stacks; BENCH_ARGS adds plan options (e.g. "--no-verify").
 */
import { spawnSync } from "child_process";
import { mkdtempSync, rmSync } from "fs";
import { loadavg, tmpdir } from "os";
import { join } from "path";
import { performance } from "perf_hooks";
import { LOAD_TYPESCRIPT } from "../test/commandLine";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const STACKS = (process.env.BENCH_STACKS ?? "dev,prod").split(",");
const EXTRA = (process.env.BENCH_ARGS ?? "").split(" ").filter(Boolean);
const ROOT = join(__dirname, "..");

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");

/** One plan as a process: its wall time and the phases of its --timings. */
function run(stack: string, out: string): { ms: number; phases: Map<string, number> } {
  const started = performance.now();
  const child = spawnSync(process.execPath, [...LOAD_TYPESCRIPT, "tools/plan.ts", "--stack", stack, "--out", out, "--timings", ...EXTRA], { cwd: ROOT, encoding: "utf8" });
  const ms = performance.now() - started;
  if (child.status !== 0) throw new Error(`plan of ${stack} exited ${child.status}:\n${child.stderr}${child.stdout}`);
  const timings = child.stdout.slice(child.stdout.indexOf("Timings:"));
  const phases = new Map([...timings.matchAll(/^ {2}(\S.*?) +(\d+) ms$/gm)].map((m) => [m[1], Number(m[2])] as const));
  return { ms, phases };
}

function main(): void {
  const out = mkdtempSync(join(tmpdir(), "bench-start-"));
  try {
    console.log(`npm start (node ${LOAD_TYPESCRIPT.join(" ")} tools/plan.ts${EXTRA.length ? ` ${EXTRA.join(" ")}` : ""}), ${RUNS} runs per stack after a warm-up; load average ${load()}`);
    for (const stack of STACKS) {
      run(stack, out);
      const runs = Array.from({ length: RUNS }, () => run(stack, out));
      const walls = runs.map((r) => r.ms).sort((a, b) => a - b);
      const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      console.log(`\n${stack}: wall min ${s(walls[0])}  median ${s(median(walls))}  max ${s(walls[walls.length - 1])}; load average ${load()}`);
      console.log("  phases (median of the runs; background ones overlap the others):");
      const names = [...runs[0].phases.keys()];
      const width = Math.max(...names.map((n) => n.length));
      for (const name of names) console.log(`    ${name.padEnd(width)} ${String(median(runs.map((r) => r.phases.get(name) ?? 0))).padStart(6)} ms`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main();
