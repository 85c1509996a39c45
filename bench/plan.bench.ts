/**
 * `npm run bench`: how long the offline plan's stages take per stack (capture of the real
 * program under mocks, graph analysis, renderers). Prints min / median / max over N runs after
 * one warm-up; the first (cold) run, which loads the SDKs, is reported separately. With
 * `BENCH_VERIFY=1` it also times the real-PostgreSQL verification (one run per stack).
 */
import { performance } from "perf_hooks";
import { Capture } from "../tools/capture";
import { graphStats, mermaidOverview } from "../tools/graph";
import { manifestFiles, manifests, validateManifests } from "../tools/k8s/manifests";
import { captureStack } from "../tools/run";
import { renderSql } from "../tools/sql/render";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);

function summary(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const fmt = (n: number) => `${n.toFixed(1)} ms`;
  return `min ${fmt(s[0])}  median ${fmt(s[Math.floor(s.length / 2)])}  max ${fmt(s[s.length - 1])}`;
}

async function time<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const t = performance.now();
  const result = await fn();
  return [result, performance.now() - t];
}

type Stage = { name: string; run: (c: Capture) => unknown };
const STAGES: Stage[] = [
  { name: "graph stats", run: (c) => graphStats(c) },
  { name: "mermaid", run: (c) => mermaidOverview(c) },
  { name: "SQL render", run: (c) => renderSql(c) },
  { name: "k8s YAML", run: (c) => manifestFiles(manifests(c)) },
  { name: "k8s validate", run: (c) => validateManifests(manifests(c)) },
];

async function main(): Promise<void> {
  const [, cold] = await time(() => captureStack("dev"));
  console.log(`cold capture (dev, loads the SDKs): ${cold.toFixed(1)} ms`);
  for (const stack of ["dev", "prod"]) {
    const samples: number[] = [];
    let last: Capture | undefined;
    for (let i = 0; i < RUNS; i++) {
      const [c, ms] = await time(() => captureStack(stack));
      samples.push(ms);
      last = c;
    }
    const stats = graphStats(last!);
    console.log(`\n${stack}: ${stats.resources} resources, ${stats.components} components, depth ${stats.depth}, width ${stats.width}`);
    console.log(`  capture       ${summary(samples)}  (${RUNS} runs)`);
    for (const stage of STAGES) {
      const s: number[] = [];
      for (let i = 0; i < RUNS; i++) s.push((await time(() => stage.run(last!)))[1]);
      console.log(`  ${stage.name.padEnd(13)} ${summary(s)}`);
    }
    if (process.env.BENCH_VERIFY === "1") {
      const { verifyCapture } = await import("../tools/verify/verify");
      const [report, ms] = await time(() => verifyCapture(last!, { pgMajor: 17 }));
      console.log(`  verify (PG17) ${ms.toFixed(0)} ms: ${report.statementsApplied} statements, ${report.allowedPassed}/${report.allowedChecks} allowed, ${report.attacksRefused}/${report.attacks} attacks refused`);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
