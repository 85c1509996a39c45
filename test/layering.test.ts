/**
 * The layering rules of `.dependency-cruiser.cjs` (run on the real tree by `npm run layers`) catch
 * what they promise: a small tree with one planted violation per rule must report exactly those,
 * and a tree that follows the layers must report nothing.
 */
import { spawnSync } from "child_process";
import { mkdirSync, writeFileSync } from "fs";
import { dirname, join } from "path";
import { tempDir } from "./tempDirs";

const ROOT = join(__dirname, "..");

interface Violation {
  readonly rule: { readonly name: string };
  readonly from: string;
  readonly to: string;
}

interface Tree {
  /** path -> source */
  readonly files: Record<string, string>;
  readonly roots?: readonly string[];
}

/**
 * Writes each tree into a fresh folder and cruises them all with the project's rules, in one
 * process (test/layeringCruise.mjs: the command line's own function, tree after tree); returns
 * each tree's violations, in order.
 */
function cruise(trees: readonly Tree[]): Violation[][] {
  const dirs = trees.map(({ files, roots = ["components", "tools", "program.ts"] }) => {
    const dir = tempDir("layering-");
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "commonjs", moduleResolution: "node" } }));
    for (const [path, source] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), source);
    }
    return JSON.stringify({ dir, roots });
  });
  const run = spawnSync(process.execPath, [join(__dirname, "layeringCruise.mjs"), join(ROOT, ".dependency-cruiser.cjs"), ...dirs], { encoding: "utf8", timeout: 60_000 });
  if (!run.stdout) throw new Error(`depcruise printed nothing: ${run.stderr}`);
  const reports = JSON.parse(run.stdout) as { summary: { violations: Violation[] } }[];
  return reports.map((r) => r.summary.violations);
}

const leaf = "export const x = 1;\n";
const importing = (...paths: string[]) => paths.map((p, i) => `import { x as x${i} } from "${p}";\nexport const y${i} = x${i};\n`).join("") || leaf;

const sdk = (name: string, submodule: string) => ({
  [`node_modules/@pulumi/${name}/package.json`]: JSON.stringify({ name: `@pulumi/${name}`, main: "index.js", types: "index.d.ts" }),
  [`node_modules/@pulumi/${name}/index.js`]: "exports.x = 1;\n",
  [`node_modules/@pulumi/${name}/index.d.ts`]: "export declare const x: number;\n",
  [`node_modules/@pulumi/${name}/${submodule}/index.js`]: "exports.x = 1;\n",
  [`node_modules/@pulumi/${name}/${submodule}/index.d.ts`]: "export declare const x: number;\n",
});

/** The trees the tests below read, cruised together before them. */
const TREES = {
  planted: {
    files: {
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
    },
  },
  downwards: {
    files: {
      "components/config/catalogue.ts": leaf,
      "components/config/naming.ts": importing("./catalogue"),
      "components/database/serviceDatabase.ts": importing("../config/naming"),
      "components/credentials/serviceSecrets.ts": importing("../config/naming"),
      "components/workloads/serviceWorkload.ts": importing("../config/naming", "../credentials/serviceSecrets"),
      "components/platform.ts": importing("./database/serviceDatabase", "./workloads/serviceWorkload"),
      "program.ts": importing("./components/platform"),
      "tools/capture.ts": importing("../program"),
    },
  },
  shipped: {
    files: {
      "packages/platform-outputs/src/index.ts": importing("../../../components/outputs"),
      "examples/new-service/program.ts": importing("../../tools/capture", "../../packages/platform-outputs/src/index"),
      "policy/policies.ts": importing("../components/config/naming"),
      "components/outputs.ts": leaf,
      "components/config/naming.ts": leaf,
      "tools/capture.ts": leaf,
    },
    roots: ["packages", "examples", "policy"],
  },
  sdkRoots: {
    files: {
      ...sdk("aws", "secretsmanager"),
      ...sdk("kubernetes", "apps/v1"),
      "components/providers.ts": 'import type * as aws from "@pulumi/aws";\nexport type X = typeof aws.x;\n',
      "tools/capture.ts": importing("@pulumi/aws"),
      "components/workloads/podTemplate.ts": 'import type * as k8s from "@pulumi/kubernetes";\nexport type X = typeof k8s.x;\n',
      "components/workloads/serviceWorkload.ts": importing("@pulumi/kubernetes/apps/v1"),
      "components/credentials/awsSecret.ts": importing("@pulumi/aws/secretsmanager"),
      "program.ts": leaf,
    },
  },
} satisfies Record<string, Tree>;

let found: Record<keyof typeof TREES, string[]>;
beforeAll(() => {
  const names = Object.keys(TREES) as (keyof typeof TREES)[];
  const violations = cruise(names.map((n) => TREES[n]));
  found = Object.fromEntries(names.map((n, i) => [n, violations[i].map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort()])) as typeof found;
});

it("reports one violation per planted mistake, naming the rule and the two files", () => {
  expect(found.planted).toEqual([
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
  expect(found.downwards).toEqual([]);
});

it("keeps the shipped folders (the consumer package, examples, the policy pack) apart from the program", () => {
  expect(found.shipped).toEqual([
    "examples-use-the-package: examples/new-service/program.ts -> tools/capture.ts",
    "package-ships-alone: packages/platform-outputs/src/index.ts -> components/outputs.ts",
    "policy-pack-runs-alone: policy/policies.ts -> components/config/naming.ts",
  ]);
});

it("refuses the roots of @pulumi/aws and @pulumi/kubernetes, also as type-only imports, and accepts their submodules", () => {
  expect(found.sdkRoots).toEqual([
    "sdks-by-submodule: components/providers.ts -> node_modules/@pulumi/aws/index.js",
    "sdks-by-submodule: components/workloads/podTemplate.ts -> node_modules/@pulumi/kubernetes/index.js",
    "sdks-by-submodule: tools/capture.ts -> node_modules/@pulumi/aws/index.js",
  ]);
});
