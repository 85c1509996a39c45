/**
 * Phase timings for `npm start -- --timings`: each `mark` closes the phase that ran since the
 * previous one, so the phases add up to the run's wall time. Work that runs alongside them (the
 * verification server starting while the program runs) has its own phases, from `background`:
 * listed where they began, marked "(background)", and not part of the total.
 */
import { performance } from "perf_hooks";

interface Phase {
  readonly name: string;
  readonly ms: number;
  /** When it began, from the process's start. */
  readonly at: number;
  readonly background: boolean;
}

export class Timings {
  /** From the process's start: the first phase is Node.js and the modules loading (tools/register.cjs). */
  private readonly start = 0;
  private last = performance.now();
  private readonly all: Phase[] = [{ name: "start (Node.js, modules)", ms: performance.now(), at: 0, background: false }];

  /** Every phase in the order it began. */
  get phases(): readonly { readonly name: string; readonly ms: number }[] {
    return [...this.all].sort((a, b) => a.at - b.at);
  }

  /** Ends the phase `name` now. */
  mark(name: string): void {
    const now = performance.now();
    this.all.push({ name, ms: now - this.last, at: this.last, background: false });
    this.last = now;
  }

  /** A `mark` for work that starts now and runs alongside the phases marked here. */
  background(): (name: string) => void {
    let last = performance.now();
    return (name) => {
      const now = performance.now();
      this.all.push({ name: `${name} (background)`, ms: now - last, at: last, background: true });
      last = now;
    };
  }

  format(): string {
    const phases = this.phases;
    const width = Math.max(...phases.map((p) => p.name.length), 5);
    const total = this.last - this.start;
    const note = this.all.some((p) => p.background) ? ["  (background phases ran alongside the others: the total is the wall time, without them)"] : [];
    return ["Timings:", ...phases.map((p) => `  ${p.name.padEnd(width)} ${p.ms.toFixed(0).padStart(6)} ms`), `  ${"total".padEnd(width)} ${total.toFixed(0).padStart(6)} ms`, ...note].join("\n");
  }
}
