/**
 * The consumer's reader of the stack-output contract: it reads what the program really exports
 * (both stacks' captured outputs), refuses what it cannot read with a message naming the stack
 * and the output, and builds into a package another project can install.
 */
import { spawnSync } from "child_process";
import { mkdirSync, readFileSync, readdirSync } from "fs";
import { join } from "path";
import * as pulumi from "@pulumi/pulumi";
import {
  OUTPUT_NAMES,
  PlatformOutputs,
  PlatformOutputsError,
  parsePlatformOutputs,
  readPlatformOutputs,
  requireService,
} from "@volteryde/platform-outputs";
import type { StackOutputs } from "../../components/outputs";
import { reveal } from "../../tools/capture";
import { captureStack } from "../../tools/run";
import { tempDir } from "../tempDirs";

// The reader's types and the producer's contract, as a consumer sees it (plain values inside
// Outputs), must stay assignable both ways: `npm run typecheck` fails here when they drift.
type Consumed = pulumi.Unwrap<StackOutputs>;
export const producerToReader = (o: Consumed): PlatformOutputs => o;
export const readerToProducer = (o: PlatformOutputs): Consumed => o;

const ROOT = join(__dirname, "..", "..");
const outputs: Record<string, Record<string, unknown>> = {};

beforeAll(async () => {
  for (const stack of ["dev", "prod"]) outputs[stack] = reveal((await captureStack(stack)).outputs) as Record<string, unknown>;
});

/** A deep copy of the dev outputs with `edit` applied. */
function devWith(edit: (o: Record<string, any>) => void): Record<string, unknown> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const copy = JSON.parse(JSON.stringify(outputs.dev));
  edit(copy);
  return copy;
}

const STACK = "acme/volteryde-infra/dev";
const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PlatformOutputsError);
    return (err as Error).message;
  }
  throw new Error("expected a PlatformOutputsError");
};

describe("parsePlatformOutputs", () => {
  it.each(["dev", "prod"])("reads the %s stack's outputs as the program exports them", (stack) => {
    const read = parsePlatformOutputs(`acme/volteryde-infra/${stack}`, outputs[stack]);
    expect(read).toEqual(outputs[stack]);
  });

  it("gives the values a consumer wires a Deployment with", () => {
    const read = parsePlatformOutputs(STACK, outputs.dev);
    expect(read.contractVersion).toBe(1);
    expect(read.database).toEqual({
      name: "postgres",
      runtimeHost: "aws-0-sa-east-1.pooler.supabase.com",
      runtimePort: 6543,
      adminHost: "aws-0-sa-east-1.pooler.supabase.com",
      adminPort: 5432,
      sslMode: "require",
    });
    const booking = requireService(read, "booking");
    expect(booking.schema).toBe("svc_booking");
    expect(booking.roles.activeUser).toBe("svc_booking_app_blue");
    expect(booking.secrets.kubernetesAppSecret).toBe("booking-database");
    expect(read.kubernetes.namespace).toBe("volteryde-dev");
  });

  it("lists the outputs the reader knows, in the order index.ts exports them", () => {
    expect(OUTPUT_NAMES).toEqual(["contractVersion", "environment", "database", "services", "kubernetes", "platformSecrets"]);
    expect([...OUTPUT_NAMES].sort()).toEqual(Object.keys(outputs.dev).sort());
  });

  it.each(["contractVersion", "environment", "database", "services", "kubernetes", "platformSecrets"])("refuses a stack without the %s output", (missing) => {
    const message = errorOf(() => parsePlatformOutputs(STACK, devWith((o) => delete o[missing])));
    expect(message).toContain(`stack acme/volteryde-infra/dev has no output "${missing}"`);
  });

  it("names every output that is missing, in contract order", () => {
    const message = errorOf(() => parsePlatformOutputs(STACK, { contractVersion: 1, environment: "dev", kubernetes: {} }));
    expect(message).toContain('has no output "database", "services", "platformSecrets";');
  });

  it("names a missing nested output by its path", () => {
    const message = errorOf(() => parsePlatformOutputs(STACK, devWith((o) => delete o.services.booking.secrets.appSecretArn)));
    expect(message).toBe('stack acme/volteryde-infra/dev: output "services.booking.secrets.appSecretArn" is missing');
  });

  it("refuses an output of the wrong type, with the path and what was expected", () => {
    const message = errorOf(() => parsePlatformOutputs(STACK, devWith((o) => (o.database.runtimePort = "6543"))));
    expect(message).toMatch(/^stack acme\/volteryde-infra\/dev: output "database\.runtimePort" is invalid \(.*expected number.*\)$/);
  });

  it.each([2, 7])("refuses contract version %i, newer than the reader, before looking at the rest", (version) => {
    const message = errorOf(() => parsePlatformOutputs(STACK, { contractVersion: version, environment: "dev" }));
    expect(message).toBe(`stack acme/volteryde-infra/dev exports contract version ${version}, newer than this reader understands (1): upgrade @volteryde/platform-outputs`);
  });

  it.each([0, 1.5, -1])("refuses contract version %p, which no producer exports", (version) => {
    const message = errorOf(() => parsePlatformOutputs(STACK, devWith((o) => (o.contractVersion = version))));
    expect(message).toContain('output "contractVersion" is invalid');
  });

  it("ignores outputs and fields it does not know: producers add them without a version bump", () => {
    const read = parsePlatformOutputs(
      STACK,
      devWith((o) => {
        o.dashboards = { grafana: "x" };
        o.services.booking.metrics = "y";
      }),
    );
    expect(Object.keys(read).sort()).toEqual([...OUTPUT_NAMES].sort());
    expect(Object.keys(read.services.booking).sort()).toEqual(["kubernetes", "roles", "schema", "secrets"]);
  });
});

