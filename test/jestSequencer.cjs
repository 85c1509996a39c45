/**
 * Jest's own order of test files, with one change for a run without timings (a clean clone, as
 * CI runs): files whose docblock has an `@slow` pragma go first.
 *
 * Jest runs the files that failed last time first, then those it has no timing for, then the
 * rest, longest first (@jest/test-sequencer `sort`). Without timings, its guess is the file's
 * size, and the suites that take longest here are small files: the two operations files are
 * three lines each (the cases are in operations.ts), the host load 23 lines. On a clean clone
 * they ran last, and the second worker sat idle for the last ~6 s (jest --json on a fresh clone:
 * operations.dev started at 57.1 s and ended alone at 63.2 s). Among the `@slow` files, and among
 * the others, the order stays jest's (by size); once jest has timings it uses them, as before.
 */
const { readFileSync } = require("fs");
const Sequencer = require("@jest/test-sequencer").default;
const { extract, parse } = require("jest-docblock");

/** Whether the file's first docblock has the `@slow` pragma (its value says why). */
function markedSlow(path) {
  return Object.prototype.hasOwnProperty.call(parse(extract(readFileSync(path, "utf8"))), "slow");
}

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const failed = sorted.filter((t) => this.hasFailed(t));
    const rest = sorted.filter((t) => !this.hasFailed(t));
    const untimed = rest.filter((t) => t.duration == null);
    const slow = untimed.filter((t) => markedSlow(t.path));
    return [...failed, ...slow, ...untimed.filter((t) => !slow.includes(t)), ...rest.filter((t) => t.duration != null)];
  }
}

module.exports = SlowFirstSequencer;
