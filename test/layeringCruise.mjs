/**
 * dependency-cruiser's command line on several trees in one process, for test/layering.test.ts:
 * `node test/layeringCruise.mjs <config> <tree>...`, each tree a JSON `{ "dir", "roots" }`.
 * It calls the function the `depcruise` bin calls (src/cli/index.mjs) with the options commander
 * gives that bin for `depcruise <roots> --config <config> --output-type json` (read off the bin:
 * outputTo "-", metrics false, focusDepth 1), but `--output-to <dir>/cruise.json`; the command
 * line reads the working folder, so each tree runs from its own. Prints each tree's JSON report.
 * One process rather than one per tree: Node.js and the cruiser load once (~0.65 s of CPU each).
 * A dependency-cruiser that moves the function fails here, at the import.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const { default: cli } = await import(new URL("../node_modules/dependency-cruiser/src/cli/index.mjs", import.meta.url));
const [config, ...trees] = process.argv.slice(2);
const results = [];
for (const { dir, roots } of trees.map((t) => JSON.parse(t))) {
  process.chdir(dir);
  const outputTo = join(dir, "cruise.json");
  await cli(roots, { config, outputType: "json", metrics: false, outputTo, focusDepth: 1 });
  results.push(JSON.parse(readFileSync(outputTo, "utf8")));
}
process.stdout.write(JSON.stringify(results));
