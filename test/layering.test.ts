/**
 * The layering rules of `.dependency-cruiser.cjs` (run on the real tree by `npm run layers`) catch
 * what they promise: a small tree with one planted violation per rule must report exactly those,
 * and a tree that follows the layers must report nothing.
 */
import { spawnSync } from "child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join } from "path";

const ROOT = join(__dirname, "..");
const DEPCRUISE = join(ROOT, "node_modules", ".bin", "depcruise");

interface Violation {
  readonly rule: { readonly name: string };
  readonly from: string;
  readonly to: string;
}

/** Writes `files` (path -> source) into a fresh folder, cruises it with the project's rules, returns the violations. */
function cruise(files: Record<string, string>, roots: readonly string[] = ["components", "tools", "program.ts"]): Violation[] {
  const dir = mkdtempSync(join(tmpdir(), "layering-"));
  try {
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "commonjs", moduleResolution: "node" } }));
    for (const [path, source] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), source);
    }
    const run = spawnSync(DEPCRUISE, [...roots, "--config", join(ROOT, ".dependency-cruiser.cjs"), "--output-type", "json"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 60_000,
    });
    if (!run.stdout) throw new Error(`depcruise printed nothing: ${run.stderr}`);
    return (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const leaf = "export const x = 1;\n";
const importing = (...paths: string[]) => paths.map((p, i) => `import { x as x${i} } from "${p}";\nexport const y${i} = x${i};\n`).join("") || leaf;

it("reports one violation per planted mistake, naming the rule and the two files", () => {
  const violations = cruise({
    "components/config/naming.ts": importing("../workloads/podTemplate"),
    "components/database/serviceDatabase.ts": importing("../credentials/awsSecret"),
    "components/credentials/awsSecret.ts": importing("../platform"),
    "components/workloads/podTemplate.ts": importing("../database/privileges"),
    "components/database/privileges.ts": leaf,
    "components/platform.ts": importing("../tools/capture"),
    "tools/capture.ts": leaf,
    "program.ts": importing("./tools/capture"),
    // A cycle inside one module, which no layer rule would catch (reported once, at the edge that closes it).
    "components/config/catalogue.ts": importing("./configSchema"),
    "components/config/configSchema.ts": "import { x } from \"./catalogue\";\nexport const z = x;\n",
  });
  const found = violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
  expect(found).toEqual([
    "components-never-import-tools: components/platform.ts -> tools/capture.ts",
    "config-imports-no-module: components/config/naming.ts -> components/workloads/podTemplate.ts",
    "credentials-imports-config-only: components/credentials/awsSecret.ts -> components/platform.ts",
    "database-imports-config-only: components/database/serviceDatabase.ts -> components/credentials/awsSecret.ts",
    "no-circular: components/config/catalogue.ts -> components/config/configSchema.ts",
    "program-never-imports-tools: program.ts -> tools/capture.ts",
    "workloads-imports-config-and-credentials: components/workloads/podTemplate.ts -> components/database/privileges.ts",
  ]);
});

it("accepts a tree that imports downwards only", () => {
  const violations = cruise({
    "components/config/catalogue.ts": leaf,
    "components/config/naming.ts": importing("./catalogue"),
    "components/database/serviceDatabase.ts": importing("../config/naming"),
    "components/credentials/serviceSecrets.ts": importing("../config/naming"),
    "components/workloads/serviceWorkload.ts": importing("../config/naming", "../credentials/serviceSecrets"),
    "components/platform.ts": importing("./database/serviceDatabase", "./workloads/serviceWorkload"),
    "program.ts": importing("./components/platform"),
    "tools/capture.ts": importing("../program"),
  });
  expect(violations).toEqual([]);
});

it("keeps the shipped folders (the consumer package, examples, the policy pack) apart from the program", () => {
  const violations = cruise(
    {
      "packages/platform-outputs/src/index.ts": importing("../../../components/outputs"),
      "examples/new-service/program.ts": importing("../../tools/capture", "../../packages/platform-outputs/src/index"),
      "policy/policies.ts": importing("../components/config/naming"),
      "components/outputs.ts": leaf,
      "components/config/naming.ts": leaf,
      "tools/capture.ts": leaf,
    },
    ["packages", "examples", "policy"],
  );
  expect(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort()).toEqual([
    "examples-use-the-package: examples/new-service/program.ts -> tools/capture.ts",
    "package-ships-alone: packages/platform-outputs/src/index.ts -> components/outputs.ts",
    "policy-pack-runs-alone: policy/policies.ts -> components/config/naming.ts",
  ]);
});

it("refuses the roots of @pulumi/aws and @pulumi/kubernetes, also as type-only imports, and accepts their submodules", () => {
  const sdk = (name: string, submodule: string) => ({
    [`node_modules/@pulumi/${name}/package.json`]: JSON.stringify({ name: `@pulumi/${name}`, main: "index.js", types: "index.d.ts" }),
    [`node_modules/@pulumi/${name}/index.js`]: "exports.x = 1;\n",
    [`node_modules/@pulumi/${name}/index.d.ts`]: "export declare const x: number;\n",
    [`node_modules/@pulumi/${name}/${submodule}/index.js`]: "exports.x = 1;\n",
    [`node_modules/@pulumi/${name}/${submodule}/index.d.ts`]: "export declare const x: number;\n",
  });
  const violations = cruise({
    ...sdk("aws", "secretsmanager"),
    ...sdk("kubernetes", "apps/v1"),
    "components/providers.ts": 'import type * as aws from "@pulumi/aws";\nexport type X = typeof aws.x;\n',
    "tools/capture.ts": importing("@pulumi/aws"),
    "components/workloads/podTemplate.ts": 'import type * as k8s from "@pulumi/kubernetes";\nexport type X = typeof k8s.x;\n',
    "components/workloads/serviceWorkload.ts": importing("@pulumi/kubernetes/apps/v1"),
    "components/credentials/awsSecret.ts": importing("@pulumi/aws/secretsmanager"),
    "program.ts": leaf,
  });
  expect(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort()).toEqual([
    "sdks-by-submodule: components/providers.ts -> node_modules/@pulumi/aws/index.js",
    "sdks-by-submodule: components/workloads/podTemplate.ts -> node_modules/@pulumi/kubernetes/index.js",
    "sdks-by-submodule: tools/capture.ts -> node_modules/@pulumi/aws/index.js",
  ]);
});
