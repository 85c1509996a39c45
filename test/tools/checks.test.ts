/**
 * The checks' runner (tools/checks.ts, `npm run types-and-lint`, which `npm test` runs beside
 * jest) fails on what `tsc --noEmit` and `eslint .` fail on, each named with its file: a type
 * error, a lint error, and an Output in a plain template literal (a type-aware rule: the lint
 * reads the type check's program). It runs as `npm run checks` starts it, in a small project
 * with our eslint.config.mjs and node_modules.
 */
import { spawnSync } from "child_process";
import { copyFileSync, symlinkSync, writeFileSync } from "fs";
import { join } from "path";
import { exitCode } from "../../tools/checks";
import { CHECKS_OPTIONS } from "../commandLine";
import { tempDir } from "../tempDirs";

const ROOT = join(__dirname, "..", "..");

it("exits 1 and names a type error, a lint error and an Output in a template literal; the rest of the project passes", () => {
  const project = tempDir("checks-");
  symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"));
  copyFileSync(join(ROOT, "eslint.config.mjs"), join(project, "eslint.config.mjs"));
  const compilerOptions = { strict: true, target: "ES2022", module: "commonjs", moduleResolution: "node", skipLibCheck: true, types: [] };
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["*.ts"] }));
  writeFileSync(join(project, "typeError.ts"), 'export const count: number = "one";\n');
  writeFileSync(join(project, "unused.ts"), "const unused = 1;\nexport {};\n");
  writeFileSync(join(project, "output.ts"), 'import * as pulumi from "@pulumi/pulumi";\nexport const name = pulumi.output("x");\nexport const label = `name: ${name}`;\n');
  writeFileSync(join(project, "clean.ts"), 'import * as pulumi from "@pulumi/pulumi";\nexport const label = pulumi.interpolate`name: ${pulumi.output("x")}`;\n');
  const loader = CHECKS_OPTIONS.map((a) => (a.startsWith("./") ? join(ROOT, a) : a));
  const run = spawnSync(process.execPath, [...loader, join(ROOT, "tools", "checks.ts")], { cwd: project, encoding: "utf8", timeout: 120_000 });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(1);
  expect(run.stdout).toContain("typeError.ts(1,14): error TS2322: Type 'string' is not assignable to type 'number'.");
  expect(run.stdout).toMatch(/unused\.ts\n\s+1:7\s+error\s+'unused' is assigned a value but never used\s+@typescript-eslint\/no-unused-vars/);
  expect(run.stdout).toMatch(/output\.ts\n\s+3:\d+\s+error\s+.*@pulumi\/no-output-in-template-literal/);
  expect(run.stdout).not.toContain("clean.ts");
  expect(run.stdout).toContain("type errors: 1, lint errors: 2");
});

it("fails on type errors alone and on lint errors alone", () => {
  expect(exitCode({ typeErrors: 1, lintErrors: 0 })).toBe(1);
  expect(exitCode({ typeErrors: 0, lintErrors: 3 })).toBe(1);
  expect(exitCode({ typeErrors: 0, lintErrors: 0 })).toBe(0);
});
