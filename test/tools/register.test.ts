/**
 * tools/register.cjs, the loader of `npm start` and the other command lines: it runs TypeScript
 * that only a transpiler can (parameter properties, enums, extensionless imports), keeps one
 * transform per file and never serves a stale one, leaves the packages' JavaScript alone, and
 * reports errors at TypeScript lines; the SDK's modules the program never uses load only when used.
 */
import { spawnSync } from "child_process";
import { readdirSync, writeFileSync } from "fs";
import { join } from "path";
import { ROOT } from "../../tools/stackConfig";
import { tempDir } from "../tempDirs";

const REGISTER = join(ROOT, "tools", "register.cjs");

function run(entry: string, cache: string) {
  const r = spawnSync(process.execPath, ["--require", REGISTER, entry], { encoding: "utf8", env: { ...process.env, VOLTERYDE_TS_CACHE: cache }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the command lines' TypeScript loader", () => {
  const dir = tempDir("register-");
  const cache = join(dir, "cache");
  const entry = join(dir, "entry.ts");
  const lib = (greeting: string) =>
    writeFileSync(join(dir, "lib.ts"), `export enum Mood { Calm = "calm" }\nexport class Greeter {\n  constructor(private readonly word: string) {}\n  greet(who: string): string { return \`\${this.word}, \${who} (\${Mood.Calm})\`; }\n}\nexport const WORD: string = ${JSON.stringify(greeting)};\n`);
  writeFileSync(
    entry,
    `import { Greeter, WORD } from "./lib";\nimport { parse } from ${JSON.stringify(join(ROOT, "node_modules", "yaml"))};\nconst n: number = parse("n: 2").n;\nconsole.log(new Greeter(WORD).greet("world"), n);\n`,
  );

  it("runs TypeScript through esbuild and keeps one transform per file of ours, none for a package's JavaScript", () => {
    lib("hello");
    expect(run(entry, cache)).toEqual({ code: 0, stdout: "hello, world (calm) 2\n", stderr: "" });
    expect(readdirSync(cache).filter((f) => f.endsWith(".js"))).toHaveLength(2);
    expect(run(entry, cache).stdout).toBe("hello, world (calm) 2\n");
    expect(readdirSync(cache)).toHaveLength(2);
  });

  it("transpiles a file again when its text changed, in place of the old transform", () => {
    lib("hello");
    expect(run(entry, cache).stdout).toBe("hello, world (calm) 2\n");
    lib("bonjour");
    expect(run(entry, cache).stdout).toBe("bonjour, world (calm) 2\n");
    expect(readdirSync(cache)).toHaveLength(2);
  });

  it("hands the SDK the modules the program never uses (tools/lazy/index.cjs) as stand-ins that load on first use and are the real ones then", () => {
    const sdk = join(dir, "sdk.ts");
    const root = join(ROOT, "node_modules", "@pulumi", "pulumi");
    writeFileSync(
      sdk,
      `import * as pulumi from ${JSON.stringify(root)};\n` +
        `import { createRequire } from "module";\n` +
        `const REAL = ["/node_modules/typescript/lib/typescript.js", "/node_modules/@pulumi/pulumi/automation/index.js", "/node_modules/normalize-package-data/lib/normalize.js"];\n` +
        `const loaded = () => REAL.map((end) => Object.keys(require.cache).some((k) => k.endsWith(end))).join(" ");\n` +
        `console.log(loaded());\n` +
        `pulumi.runtime.serializeFunction(() => 6 * 7).then((f) => {\n` +
        `  const workspace = typeof pulumi.automation.LocalWorkspace.create;\n` +
        // What runtime/closure/codePaths.js gets for the package, called as it calls it.
        `  const normalize = createRequire(${JSON.stringify(join(root, "runtime", "closure", "codePaths.js"))})("normalize-package-data");\n` +
        `  const data = { name: "x", version: "1.0.0" };\n` +
        `  normalize(data);\n` +
        `  console.log(loaded(), f.text.includes("6 * 7"), workspace, data._id);\n` +
        `});\n`,
    );
    expect(run(sdk, cache)).toEqual({ code: 0, stdout: "false false false\ntrue true true true function x@1.0.0\n", stderr: "" });
  });

  it("reports an error at the TypeScript file's own line", () => {
    const failing = join(dir, "failing.ts");
    writeFileSync(failing, `interface Unused { a: number }\ntype Alias = string;\nconst x: Alias = "x";\nthrow new Error(\`broken \${x}\`);\n`);
    const r = run(failing, cache);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Error: broken x");
    expect(r.stderr).toContain(`${failing}:4:`);
  });
});
