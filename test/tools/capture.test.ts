/**
 * The capture harness is the test harness of everything else: these tests pin what it records
 * (parents, providers, explicit and implicit dependencies, options, secrecy) with a tiny program.
 */
import { getCallerIdentity } from "@pulumi/aws/getCallerIdentity";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as secretsmanager from "@pulumi/aws/secretsmanager";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Capture, SecretValue, byName, capture, plainStrings, reveal, secretStrings, structCopy } from "../../tools/capture";

/** A resource of no provider's, with whatever inputs a test gives it. */
class Thing extends pulumi.CustomResource {
  constructor(name: string, inputs: pulumi.Inputs) {
    super("test:index:Thing", name, inputs);
  }
}

class Box extends pulumi.ComponentResource {
  readonly password: pulumi.Output<string>;
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Box", name, {}, opts);
    const pw = new random.RandomPassword(`${name}-pw`, { length: 20, special: false, keepers: { rotation: "1" } }, { parent: this });
    this.password = pw.result;
    this.registerOutputs({ password: pw.result });
  }
}

async function tinyProgram(): Promise<Capture> {
  return capture({
    stack: "unit",
    config: { "volteryde-infra:token": "s3cr3t-token-value" },
    secretKeys: ["volteryde-infra:token"],
    program: () => {
      const cfg = new pulumi.Config("volteryde-infra");
      const provider = new AwsProvider("aws", { region: "sa-east-1" });
      const randomProvider = new random.Provider("random");
      const box = new Box("box", { providers: [provider, randomProvider] });
      const first = new secretsmanager.Secret("first", { name: "first" }, { parent: box, protect: true, retainOnDelete: true });
      const version = new secretsmanager.SecretVersion(
        "first-v",
        { secretId: first.id, secretString: pulumi.interpolate`{"password":"${box.password}"}` },
        { parent: box, deleteBeforeReplace: true, ignoreChanges: ["versionStages"] },
      );
      const later = new secretsmanager.Secret(
        "later",
        { name: "later", description: cfg.requireSecret("token") },
        { parent: box, dependsOn: [version], aliases: [{ name: "old-later" }] },
      );
      return { arn: first.arn, token: cfg.requireSecret("token"), nested: { name: later.name, password: box.password } };
    },
  });
}

