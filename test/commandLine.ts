/**
 * How the tests start a TypeScript command line: as `npm start` does. package.json's "start" is
 * `node <options> tools/plan.ts`; the options (tools/register.cjs) are read from it, so a process
 * a test starts loads our files the way a user's `npm start` and `npm run audit` do. Plain
 * Node.js: also imported outside jest (bench/start.bench.ts).
 */
import { readFileSync } from "fs";
import { join } from "path";

const start: string = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")).scripts.start;
const words = start.split(" ");
if (words[0] !== "node" || words[words.length - 1] !== "tools/plan.ts") throw new Error(`package.json's start is not "node <options> tools/plan.ts": ${start}`);

/** Node.js's options that load our TypeScript, with paths relative to the project folder. */
export const LOAD_TYPESCRIPT: readonly string[] = words.slice(1, -1);