describe("requireService", () => {
  it("names the services the environment has when the key is not one of them", () => {
    const read = parsePlatformOutputs(STACK, outputs.dev);
    expect(errorOf(() => requireService(read, "reporting"))).toBe(
      'environment dev has no service "reporting"; it has auth, booking, charging, client-auth, core, fleet, notifications, payment, telematics, users (a service must be in the volteryde-infra catalogue and enabled in that stack)',
    );
    expect(errorOf(() => requireService(read, "toString"))).toContain('has no service "toString"');
  });
});

describe("readPlatformOutputs through a StackReference", () => {
  let stackOutputs: Record<string, unknown> = {};
  let secretOutputNames: string[] = [];
  beforeAll(() => {
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          if (args.type !== "pulumi:pulumi:StackReference") throw new Error(`unexpected resource ${args.type}`);
          return { id: String(args.inputs.name), state: { name: args.inputs.name, outputs: stackOutputs, secretOutputNames } };
        },
        call: (args) => {
          throw new Error(`unexpected call ${args.token}`);
        },
      },
      "consumer",
      "dev",
      true,
    );
  });

  it("returns the checked outputs of the referenced stack", async () => {
    stackOutputs = outputs.prod;
    const read = await readPlatformOutputs(new pulumi.StackReference("platform-ok", { name: "acme/volteryde-infra/prod" }));
    expect(read.environment).toBe("prod");
    expect(requireService(read, "payment").roles.activeUser).toBe("svc_payment_app_green");
    expect(read).toEqual(outputs.prod);
  });

  it("fails with the stack's name when an output is missing", async () => {
    stackOutputs = devWith((o) => delete o.services);
    await expect(readPlatformOutputs(new pulumi.StackReference("platform-missing", { name: "acme/volteryde-infra/dev" }))).rejects.toThrow(
      'stack acme/volteryde-infra/dev has no output "services"',
    );
  });

  it("refuses an output that comes back secret instead of handing it on in plain text", async () => {
    stackOutputs = outputs.dev;
    secretOutputNames = ["database"];
    try {
      await expect(readPlatformOutputs(new pulumi.StackReference("platform-secret", { name: "acme/volteryde-infra/dev" }))).rejects.toThrow(
        'stack acme/volteryde-infra/dev: output "database" is secret, and the contract has no secret output',
      );
    } finally {
      secretOutputNames = [];
    }
  });

  it("fails when the referenced stack's contract is newer", async () => {
    stackOutputs = devWith((o) => (o.contractVersion = 2));
    await expect(readPlatformOutputs(new pulumi.StackReference("platform-newer", { name: "acme/volteryde-infra/dev" }))).rejects.toThrow(
      "exports contract version 2, newer than this reader understands (1)",
    );
  });
});

describe("the package", () => {
  it("builds into JavaScript and declarations that reference nothing outside it", () => {
    // Inside the repository (out/ is ignored), so the built module resolves @pulumi/pulumi and zod
    // from node_modules as it would in a consumer's project.
    mkdirSync(join(ROOT, "out"), { recursive: true });
    const out = tempDir("platform-outputs-", join(ROOT, "out"));
    const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "packages/platform-outputs/tsconfig.build.json", "--outDir", out], {
      cwd: ROOT,
      encoding: "utf8",
      // Killed before jest's own timeout for this test (120 s).
      timeout: 90_000,
    });
    // tsc reports type errors on stdout; stderr (a runtime warning) only explains a failed exit.
    expect({ status: tsc.status, stdout: tsc.stdout, stderr: tsc.status === 0 ? "" : tsc.stderr }).toEqual({ status: 0, stdout: "", stderr: "" });
    expect(readdirSync(out).sort()).toEqual(["index.d.ts", "index.js"]);
    const declarations = readFileSync(join(out, "index.d.ts"), "utf8");
    expect(declarations.match(/from "[^"]+"/g)).toEqual(['from "@pulumi/pulumi"']);
    const manifest = JSON.parse(readFileSync(join(ROOT, "packages/platform-outputs/package.json"), "utf8"));
    expect(manifest.exports["."]).toEqual({ types: "./dist/index.d.ts", default: "./dist/index.js" });
    // The built module works on its own: it reads outputs the program exports.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const built = require(join(out, "index.js")) as typeof import("@volteryde/platform-outputs");
    expect(built.parsePlatformOutputs(STACK, outputs.dev).services.users.schema).toBe("svc_users");
  });
});
