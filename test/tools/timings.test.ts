/**
 * `--timings`: phases in the order they began; background phases are marked, sit where they
 * began, and are not added to the total (the wall time).
 */
import { Timings } from "../../tools/timings";

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

function parse(text: string): { name: string; ms: number }[] {
  return [...text.matchAll(/^ {2}(\S.*?) +(\d+) ms$/gm)].map((m) => ({ name: m[1], ms: Number(m[2]) }));
}

it("lists background phases where they began, marked, and leaves them out of the total", () => {
  const t = new Timings();
  t.mark("before");
  const background = t.background();
  busy(5);
  background("server: copy");
  t.mark("capture");
  background("server: start");
  t.mark("render");
  const text = t.format();
  const phases = parse(text);
  expect(phases.map((p) => p.name)).toEqual(["start (Node.js, modules)", "before", "capture", "server: copy (background)", "server: start (background)", "render", "total"]);
  expect(text).toContain("(background phases ran alongside the others: the total is the wall time, without them)");
  const foreground = phases.filter((p) => !p.name.endsWith("(background)") && p.name !== "total");
  const total = phases.at(-1)!.ms;
  // Rounded per phase: the foreground phases add up to the total within a millisecond each.
  expect(Math.abs(foreground.reduce((a, p) => a + p.ms, 0) - total)).toBeLessThanOrEqual(foreground.length);
});

it("prints no background note without background phases", () => {
  const t = new Timings();
  t.mark("only");
  expect(t.format()).not.toContain("background");
});
