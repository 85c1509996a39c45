/**
 * How the tests start a TypeScript command line: as `npm start` does. package.json's "start" is
 * `node <options> tools/plan.ts`; the options (tools/register.cjs) are read from it, so a process
 * a test starts loads our files the way a user's `npm start` and `npm run audit` do; the checks'
 * runner starts as `npm run types-and-lint` does. Plain Node.js: also imported outside jest
 * (bench/start.bench.ts).
 */
import { readFileSync } from "fs";
import { join } from "path";

const scripts: Record<string, string> = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")).scripts;

/** The Node.js options of a package.json script that is `node <options> <entry>`. */
function nodeOptions(script: string, entry: string): readonly string[] {
  const words = scripts[script].split(" ");
  if (words[0] !== "node" || words[words.length - 1] !== entry) throw new Error(`package.json's ${script} is not "node <options> ${entry}": ${scripts[script]}`);
  return words.slice(1, -1);
}

/** Node.js's options that load our TypeScript, with paths relative to the project folder. */
export const LOAD_TYPESCRIPT: readonly string[] = nodeOptions("start", "tools/plan.ts");

/** Node.js's options of `npm run types-and-lint` (tools/checks.ts), the checks `npm test` runs beside jest. */
export const CHECKS_OPTIONS: readonly string[] = nodeOptions("types-and-lint", "tools/checks.ts");
