/**
 * Phase timings for `npm start -- --timings`: each `mark` closes the phase that ran since the
 * previous one, so the phases add up to the run's wall time.
 */
import { performance } from "perf_hooks";

export class Timings {
  /** From the process's start: the first phase is Node.js, tsx and the modules loading. */
  private readonly start = 0;
  private last = performance.now();
  readonly phases: { readonly name: string; readonly ms: number }[] = [{ name: "start (Node.js, tsx, modules)", ms: performance.now() }];

  /** Ends the phase `name` now. */
  mark(name: string): void {
    const now = performance.now();
    this.phases.push({ name, ms: now - this.last });
    this.last = now;
  }

  format(): string {
    const width = Math.max(...this.phases.map((p) => p.name.length), 5);
    const total = this.last - this.start;
    return ["Timings:", ...this.phases.map((p) => `  ${p.name.padEnd(width)} ${p.ms.toFixed(0).padStart(6)} ms`), `  ${"total".padEnd(width)} ${total.toFixed(0).padStart(6)} ms`].join("\n");
  }
}