describe("capture", () => {
  let c: Capture;
  beforeAll(async () => {
    c = await tinyProgram();
  });

  it("records every resource with type, name and parent", () => {
    // Registration order is asynchronous (inputs resolve at different times): compare sorted.
    const rows = c.resources.map((r) => [r.name, r.type, r.parent ? r.parent.split("::").pop() : null]).sort();
    expect(rows).toEqual([
      ["aws", "pulumi:providers:aws", null],
      ["box", "test:index:Box", null],
      ["box-pw", "random:index/randomPassword:RandomPassword", "box"],
      ["first", "aws:secretsmanager/secret:Secret", "box"],
      ["first-v", "aws:secretsmanager/secretVersion:SecretVersion", "box"],
      ["later", "aws:secretsmanager/secret:Secret", "box"],
      ["random", "pulumi:providers:random", null],
    ]);
  });

  it("records the provider inherited through the component", () => {
    const provider = byName(c, "pulumi:providers:aws", "aws");
    expect(byName(c, "aws:secretsmanager/secret:Secret", "first").provider).toBe(provider.urn);
    expect(byName(c, "random:index/randomPassword:RandomPassword", "box-pw").provider).toBe(byName(c, "pulumi:providers:random", "random").urn);
  });

  it("separates implicit (input) dependencies from explicit dependsOn", () => {
    const first = byName(c, "aws:secretsmanager/secret:Secret", "first");
    const pw = byName(c, "random:index/randomPassword:RandomPassword", "box-pw");
    const version = byName(c, "aws:secretsmanager/secretVersion:SecretVersion", "first-v");
    const later = byName(c, "aws:secretsmanager/secret:Secret", "later");
    expect(version.propertyDependencies.secretId).toEqual([first.urn]);
    expect(version.propertyDependencies.secretString).toEqual([pw.urn]);
    expect(version.explicitDependencies).toEqual([]);
    expect(later.explicitDependencies).toEqual([version.urn]);
    expect(later.dependencies).toEqual([version.urn]);
  });

  it("records resource options", () => {
    const first = byName(c, "aws:secretsmanager/secret:Secret", "first");
    const version = byName(c, "aws:secretsmanager/secretVersion:SecretVersion", "first-v");
    const later = byName(c, "aws:secretsmanager/secret:Secret", "later");
    expect(first.options.protect).toBe(true);
    expect(first.options.retainOnDelete).toBe(true);
    expect(version.options.protect).toBe(false);
    expect(version.options.deleteBeforeReplace).toBe(true);
    expect(version.options.ignoreChanges).toEqual(["versionStages"]);
    expect(JSON.stringify(later.options.aliases)).toContain("old-later");
  });

  it("keeps secrets as SecretValue: config secrets, generated passwords and values derived from them", () => {
    const pw = byName(c, "random:index/randomPassword:RandomPassword", "box-pw");
    const version = byName(c, "aws:secretsmanager/secretVersion:SecretVersion", "first-v");
    const later = byName(c, "aws:secretsmanager/secret:Secret", "later");
    expect(pw.outputs.result).toBeInstanceOf(SecretValue);
    expect(version.inputs.secretString).toBeInstanceOf(SecretValue);
    expect(later.inputs.description).toBeInstanceOf(SecretValue);
    const password = reveal(pw.outputs.result) as string;
    expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(reveal(version.inputs.secretString)).toBe(`{"password":"${password}"}`);
    expect(JSON.stringify(version.inputs)).not.toContain(password);
    expect(JSON.stringify(version.inputs.secretString)).toBe('"[secret]"');
  });

  it("resolves stack outputs and keeps their secrecy", () => {
    expect(c.outputs.arn).toMatch(/^arn:aws:secretsmanager:sa-east-1:\d{12}:secret:first-/);
    expect(c.outputs.token).toBeInstanceOf(SecretValue);
    expect((c.outputs.nested as Record<string, unknown>).name).toBe("later");
    expect((c.outputs.nested as Record<string, unknown>).password).toBeInstanceOf(SecretValue);
  });

  it("lists plain strings and secret strings separately", () => {
    const strings = plainStrings(c.outputs).map((s) => s.value);
    const secrets = secretStrings(c.outputs);
    expect(secrets).toContain("s3cr3t-token-value");
    expect(strings).not.toContain("s3cr3t-token-value");
    expect(strings).toContain("later");
  });

  it("regenerates a password only when its keepers change", async () => {
    const again = await tinyProgram();
    const a = reveal(byName(c, "random:index/randomPassword:RandomPassword", "box-pw").outputs.result);
    const b = reveal(byName(again, "random:index/randomPassword:RandomPassword", "box-pw").outputs.result);
    expect(b).toBe(a);
  });

  it("rejects provider function calls the program should not make", async () => {
    await expect(
      capture({
        stack: "unit",
        config: {},
        program: async () => ({ id: (await getCallerIdentity({})).accountId }),
      }),
    ).rejects.toThrow("unexpected provider function call aws:index/getCallerIdentity:getCallerIdentity");
  });

  it("fails on a promise the runtime waits on that never settles, as the SDK fails `pulumi up` at exit, and puts the SDK's tracker and stack traces back", async () => {
    // The SDK's own tracker (runtime/debuggable.js), which the capture replaces while it runs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: (p: Promise<unknown>, ctx: string) => Promise<unknown> };
    const sdkTracker = debuggable.debuggablePromise;
    const resource = pulumi.Resource as unknown as { stackTrace(skip: number): unknown[] };
    const sdkFrames = resource.stackTrace;
    const limit = Error.stackTraceLimit;
    const sdkStruct = Struct.fromJavaScript;
    let during: unknown[] = [];
    const leaky = () => {
      void debuggable.debuggablePromise(Promise.resolve(1), "settled");
      void debuggable.debuggablePromise(new Promise(() => undefined), "never settled");
      during = [resource.stackTrace === sdkFrames, Error.stackTraceLimit, Struct.fromJavaScript === sdkStruct];
      return {};
    };
    await expect(capture({ stack: "unit", config: {}, program: leaky })).rejects.toThrow("the program left 1 promise(s) the runtime waits on pending: never settled");
    // During the capture the SDK's frames, traces and protobuf Structs were off; after it, all is as it was.
    expect(during).toEqual([false, 0, false]);
    expect(debuggable.debuggablePromise).toBe(sdkTracker);
    expect(resource.stackTrace).toBe(sdkFrames);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(Struct.fromJavaScript).toBe(sdkStruct);
    // A capture after it starts with nothing pending.
    expect((await tinyProgram()).resources.length).toBe(c.resources.length);
  });

  it("records inputs as a protobuf Struct carries them to the engine: every object's keys sorted, lists in order", async () => {
    const inputs = { zeta: "1", alpha: { list: [3, true, null, { y: 1, x: 2 }], b: "x" } };
    const sorted = await capture({ stack: "unit", config: {}, program: () => (new Thing("thing", inputs), {}) });
    expect(JSON.stringify(byName(sorted, "test:index:Thing", "thing").inputs)).toBe('{"alpha":{"b":"x","list":[3,true,null,{"x":2,"y":1}]},"zeta":"1"}');
  });

  it("copies a value as google-protobuf's Struct round trip does, errors included", () => {
    const value = { b: 1, a: [{ d: "x", c: null }, [false, 2.5]], "10": "ten", "9": "nine", é: 0, Z: -1, _: { "": "empty" } };
    const protobuf = Struct.fromJavaScript(value as never).toJavaScript();
    expect(JSON.stringify(structCopy(value))).toBe(JSON.stringify(protobuf));
    expect(Object.keys(structCopy(value) as object)).toEqual(["9", "10", "Z", "_", "a", "b", "é"]);
    for (const bad of [{ a: undefined }, { a: [1, undefined] }, { a: () => 1 }]) {
      expect(() => Struct.fromJavaScript(bad as never)).toThrow("Unexpected struct type.");
      expect(() => structCopy(bad)).toThrow("Unexpected struct type.");
    }
  });

  it("rethrows what the program throws", async () => {
    await expect(
      capture({
        stack: "unit",
        config: {},
        program: () => {
          throw new Error("config is broken");
        },
      }),
    ).rejects.toThrow("config is broken");
  });
});
