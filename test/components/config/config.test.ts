/**
 * Config through the real program: each stack file resolves to the expected settings, and each bad
 * value fails with a message naming the key, the value and what is allowed, before a single
 * resource (not even a provider) is registered.
 */
import { copyFileSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import YAML from "yaml";
import { SECRET_KEYS } from "../../../components/config/config";
import { settingsSchema } from "../../../components/config/configSchema";
import { CapturedResource } from "../../../tools/capture";
import { captureStack } from "../../../tools/run";
import { ROOT, readStackConfig, readStackFile } from "../../../tools/stackConfig";
import { tempDir } from "../../tempDirs";

const GOOD_PROJECT_REF = "qwhdkrtmvzpalsuxnbeo";

interface BadCase {
  readonly what: string;
  readonly overrides: Record<string, unknown>;
  /** Fragments the message must contain: the key, the bad value, what is allowed. */
  readonly message: string[];
}

const supabase = (extra: Record<string, unknown>) => ({ projectRef: GOOD_PROJECT_REF, region: "sa-east-1", ...extra });

const BAD: BadCase[] = [
  {
    what: "unknown service key",
    overrides: { services: { billing: { replicas: 2 } } },
    message: ["volteryde-infra:services", '"billing"', "known services: auth, client-auth, users"],
  },
  {
    what: "malformed project ref",
    overrides: { supabase: { projectRef: "ABC-123", region: "sa-east-1" } },
    message: ["volteryde-infra:supabase.projectRef", '"ABC-123"', "20 lower-case letters"],
  },
  {
    what: "zero replicas",
    overrides: { services: { booking: { replicas: 0 } } },
    message: ["volteryde-infra:services.booking.replicas", "got 0", ">=1"],
  },
  {
    what: "negative default replicas",
    overrides: { defaults: { replicas: -2 } },
    message: ["volteryde-infra:defaults.replicas", "got -2", ">=1"],
  },
  {
    what: "pool min above max",
    overrides: { services: { payment: { pool: { min: 12, max: 8 } } } },
    message: ["volteryde-infra:services.payment.pool.min", "got 12", "must not exceed pool max (8)"],
  },
  {
    what: "port out of range",
    overrides: { supabase: supabase({ poolerPort: 70000 }) },
    message: ["volteryde-infra:supabase.poolerPort", "got 70000", "<=65535"],
  },
  {
    what: "admin endpoint on the transaction pooler port",
    overrides: { supabase: supabase({ sessionPort: 6543 }) },
    message: ["volteryde-infra:supabase.sessionPort", "got 6543", "must differ from supabase.poolerPort"],
  },
  {
    what: "empty namespace",
    overrides: { kubernetes: { namespace: "" } },
    message: ["volteryde-infra:kubernetes.namespace", 'got ""', "DNS-1123 label"],
  },
  {
    what: "unsupported SSL mode",
    overrides: { supabase: supabase({ sslMode: "disable" }) },
    message: ["volteryde-infra:supabase.sslMode", '"disable"', 'must be one of "require", "verify-ca", "verify-full"'],
  },
  {
    what: "unknown secrets delivery",
    overrides: { secretsDelivery: "vault" },
    message: ["volteryde-infra:secretsDelivery", '"vault"', 'must be one of "kubernetes", "external-secrets"'],
  },
  {
    what: "cross-service read of an unknown service",
    overrides: { services: { booking: { readsFrom: ["svc_users"] } } },
    message: ["volteryde-infra:services.booking.readsFrom", '"svc_users"', "must be one of"],
  },
  {
    what: "cross-service read of a disabled service",
    overrides: { services: { users: { enabled: false }, booking: { readsFrom: ["users"] } } },
    message: ["volteryde-infra:services.booking.readsFrom", '"users"', "must name an enabled service"],
  },
  {
    what: "cross-service reads in a cycle",
    overrides: { services: { booking: { readsFrom: ["users"] }, users: { readsFrom: ["payment"] }, payment: { readsFrom: ["booking"] } } },
    message: ["volteryde-infra:services.", ".readsFrom", "must not form a cycle", "users -> payment -> booking -> users"],
  },
  {
    what: "Temporal workers for a disabled service",
    overrides: { services: { charging: { enabled: false } } },
    message: ["volteryde-infra:temporal.services", '"charging"', "must name an enabled service"],
  },
  {
    what: "recovery window AWS does not accept",
    overrides: { secrets: { recoveryWindowInDays: 3 } },
    message: ["volteryde-infra:secrets.recoveryWindowInDays", "got 3"],
  },
  {
    what: "a KMS alias where the key ARN is needed",
    overrides: { secrets: { kmsKeyArn: "arn:aws:kms:sa-east-1:123456789012:alias/volteryde" } },
    message: ["volteryde-infra:secrets.kmsKeyArn", "alias/volteryde", "not an alias"],
  },
  {
    what: "a KMS key in another region than the secrets",
    overrides: { secrets: { kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/3f2b6a4c-8d1e-4c7a-9b5f-0e6d2a1c7b94" } },
    message: ["volteryde-infra:secrets.kmsKeyArn", "us-east-1", "must be a key in awsRegion (sa-east-1)"],
  },
  {
    what: "unknown active rotation user",
    overrides: { rotation: { active: "red" } },
    message: ["volteryde-infra:rotation.active", '"red"', 'must be one of "blue", "green"'],
  },
  {
    what: "malformed database name",
    overrides: { supabase: supabase({ database: "Prod-DB" }) },
    message: ["volteryde-infra:supabase.database", '"Prod-DB"', "PostgreSQL identifier"],
  },
  {
    what: "invalid image tag",
    overrides: { images: { registry: "ghcr.io/volteryde", tag: "latest!" } },
    message: ["volteryde-infra:images.tag", '"latest!"', "valid image tag"],
  },
  {
    what: "every service disabled",
    overrides: {
      services: Object.fromEntries(
        ["auth", "client-auth", "users", "payment", "fleet", "charging", "booking", "telematics", "core", "notifications"].map((k) => [k, { enabled: false }]),
      ),
      temporal: { address: "t.tmprl.cloud:7233", namespace: "v", services: [] },
    },
    message: ["volteryde-infra:services", "at least one service must stay enabled"],
  },
  {
    what: "External Secrets with neither store nor IRSA",
    overrides: { secretsDelivery: "external-secrets", externalSecrets: {} },
    message: ["volteryde-infra:externalSecrets", "exactly one of clusterSecretStore", "oidcProviderArn"],
  },
  {
    what: "a typo in a key",
    overrides: { replicas: 3 },
    message: ["volteryde-infra:replicas", "unknown config key", "known keys:"],
  },
  {
    what: "a typo inside an object",
    overrides: { database: { statementTimeout: 5000 } },
    message: ["volteryde-infra:database", '"statementTimeout"', "unknown key"],
  },
  {
    what: "autoscaling minimum above its maximum",
    overrides: { services: { booking: { autoscaling: { minReplicas: 6, maxReplicas: 3 } } } },
    message: ["volteryde-infra:services.booking.autoscaling.minReplicas", "got 6", "must not exceed autoscaling.maxReplicas (3)"],
  },
  {
    what: "fixed replicas next to autoscaling",
    overrides: { services: { booking: { replicas: 4, autoscaling: { minReplicas: 2, maxReplicas: 8 } } } },
    message: ["volteryde-infra:services.booking.replicas", "got 4", "must not be set together with autoscaling"],
  },
  {
    what: "the old single probe path",
    overrides: { defaults: { probe: { path: "/health" } } },
    message: ["volteryde-infra:defaults.probe", '"path"', "livenessPath and probe.readinessPath"],
  },
  {
    what: "one path for liveness and readiness",
    overrides: { services: { core: { probe: { livenessPath: "/health", readinessPath: "/health" } } } },
    message: ["volteryde-infra:services.core.probe.readinessPath", '"/health"', "must differ from livenessPath"],
  },
  {
    what: "a caller that is not a service",
    overrides: { services: { core: { ingress: { services: ["gateway"] } } } },
    message: ["volteryde-infra:services.core.ingress.services", '"gateway"', "temporal-workers"],
  },
  {
    what: "a caller that is disabled",
    overrides: { services: { fleet: { enabled: false }, core: { ingress: { services: ["fleet"] } } } },
    message: ["volteryde-infra:services.core.ingress.services", '"fleet"', "must name an enabled service"],
  },
  {
    what: "a service as its own caller",
    overrides: { services: { core: { ingress: { services: ["core"] } } } },
    message: ["volteryde-infra:services.core.ingress.services", '"core"', "needs no policy to reach itself"],
  },
  {
    what: "a host name where NetworkPolicy needs an address range",
    overrides: { kubernetes: { namespace: "volteryde-dev", networkPolicies: { databaseCidrs: ["db.qwhdkrtmvzpalsuxnbeo.supabase.co"] } } },
    message: ["volteryde-infra:kubernetes.networkPolicies.databaseCidrs.0", "db.qwhdkrtmvzpalsuxnbeo.supabase.co", "must be a CIDR"],
  },
  {
    what: "an unknown spread mode",
    overrides: { kubernetes: { namespace: "volteryde-dev", topologySpread: { zones: "required" } } },
    message: ["volteryde-infra:kubernetes.topologySpread.zones", '"required"', 'must be one of "off", "ScheduleAnyway", "DoNotSchedule"'],
  },
  {
    what: "extra egress without a port",
    overrides: { services: { payment: { egress: [{ cidrs: ["0.0.0.0/0"], ports: [] }] } } },
    message: ["volteryde-infra:services.payment.egress.0.ports", ">=1"],
  },
  {
    what: "missing admin password",
    overrides: { adminPassword: undefined },
    message: ["volteryde-infra:adminPassword", "missing", "pulumi config set --secret adminPassword"],
  },
  {
    what: "admin password stored in plain text",
    overrides: { adminPassword: "hunter2-plain" },
    message: ["volteryde-infra:adminPassword", "plain text", "--secret"],
  },
];

describe("bad configuration", () => {
  it.each(BAD.map((c) => [c.what, c] as const))("%s: clear error, nothing registered", async (_what, c) => {
    const registered: CapturedResource[] = [];
    const run = captureStack("dev", { overrides: c.overrides, sink: registered });
    await expect(run).rejects.toThrow("Invalid stack configuration");
    const message = await run.then(
      () => "",
      (e: Error) => e.message,
    );
    for (const fragment of c.message) expect(message).toContain(fragment);
    expect(registered).toEqual([]);
  });

  it("does not echo a secret value that was stored in plain text", async () => {
    const run = captureStack("dev", { overrides: { adminPassword: "hunter2-plain" } });
    // Refused (a capture that succeeded would leave nothing to check), and the message names the
    // key and the fix without the value.
    const message = await run.then(
      () => {
        throw new Error("a plain-text adminPassword was accepted");
      },
      (e: Error) => e.message,
    );
    expect(message).toContain("volteryde-infra:adminPassword: stored in plain text; set it again with `pulumi config set --secret adminPassword <value>`");
    expect(message).not.toContain("hunter2-plain");
  });

  it("reports every problem at once", async () => {
    const run = captureStack("dev", { overrides: { secretsDelivery: "vault", kubernetes: { namespace: "Bad_NS" } } });
    const message = await run.then(
      () => "",
      (e: Error) => e.message,
    );
    expect(message).toContain("volteryde-infra:secretsDelivery");
    expect(message).toContain("volteryde-infra:kubernetes.namespace");
  });
});

describe("stack files", () => {
  it("hold no secret in plain text: every secret key is a secure value", () => {
    for (const stack of ["dev", "prod"]) {
      const sc = readStackConfig(stack);
      expect(sc.secretKeys.sort()).toEqual(["volteryde-infra:adminPassword", "volteryde-infra:temporalApiKey"]);
    }
  });

  it("are read again when edited, and a caller changing what it got changes nothing for the next", () => {
    const root = tempDir("stack-file-");
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(root, "Pulumi.yaml"));
    const text = readFileSync(join(ROOT, "Pulumi.dev.yaml"), "utf8");
    writeFileSync(join(root, "Pulumi.dev.yaml"), text);
    const first = readStackConfig("dev", root);
    expect(first.config["volteryde-infra:nodeEnv"]).toBe("development");
    (readStackFile(join(root, "Pulumi.dev.yaml"))["volteryde-infra:images"] as Record<string, unknown>).tag = "changed-by-a-caller";
    expect(JSON.parse(readStackConfig("dev", root).config["volteryde-infra:images"]).tag).toBe("dev-2026.11.25");
    writeFileSync(join(root, "Pulumi.dev.yaml"), text.replace("nodeEnv: development", "nodeEnv: staging"));
    expect(readStackConfig("dev", root).config["volteryde-infra:nodeEnv"]).toBe("staging");
    writeFileSync(join(root, "Pulumi.dev.yaml"), text);
    expect(readStackConfig("dev", root).config).toEqual(first.config);
  });

  it("resolve to different, realistic settings per stack", async () => {
    // Captures run one at a time: the Pulumi runtime is global.
    const dev = await captureStack("dev");
    const prod = await captureStack("prod");
    const providers = (c: typeof dev) => Object.fromEntries(c.resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => [r.type, r.inputs]));
    const devPg = providers(dev)["pulumi:providers:postgresql"];
    const prodPg = providers(prod)["pulumi:providers:postgresql"];
    expect(devPg.username).toBe("postgres.qwhdkrtmvzpalsuxnbeo");
    expect(prodPg.username).toBe("postgres.vxkqpmrlatnhzbwcoyde");
    expect(providers(dev)["pulumi:providers:kubernetes"].namespace).toBe("volteryde-dev");
    expect(providers(prod)["pulumi:providers:kubernetes"].namespace).toBe("volteryde");
    expect(dev.outputs.environment).toBe("dev");
    expect(prod.outputs.environment).toBe("prod");
  });
});

describe("Pulumi.yaml", () => {
  const project = YAML.parse(readFileSync(`${__dirname}/../../../Pulumi.yaml`, "utf8"));

  it("declares exactly the keys the program reads, each with a description", () => {
    const declared = Object.keys(project.config).map((k: string) => k.replace("volteryde-infra:", "")).sort();
    expect(declared).toEqual([...Object.keys(settingsSchema.shape), ...SECRET_KEYS].sort());
    for (const decl of Object.values(project.config) as { description?: string }[]) expect(decl.description).toBeTruthy();
  });

  it("declares the secret keys as secret, so the CLI refuses plain values too", () => {
    for (const key of SECRET_KEYS) expect(project.config[`volteryde-infra:${key}`].secret).toBe(true);
  });

  it("declares only defaults the schema agrees with", () => {
    for (const [key, decl] of Object.entries(project.config) as [string, { default?: unknown }][]) {
      if (decl.default === undefined) continue;
      const field = settingsSchema.shape[key.replace("volteryde-infra:", "") as keyof typeof settingsSchema.shape];
      expect(field.parse(undefined)).toEqual(decl.default);
    }
  });
});
