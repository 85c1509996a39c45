/**
 * The example consumer (examples/new-service) under mocks, reading the dev stack's real outputs
 * (captured from the program) through a StackReference: its Deployment must land in the
 * platform's namespace, read the service's Secret and ConfigMap, and roll when the active user
 * changes; a service the platform does not have, or a bad image, must fail with the key named.
 */
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { policies } from "../../policy/policies";
import { CapturedResource, reveal } from "../../tools/capture";
import { runPolicies } from "../policy/harness";
import { captureStack } from "../../tools/run";

interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly provider?: string;
}

const PROJECT = "volteryde-new-service";
let platformOutputs: Record<string, unknown>;
let registered: Registered[] = [];
let referenced: string[] = [];

const waitForRPCs = () => (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

beforeAll(async () => {
  platformOutputs = reveal((await captureStack("dev")).outputs) as Record<string, unknown>;
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        if (args.type === "pulumi:pulumi:StackReference") {
          referenced.push(String(args.inputs.name));
          return { id: String(args.inputs.name), state: { name: args.inputs.name, outputs: platformOutputs, secretOutputNames: [] } };
        }
        registered.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => {
        throw new Error(`unexpected provider function call ${args.token}`);
      },
    },
    PROJECT,
    "dev",
    true,
  );
});

async function run(config: Record<string, string>) {
  registered = [];
  referenced = [];
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`${PROJECT}:${k}`, v])));
  const { main } = await import("../../examples/new-service/program");
  const outputs = await main();
  const deployment = await new Promise<string>((resolve) => outputs.deployment.apply(resolve));
  await waitForRPCs();
  return { deployment, activeUser: outputs.activeUser };
}

const DEV = {
  platformStack: "acme/volteryde-infra/dev",
  service: "notifications",
  image: "ghcr.io/volteryde/notifications-digest:dev-2026.11.25",
  kubeContext: "volteryde-dev",
};

describe("examples/new-service against the dev stack's outputs", () => {
  let result: { deployment: string; activeUser: string };
  beforeAll(async () => {
    result = await run(DEV);
  });

  const find = (type: string) => {
    const found = registered.find((r) => r.type === type);
    if (!found) throw new Error(`no ${type} registered`);
    return found;
  };

  it("reads the configured platform stack and declares a provider, a Deployment and its NetworkPolicy", () => {
    expect(referenced).toEqual(["acme/volteryde-infra/dev"]);
    expect(registered.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
      "kubernetes:apps/v1:Deployment notifications-digest",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy notifications-digest",
      "pulumi:providers:kubernetes kubernetes",
    ]);
    expect(find("pulumi:providers:kubernetes").inputs.context).toBe("volteryde-dev");
    for (const r of registered.filter((x) => x.type.startsWith("kubernetes:"))) {
      expect(r.provider).toMatch(/::kubernetes::kubernetes-id$/);
    }
    expect(result).toEqual({ deployment: "notifications-digest", activeUser: "svc_notifications_app_blue" });
  });

  it("wires the Deployment to the service's credentials, schema and the shared ConfigMap", () => {
    const d = find("kubernetes:apps/v1:Deployment").inputs;
    expect(d.metadata.namespace).toBe("volteryde-dev");
    const pod = d.spec.template;
    expect(pod.metadata.annotations).toEqual({ "volteryde.io/database-user": "svc_notifications_app_blue" });
    const [container] = pod.spec.containers;
    expect(container.image).toBe("ghcr.io/volteryde/notifications-digest:dev-2026.11.25");
    expect(container.envFrom).toEqual([{ configMapRef: { name: "volteryde-config" } }]);
    expect(container.env).toEqual([
      { name: "DATABASE_SCHEMA", value: "svc_notifications" },
      { name: "DATABASE_USERNAME", valueFrom: { secretKeyRef: { name: "notifications-database", key: "DATABASE_USERNAME" } } },
      { name: "DATABASE_PASSWORD", valueFrom: { secretKeyRef: { name: "notifications-database", key: "DATABASE_PASSWORD" } } },
      { name: "DATABASE_POOL_MAX", value: "2" },
    ]);
  });

  it("opens the egress its pods need under the platform's default deny: DNS and the transaction pooler", () => {
    const np = find("kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs;
    expect(np.metadata.namespace).toBe("volteryde-dev");
    expect(np.spec.podSelector).toEqual(find("kubernetes:apps/v1:Deployment").inputs.spec.selector);
    expect(np.spec.egress.map((e: { ports: { port: number }[] }) => e.ports.map((p) => p.port))).toEqual([[53, 53], [6543]]);
  });

  it("passes the platform's policy pack, as a workload in its namespace must", async () => {
    const asCaptured = registered.map(
      (r): CapturedResource => ({
        urn: `urn:pulumi:dev::${PROJECT}::${r.type}::${r.name}`,
        type: r.type,
        name: r.name,
        custom: true,
        inputs: r.inputs,
        outputs: r.inputs,
        dependencies: [],
        propertyDependencies: {},
        explicitDependencies: [],
        options: { protect: false, retainOnDelete: false, deleteBeforeReplace: false, ignoreChanges: [], replaceOnChanges: [], additionalSecretOutputs: [], aliases: [] },
      }),
    );
    const result = await runPolicies(policies, asCaptured, { "retain-data-in-prod": { environment: "dev" }, "secretsmanager-prod-recovery-and-kms": { environment: "dev" } });
    expect(result.violations).toEqual([]);
  });

  it("follows a rotation: another active user rolls the pods", async () => {
    const services = platformOutputs.services as Record<string, { roles: { activeUser: string } }>;
    const saved = services.notifications.roles.activeUser;
    services.notifications.roles.activeUser = "svc_notifications_app_green";
    try {
      await run(DEV);
      expect(find("kubernetes:apps/v1:Deployment").inputs.spec.template.metadata.annotations["volteryde.io/database-user"]).toBe("svc_notifications_app_green");
    } finally {
      services.notifications.roles.activeUser = saved;
    }
  });
});

describe("examples/new-service refuses, before declaring anything", () => {
  it("a service the platform stack does not have, naming the ones it has", async () => {
    await expect(run({ ...DEV, service: "reporting" })).rejects.toThrow('environment dev has no service "reporting"; it has auth, booking,');
    expect(referenced).toEqual(["acme/volteryde-infra/dev"]);
    expect(registered).toEqual([]);
  });

  it.each(["ghcr.io/volteryde/digest:latest", "ghcr.io/volteryde/digest"])("image %s", async (image) => {
    await expect(run({ ...DEV, image })).rejects.toThrow(`image must be <registry>/<name>:<release tag> or @sha256:<digest>, not latest or untagged; got "${image}"`);
    expect(registered).toEqual([]);
  });
});
