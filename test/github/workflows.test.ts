/**
 * The GitHub workflows and local actions: valid for GitHub's own parser, every third-party
 * action pinned to the commit of a named release (the table below, repeated in the README), and
 * the flow the README describes: tests, offline plan comment and previews on pull requests;
 * dev then approved prod on main; AWS only through OIDC, Pulumi only through its secret.
 */
import { spawnSync } from "child_process";
import { readFileSync, readdirSync, writeFileSync } from "fs";
import { join } from "path";
import YAML from "yaml";
import { tempDir } from "../tempDirs";

const ROOT = join(__dirname, "..", "..");
const WORKFLOWS = ["pull-request.yml", "main.yml"].map((f) => `.github/workflows/${f}`);
/** The daily drift audit: its own secrets (test/workflows/audit.test.ts), the same pinning and setup. */
const AUDIT = ".github/workflows/audit.yml";
const ACTIONS = ["setup", "cloud-access"].map((a) => `.github/actions/${a}/action.yml`);

/** The releases the workflows run: commit of the tag (read from each repository's tags). */
const PINS: Record<string, { sha: string; release: string }> = {
  "actions/checkout": { sha: "3d3c42e5aac5ba805825da76410c181273ba90b1", release: "v7.0.1" },
  "actions/setup-node": { sha: "820762786026740c76f36085b0efc47a31fe5020", release: "v7.0.0" },
  "actions/upload-artifact": { sha: "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", release: "v7.0.0" },
  "actions/github-script": { sha: "ed597411d8f924073f98dfc5c65a23a2325f34cd", release: "v8.0.0" },
  "aws-actions/configure-aws-credentials": { sha: "e6de054238d6b7531b4efff3b6587d9aade6a06c", release: "v6.2.3" },
  "pulumi/actions": { sha: "8e5e406f4007fca908480587cb9893c07090f58d", release: "v7.0.0" },
};

function parse(files: string[]): { file: string; errors: string[] }[] {
  const run = spawnSync(process.execPath, ["--import", "tsx", "test/github/parseWorkflows.ts", ...files], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  if (run.status !== 0) throw new Error(`parser failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;
const load = (file: string): Doc => YAML.parse(readFileSync(join(ROOT, file), "utf8"));
const pr = load(".github/workflows/pull-request.yml");
const main = load(".github/workflows/main.yml");
const steps = (job: Doc): Doc[] => job.steps ?? [];
const uses = (job: Doc, action: string) => steps(job).filter((s) => typeof s.uses === "string" && s.uses.startsWith(`${action}@`));

/** Every `uses:` line of a file with its trailing comment. */
function usesLines(file: string): { ref: string; comment: string }[] {
  return [...readFileSync(join(ROOT, file), "utf8").matchAll(/^\s*(?:- )?uses:\s*(\S+)\s*(?:#\s*(.*))?$/gm)].map((m) => ({ ref: m[1], comment: (m[2] ?? "").trim() }));
}

describe("GitHub's workflow parser", () => {
  const files = [...WORKFLOWS, AUDIT, ...ACTIONS];
  // A workflow and an action with planted mistakes, parsed in the same run (one process).
  let broken: { workflow: string; action: string };
  let results: { file: string; errors: string[] }[];
  beforeAll(() => {
    const dir = tempDir("workflows-");
    broken = { workflow: join(dir, "broken.yml"), action: join(dir, "action.yml") };
    writeFileSync(broken.workflow, "on: pushy\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v7\n        run: echo\n      - run: echo ${{ github.sha( }}\n");
    writeFileSync(broken.action, "name: x\ndescription: y\n");
    results = parse([...files, broken.workflow, broken.action]);
  });
  const errorsOf = (file: string) => results.find((r) => r.file === file)!.errors;

  it("finds no error in the workflows and the local actions", () => {
    expect(results.slice(0, files.length)).toEqual(files.map((file) => ({ file, errors: [] })));
  });

  it("does find errors: an unknown trigger, a step with uses and run, a broken expression, an action without runs", () => {
    expect(errorsOf(broken.workflow).map((e) => e.replace(/^\S+ /, ""))).toEqual([
      "(Line: 1, Col: 5): Unexpected value 'pushy'",
      "(Line: 7, Col: 9): Unexpected value 'run'",
      "(Line: 8, Col: 14): Unexpected symbol: '('",
    ]);
    expect(errorsOf(broken.action).join("\n")).toContain("runs");
  });
});

describe("pinning", () => {
  const files = [...WORKFLOWS, AUDIT, ...ACTIONS];

  it("lists every workflow and action file this test reads", () => {
    expect(readdirSync(join(ROOT, ".github/workflows")).sort()).toEqual(["audit.yml", "main.yml", "pull-request.yml"]);
    expect(readdirSync(join(ROOT, ".github/actions")).sort()).toEqual(["cloud-access", "setup"]);
  });

  it.each(files)("%s: every action is local or pinned to the full commit of the release its comment names", (file) => {
    for (const { ref, comment } of usesLines(file)) {
      if (ref.startsWith("./")) continue;
      const [action, version] = ref.split("@");
      expect({ ref, pin: PINS[action] }).toEqual({ ref, pin: expect.objectContaining({ sha: version }) });
      expect({ ref, comment }).toEqual({ ref, comment: PINS[action].release });
    }
  });

  it("uses every pinned action somewhere, and the README's table names each pin", () => {
    const used = new Set(files.flatMap((f) => usesLines(f).map((u) => u.ref.split("@")[0])));
    expect([...used].filter((u) => !u.startsWith("./")).sort()).toEqual(Object.keys(PINS).sort());
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const [action, { sha, release }] of Object.entries(PINS)) {
      expect(readme).toMatch(new RegExp(`\\| \`${action}\` \\| ${release.replace(/\./g, "\\.")} \\| \`${sha}\` \\|`));
    }
  });
});

