/**
 * `npm run bench` (second part): the program under mocks with 10, 100 and 500 synthetic services,
 * against a baseline that registers the same resources (types, names, inputs) directly, flat and
 * without components' logic, in the same process. Prints evaluation time, peak heap, their ratio,
 * and the graph's depth and width; exits 1 if the depth grows with the number of services.
 * The synthetic services are copies of dev's first service under new keys; their connection budget
 * is computed but not enforced (500 services need 1,502 Supavisor pools).
 */
import { performance } from "perf_hooks";
import * as pulumi from "@pulumi/pulumi";
import { ServiceDefinition } from "../components/config/catalogue";
import { PlatformConfig } from "../components/config/config";
import { parseSettings } from "../components/config/configSchema";
import { build, stackBudget } from "../program";
import { Capture, capture, reveal } from "../tools/capture";
import { graphStats } from "../tools/graph";
import { rawConfig } from "../test/fixtures";

const SIZES = (process.env.BENCH_SERVICES ?? "10,100,500").split(",").map(Number);
/** Runs per size (median); at 500 services a run of both takes about a minute. */
const RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 3);

function syntheticConfig(n: number): PlatformConfig {
  const base = parseSettings("bench", rawConfig("dev"));
  const template = base.services[0];
  const services = Array.from({ length: n }, (_, i) => {
    const key = `s${String(i).padStart(3, "0")}`;
    const service: ServiceDefinition = { key, displayName: `Synthetic ${i}`, schema: `svc_${key}`, schemaEnvVar: `${key.toUpperCase()}_DATABASE_SCHEMA` };
    return { ...template, service, readsFrom: [], image: `${base.images.registry}/${key}:${base.images.tag}` };
  });
  return {
    ...base,
    services,
    // Two services' workflows in the workers, as dev has.
    temporal: { ...base.temporal, services: services.slice(0, 2).map((s) => s.service.key) },
    credentials: { adminPassword: pulumi.secret("bench-admin"), temporalApiKey: pulumi.secret("bench-temporal") },
  };
}

class BaselineProvider extends pulumi.ProviderResource {
  constructor(pkg: string, name: string, inputs: pulumi.Inputs) {
    super(pkg, name, inputs);
  }
}

class BaselineResource extends pulumi.CustomResource {
  constructor(type: string, name: string, inputs: pulumi.Inputs) {
    super(type, name, inputs);
  }
}

class BaselineComponent extends pulumi.ComponentResource {
  constructor(type: string, name: string) {
    super(type, name);
    this.registerOutputs({});
  }
}

/** The same registrations, made directly: no parents, no Outputs between them, no program logic. */
function baseline(c: Capture): () => Record<string, unknown> {
  const plain = c.resources.map((r) => ({ type: r.type, name: r.name, custom: r.custom, inputs: reveal(r.inputs) as pulumi.Inputs }));
  return () => {
    for (const r of plain) {
      if (r.type.startsWith("pulumi:providers:")) new BaselineProvider(r.type.slice("pulumi:providers:".length), r.name, r.inputs);
      else if (r.custom) new BaselineResource(r.type, r.name, r.inputs);
      else new BaselineComponent(r.type, r.name);
    }
    return {};
  };
}

interface Sample {
  readonly ms: number;
  /** Peak heap above the heap before the run, MiB (garbage included). */
  readonly heapMiB: number;
  /** Heap still held after a full GC, the capture included, MiB (needs --expose-gc). */
  readonly retainedMiB: number;
}

async function measure(run: () => Promise<Capture>): Promise<Sample & { capture: Capture }> {
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 2);
  const t = performance.now();
  const result = await run();
  const ms = performance.now() - t;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  (globalThis as { gc?: () => void }).gc?.();
  const retained = process.memoryUsage().heapUsed - before;
  return { ms, heapMiB: (peak - before) / 2 ** 20, retainedMiB: retained / 2 ** 20, capture: result };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (!(globalThis as { gc?: () => void }).gc) console.log("(run with node --expose-gc for comparable heap figures)");
  const runProgram = (n: number) => {
    const config = syntheticConfig(n);
    return capture({ stack: "bench", config: {}, program: () => build(config, stackBudget(config)) as unknown as Record<string, unknown> });
  };
  await runProgram(10); // warm-up: loads the SDKs
  const rows: string[][] = [];
  const depths: number[] = [];
  for (const n of SIZES) {
    const program: Sample[] = [];
    const direct: Sample[] = [];
    // The first run's capture gives the baseline's registrations and the graph's shape; then it
    // is dropped, so no run pays for another's heap. Odd runs measure the baseline first.
    let shape: { resources: number; depth: number; width: number } | undefined;
    let registrations: (() => Record<string, unknown>) | undefined;
    const runBaseline = async () => {
      const sample = await measure(() => capture({ stack: "bench", config: {}, program: registrations! }));
      if (sample.capture.resources.length !== shape!.resources) throw new Error("the baseline registered a different number of resources");
      direct.push({ ms: sample.ms, heapMiB: sample.heapMiB, retainedMiB: sample.retainedMiB });
    };
    for (let i = 0; i < RUNS; i++) {
      if (i % 2 === 1 && registrations) await runBaseline();
      const sample = await measure(() => runProgram(n));
      if (!shape) {
        const stats = graphStats(sample.capture);
        shape = { resources: sample.capture.resources.length, depth: stats.depth, width: stats.width };
        registrations = baseline(sample.capture);
      }
      program.push({ ms: sample.ms, heapMiB: sample.heapMiB, retainedMiB: sample.retainedMiB });
      if (i % 2 === 0) await runBaseline();
    }
    depths.push(shape!.depth);
    const p = median(program.map((s) => s.ms));
    const b = median(direct.map((s) => s.ms));
    rows.push([
      String(n),
      String(RUNS),
      String(shape!.resources),
      p.toFixed(0),
      b.toFixed(0),
      (p / b).toFixed(2),
      median(program.map((s) => s.heapMiB)).toFixed(0),
      median(direct.map((s) => s.heapMiB)).toFixed(0),
      median(program.map((s) => s.retainedMiB)).toFixed(0),
      median(direct.map((s) => s.retainedMiB)).toFixed(0),
      String(shape!.depth),
      String(shape!.width),
    ]);
  }
  const header = ["services", "runs", "resources", "program ms", "baseline ms", "ratio", "peak MiB", "baseline peak", "retained MiB", "baseline retained", "depth", "width"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  console.log("\nScale (medians; heap above the start of each run: the peak, garbage included, and what a full GC leaves):");
  for (const r of [header, ...rows]) console.log(`  ${r.map((x, i) => x.padStart(widths[i])).join("  ")}`);
  if (depths.some((d) => d !== depths[0])) {
    console.error(`depth grows with the number of services: ${depths.join(", ")}`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
