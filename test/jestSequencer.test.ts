/**
 * The order jest runs the test files in (test/jestSequencer.cjs): without timings, the files
 * marked `@slow` first, each group by size, largest first; with timings, jest's own order (failed
 * first, then longest first), whatever the marks say.
 */
import { statSync, writeFileSync } from "fs";
import { basename, join } from "path";
import { tempDir } from "./tempDirs";

interface FakeTest {
  readonly path: string;
  readonly context: unknown;
  duration?: number;
}
interface Sequencer {
  sort(tests: FakeTest[]): FakeTest[];
  cacheResults(tests: FakeTest[], results: unknown): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SlowFirst = require("./jestSequencer.cjs") as new () => Sequencer;

const slow = (padding: number) => `/**\n * A suite.\n *\n * @slow starts processes\n */\n${"// x\n".repeat(padding)}it("x", () => undefined);\n`;
const plain = (padding: number) => `/** A suite that mentions @slow in a sentence only. */\n${"// x\n".repeat(padding)}it("x", () => undefined);\n`;

/** Test files written to a fresh folder, with the context jest gives them (its cache in that folder). */
function suites(files: Record<string, string>): { tests: FakeTest[]; context: unknown } {
  const dir = tempDir("sequencer-");
  const context = { config: { cache: true, cacheDirectory: dir, id: "sequencer-test", haste: {} }, hasteFS: { getSize: (p: string) => statSync(p).size } };
  const tests = Object.entries(files).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return { path: join(dir, name), context };
  });
  return { tests, context };
}

const order = (tests: FakeTest[]) => new SlowFirst().sort(tests.map((t) => ({ path: t.path, context: t.context }))).map((t) => basename(t.path));

/** Records a run's results as jest does after it, in the cache the next run reads. */
function recordRun(tests: FakeTest[], runtimes: Record<string, number>, failing: string[] = []): void {
  const testResults = tests.map((t) => ({
    testFilePath: t.path,
    skipped: false,
    numFailingTests: failing.includes(basename(t.path)) ? 1 : 0,
    perfStats: { runtime: runtimes[basename(t.path)], start: 0, end: runtimes[basename(t.path)] },
  }));
  new SlowFirst().cacheResults(tests, { testResults });
}

it("without timings runs the @slow files first, each group largest first", () => {
  const { tests } = suites({ "big.test.ts": plain(40), "tiny-slow.test.ts": slow(0), "mid-slow.test.ts": slow(10), "small.test.ts": plain(5) });
  expect(order(tests)).toEqual(["mid-slow.test.ts", "tiny-slow.test.ts", "big.test.ts", "small.test.ts"]);
});

it("with timings keeps jest's order: longest first, a mark does not move a short file ahead", () => {
  const { tests } = suites({ "a.test.ts": plain(0), "b-slow.test.ts": slow(0), "c.test.ts": plain(30) });
  recordRun(tests, { "a.test.ts": 9000, "b-slow.test.ts": 200, "c.test.ts": 5000 });
  expect(order(tests)).toEqual(["a.test.ts", "c.test.ts", "b-slow.test.ts"]);
});

it("runs last run's failures first, then the untimed (@slow first), then the timed", () => {
  const { tests } = suites({ "failed.test.ts": plain(0), "timed.test.ts": plain(0), "timed-slow.test.ts": slow(0) });
  recordRun(tests, { "failed.test.ts": 100, "timed.test.ts": 8000, "timed-slow.test.ts": 3000 }, ["failed.test.ts"]);
  // Two files beside them that were never timed: a small one marked @slow, a larger one not.
  const dir = join(tests[0].path, "..");
  writeFileSync(join(dir, "new-slow.test.ts"), slow(0));
  writeFileSync(join(dir, "new.test.ts"), plain(60));
  const all = [...tests, ...["new-slow.test.ts", "new.test.ts"].map((n) => ({ path: join(dir, n), context: tests[0].context }))];
  expect(order(all)).toEqual(["failed.test.ts", "new-slow.test.ts", "new.test.ts", "timed.test.ts", "timed-slow.test.ts"]);
});