describe("the pull-request workflow", () => {
  it("runs on pull requests to main with read-only defaults", () => {
    expect(pr.on).toEqual({ pull_request: { branches: ["main"] } });
    expect(pr.permissions).toEqual({ contents: "read" });
    expect(Object.keys(pr.jobs)).toEqual(["test", "offline-plan", "preview"]);
  });

  it("tests, then plans both stacks against main's config and comments the result", () => {
    expect(steps(pr.jobs.test).map((s) => s.run).filter(Boolean)).toEqual(["npm test"]);
    const plan = pr.jobs["offline-plan"];
    expect(plan.needs).toBe("test");
    expect(plan.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    const script = steps(plan).find((s) => s.id === "plan")!.run as string;
    expect(script).toContain('npm start --silent -- --stack "$stack" --no-verify > "plan/$stack.txt"');
    expect(script).toContain('git show "$BASE_SHA:Pulumi.$stack.yaml" > "plan/base/Pulumi.$stack.yaml"');
    expect(script).toContain('--base "plan/base/Pulumi.$stack.yaml"');
    expect(script).toContain("for stack in dev prod; do");
    const comment = uses(plan, "actions/github-script")[0].with.script as string;
    for (const file of ["plan/dev-changes.txt", "plan/prod-changes.txt", "plan/dev.txt", "plan/prod.txt"]) expect(comment).toContain(file);
    expect(comment).toContain("updateComment");
  });

  it("previews dev and prod with pulumi/actions, the policy pack, a PR comment and OIDC credentials", () => {
    const preview = pr.jobs.preview;
    expect(preview.needs).toBe("test");
    expect(preview.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
    expect(preview.strategy.matrix.include.map((m: Doc) => m.stack)).toEqual(["dev", "prod"]);
    expect(preview.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    const [pulumi] = uses(preview, "pulumi/actions");
    expect(pulumi.with).toMatchObject({
      command: "preview",
      "stack-name": "${{ vars.PULUMI_ORG }}/${{ matrix.stack }}",
      "comment-on-pr": true,
      policyPacks: "policy",
      policyPackConfigs: "${{ runner.temp }}/policy-config.json",
    });
    expect(pulumi.env).toEqual({ PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" });
    expect(steps(preview).find((s) => s.uses === "./.github/actions/cloud-access")!.with).toEqual({
      stack: "${{ matrix.stack }}",
      "role-arn": "${{ vars[matrix.role] }}",
      "cluster-name": "${{ vars[matrix.cluster] }}",
    });
  });
});

describe("the main workflow", () => {
  it("deploys dev after the tests and prod after dev, behind the production environment", () => {
    expect(main.on).toEqual({ push: { branches: ["main"] } });
    expect(main.concurrency).toEqual({ group: "deploy", "cancel-in-progress": false });
    expect([main.jobs.dev.needs, main.jobs.prod.needs]).toEqual(["test", "dev"]);
    expect([main.jobs.dev.environment, main.jobs.prod.environment]).toEqual(["dev", "production"]);
    for (const [job, stack] of [
      [main.jobs.dev, "dev"],
      [main.jobs.prod, "prod"],
    ] as const) {
      const [pulumi] = uses(job, "pulumi/actions");
      expect(pulumi.with).toMatchObject({ command: "up", "stack-name": `\${{ vars.PULUMI_ORG }}/${stack}`, policyPacks: "policy" });
      expect(pulumi.env).toEqual({ PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" });
      expect(steps(job).find((s) => s.uses === "./.github/actions/cloud-access")!.with.stack).toBe(stack);
    }
  });
});

describe("Node.js", () => {
  it("the setup action installs Node.js 24, the LTS that tools/nodeVersion.cjs requires when CI is set", () => {
    const [setupNode] = uses(load(".github/actions/setup/action.yml").runs, "actions/setup-node");
    expect(setupNode.with["node-version"]).toBe("24");
  });

  it("every job that installs the project does so through the setup action", () => {
    for (const doc of [pr, main, load(AUDIT)]) {
      for (const job of Object.values(doc.jobs) as Doc[]) {
        if (steps(job).some((s) => typeof s.run === "string" && s.run.includes("npm ")) || uses(job, "pulumi/actions").length) {
          expect(steps(job).map((s) => s.uses)).toContain("./.github/actions/setup");
        }
        expect(uses(job, "actions/setup-node")).toEqual([]);
      }
    }
  });
});

describe("credentials", () => {
  const jobs = [...Object.values(pr.jobs), ...Object.values(main.jobs)] as Doc[];

  it("assume AWS roles through OIDC only: no stored AWS key anywhere", () => {
    for (const file of [...WORKFLOWS, ...ACTIONS]) {
      expect(readFileSync(join(ROOT, file), "utf8")).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY|AWS_SECRET/i);
    }
    const access = load(".github/actions/cloud-access/action.yml");
    const [configure] = uses(access.runs, "aws-actions/configure-aws-credentials");
    expect(configure.with["role-to-assume"]).toBe("${{ inputs.role-arn }}");
  });

  it("give the OIDC token only to the jobs that assume a role, and those get it", () => {
    for (const job of jobs) {
      const assumes = steps(job).some((s) => s.uses === "./.github/actions/cloud-access");
      expect({ job: job.name, idToken: job.permissions?.["id-token"] }).toEqual({ job: job.name, idToken: assumes ? "write" : undefined });
    }
  });

  it("name only the Pulumi token and GitHub's own token among secrets; the daily audit only its prod database's", () => {
    const secretsOf = (files: string[]) => {
      const text = files.map((f) => readFileSync(join(ROOT, f), "utf8")).join("\n");
      return [...new Set([...text.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]))].sort();
    };
    expect(secretsOf([...WORKFLOWS, ...ACTIONS])).toEqual(["GITHUB_TOKEN", "PULUMI_ACCESS_TOKEN"]);
    expect(secretsOf([AUDIT])).toEqual(["PROD_AUDIT_DATABASE_PASSWORD", "PROD_AUDIT_DATABASE_URL", "PROD_DATABASE_CA_CERT"]);
  });

  it("references only jobs that exist in needs", () => {
    for (const doc of [pr, main]) {
      for (const job of Object.values(doc.jobs) as Doc[]) {
        for (const need of [job.needs ?? []].flat()) expect(Object.keys(doc.jobs)).toContain(need);
      }
    }
  });
});

describe("the language host's start", () => {
  // Type safety is not lost: the jobs that run the program need the test job (tsc --strict),
  // directly or through dev; only then may the host skip its own type-check.
  it("previews and ups load the program transpile-only, and only after the tests", () => {
    for (const [job, needs] of [
      [pr.jobs.preview, "test"],
      [main.jobs.dev, "test"],
      [main.jobs.prod, "dev"],
    ] as const) {
      expect(job.env).toEqual({ PULUMI_NODEJS_TRANSPILE_ONLY: "true" });
      expect(job.needs).toBe(needs);
    }
    expect(steps(main.jobs.test).map((s) => s.run).filter(Boolean)).toEqual(["npm test"]);
    expect(steps(pr.jobs.test).map((s) => s.run).filter(Boolean)).toEqual(["npm test"]);
  });

  it("npm test fails on a type error: its checks, which type-check tsconfig.json's program (tools/checks.ts), run beside jest and fail it", () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    // Jest with a young generation that holds a whole capture and no TurboFan (README, "npm test's
    // own time"): its workers inherit the flags (jest-worker forks them with process.execArgv).
    expect(scripts.test).toBe('concurrently --group --names types-and-lint,layers,jest npm:types-and-lint npm:layers "node --max-semi-space-size=192 --min-semi-space-size=192 --max-opt=2 node_modules/jest/bin/jest.js"');
    expect(scripts.checks.split(" ")).toEqual(expect.arrayContaining(["concurrently", "npm:types-and-lint", "npm:layers"]));
    // That it fails on a type error and on lint errors: test/tools/checks.test.ts.
    // Maglev at most (README, "npm test's own time"): TurboFan's compiles cost the one-shot check more than they win.
    expect(scripts["types-and-lint"]).toBe("node --max-opt=2 --require ./tools/register.cjs tools/checks.ts");
    expect(scripts.typecheck).toBe("tsc --noEmit -p tsconfig.json");
    const tsconfig = JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8")) as { compilerOptions: Record<string, unknown>; include: string[] };
    expect([tsconfig.compilerOptions.strict, tsconfig.compilerOptions.noCheck]).toEqual([true, undefined]);
    expect(tsconfig.include).toEqual(expect.arrayContaining(["index.ts", "program.ts", "components/**/*.ts"]));
  });

  it("npm test's runner exits 1 when any one of its commands fails, the others passing, and runs each to its end", () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    // Its options as they stand (up to the commands), with stand-ins for the three commands.
    const words = scripts.test.split(" ");
    const options = words.slice(1, words.indexOf("npm:types-and-lint"));
    const node = (code: string) => `"${process.execPath}" -e "${code}"`;
    const run = spawnSync(join(ROOT, "node_modules", ".bin", "concurrently"), [...options, node("process.exit(1)"), node("0"), node("setTimeout(() => console.log('jest ran to its end'), 300)")], { encoding: "utf8", shell: false });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("jest ran to its end");
  });
});
