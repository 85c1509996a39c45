/**
 * Delivery of credentials to pods: ServiceSecrets and PlatformSecrets through
 * secretDelivery.ts, for both stacks in both modes:
 *
 *   kubernetes        a v1 Secret per service `<svc>-database` (its active runtime user) and
 *                     `<svc>-database-migrator`, each with exactly DATABASE_USERNAME and
 *                     DATABASE_PASSWORD, and one Secret per platform secret;
 *   external-secrets  ExternalSecrets with the same names, plus `-<first 8 hex digits of the AWS
 *                     version id>`, and keys, that read the service's own Secrets Manager
 *                     secret, wait for Ready, and carry no secret value at all;
 *                     read through the ExternalSecretsStore: an IRSA role only this namespace's
 *                     ServiceAccount can assume, allowed GetSecretValue and DescribeSecret on
 *                     exactly this stack's secrets (and kms:Decrypt on its key when one is set),
 *                     or an existing ClusterSecretStore named in config, which replaces all of it.
 */
import * as pulumi from "@pulumi/pulumi";
import { Settings } from "../../../components/config/configSchema";
import { ExternalSecretsStore, parseOidcProviderArn, secretArnPattern } from "../../../components/credentials/externalSecretsStore";
import { Capture, CapturedResource, SecretValue, capture, reveal, secretStrings } from "../../../tools/capture";
import {
  AWS_SECRET,
  AWS_VERSION,
  CASES,
  Case,
  EXTERNAL_SECRET,
  K8S_SECRET,
  RANDOM,
  ROLE,
  SECRET_STORE,
  awsVersionOf,
  byDeliveredName,
  captureCase,
  captureWith,
  childList,
  component,
  configSecret,
  find,
  knownSecrets,
  label,
  leaksIn,
  passwordOf,
  plain,
  providerUrn,
  rawConfig,
  secretJson,
  secretsIn,
  settingsOf,
  typeOfUrn,
} from "../../fixtures";

const IRSA_CASES = CASES.filter((c) => c.mode === "external-secrets");
const ROLE_IAM = "aws:iam/role:Role";
const POLICY = "aws:iam/rolePolicy:RolePolicy";
const SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount";
/** prod with an existing ClusterSecretStore instead of IRSA (and a shorter refresh). */
const CLUSTER_STORE = { clusterSecretStore: "volteryde-aws", refreshInterval: "15m" };
const CLUSTER = "prod/external-secrets, ClusterSecretStore";

const captures = new Map<string, Capture>();
beforeAll(async () => {
  // One at a time: the Pulumi runtime is global.
  for (const c of CASES) captures.set(label(c), await captureCase(c));
  captures.set(CLUSTER, await captureWith("prod", { externalSecrets: CLUSTER_STORE }));
});

/** Delivered objects (Secret or ExternalSecret) that a credentials component declares, by the Secret's base name. */
const delivered = (c: Capture, type: string): Map<string, CapturedResource> =>
  new Map([...byDeliveredName(c, type)].filter(([, r]) => r.parent !== undefined && typeOfUrn(r.parent).startsWith("volteryde:credentials:")));

/** The Kubernetes Secrets every stack must have, by name, with the keys each holds. */
function expectedSecrets(settings: Settings): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of settings.services) {
    out[`${s.service.key}-database`] = ["DATABASE_PASSWORD", "DATABASE_USERNAME"];
    out[`${s.service.key}-database-migrator`] = ["DATABASE_PASSWORD", "DATABASE_USERNAME"];
  }
  out["volteryde-jwt-secret"] = ["JWT_SECRET"];
  out["volteryde-temporal-api-key"] = ["TEMPORAL_API_KEY"];
  return out;
}

/** Name -> sorted keys of the Secrets a capture delivers, in either mode. */
function deliveredKeys(c: Capture, mode: Case["mode"]): Record<string, string[]> {
  if (mode === "kubernetes") {
    return Object.fromEntries([...delivered(c, K8S_SECRET)].map(([n, r]) => [n, Object.keys(reveal(r.inputs.stringData) as object).sort()]));
  }
  return Object.fromEntries(
    [...delivered(c, EXTERNAL_SECRET)].map(([n, r]) => [n, (plain(r).spec.data as { secretKey: string }[]).map((d) => d.secretKey).sort()]),
  );
}

const loginFor = (settings: Settings, role: string, endpoint: "runtime" | "admin") =>
  (endpoint === "runtime" ? settings.runtimeEndpoint : settings.adminEndpoint).kind === "direct" ? role : `${role}.${settings.projectRef}`;

describe.each(CASES.map((c) => [label(c), c] as const))("%s", (name, kase) => {
  const settings = settingsOf(kase.stack, kase.overrides);
  const cap = () => captures.get(name)!;

  it("delivers exactly the Secrets the workloads expect, by name and keys", () => {
    expect(settings.secretsDelivery).toBe(kase.mode);
    expect(deliveredKeys(cap(), kase.mode)).toEqual(expectedSecrets(settings));
  });

  if (kase.mode === "kubernetes") {
    it("writes v1 Secrets in the namespace, through the explicit Kubernetes provider, and no ExternalSecret or store", () => {
      const c = cap();
      for (const [n, r] of delivered(c, K8S_SECRET)) {
        const inputs = plain(r);
        expect({ n, namespace: inputs.metadata.namespace, type: inputs.type, data: inputs.data }).toEqual({
          n,
          namespace: settings.kubernetes.namespace,
          type: "Opaque",
          data: undefined,
        });
        expect(r.inputs.stringData).toBeInstanceOf(SecretValue);
        expect(r.provider).toBe(providerUrn(c, "kubernetes"));
      }
      expect(c.resources.filter((r) => r.type === EXTERNAL_SECRET || r.type === SECRET_STORE)).toEqual([]);
    });

    it("gives each service's pods exactly its own ACTIVE runtime user, and its migration Job its own migrator", () => {
      const c = cap();
      const all = knownSecrets(c);
      const secrets = delivered(c, K8S_SECRET);
      for (const s of settings.services) {
        const k = s.service.key;
        const active = s.rotation.active;
        const app = secrets.get(`${k}-database`)!;
        const migrator = secrets.get(`${k}-database-migrator`)!;
        expect(app.parent).toBe(component(c, "ServiceSecrets", k).urn);
        expect(migrator.parent).toBe(component(c, "ServiceSecrets", k).urn);
        expect(reveal(app.inputs.stringData)).toEqual({
          DATABASE_USERNAME: loginFor(settings, `${s.service.schema}_app_${active}`, "runtime"),
          DATABASE_PASSWORD: passwordOf(c, `${k}-${active}`),
        });
        expect(reveal(migrator.inputs.stringData)).toEqual({
          DATABASE_USERNAME: loginFor(settings, `${s.service.schema}_migrator`, "admin"),
          DATABASE_PASSWORD: passwordOf(c, `${k}-migrator`),
        });
        // No other secret value anywhere in the object: not the idle user's, not another
        // service's, not the admin password, JWT_SECRET or the Temporal key.
        expect({ k, found: secretsIn(app.inputs, all) }).toEqual({ k, found: [`RandomPassword ${k}-${active}`] });
        expect({ k, found: secretsIn(migrator.inputs, all) }).toEqual({ k, found: [`RandomPassword ${k}-migrator`] });
        // The Secret waits for the login role it names (and its password).
        const role = c.resources.find((r) => r.type === ROLE && plain(r).name === `${s.service.schema}_app_${active}`)!;
        expect(app.dependencies).toEqual(expect.arrayContaining([role.urn, find(c, RANDOM, `${k}-${active}`).urn]));
      }
    });

    it("puts JWT_SECRET and TEMPORAL_API_KEY each alone in its own Secret", () => {
      const c = cap();
      const all = knownSecrets(c);
      const secrets = delivered(c, K8S_SECRET);
      const jwt = secrets.get("volteryde-jwt-secret")!;
      const temporal = secrets.get("volteryde-temporal-api-key")!;
      expect(reveal(jwt.inputs.stringData)).toEqual({ JWT_SECRET: passwordOf(c, "platform-jwt-secret") });
      expect(reveal(temporal.inputs.stringData)).toEqual({ TEMPORAL_API_KEY: configSecret(kase.stack, "temporalApiKey") });
      expect(secretsIn(jwt.inputs, all)).toEqual(["RandomPassword platform-jwt-secret"]);
      expect(secretsIn(temporal.inputs, all)).toEqual(["config volteryde-infra:temporalApiKey"]);
      for (const r of [jwt, temporal]) expect(r.parent).toBe(component(c, "PlatformSecrets", "platform").urn);
    });
  } else {
    const storeRef = (c: Capture) =>
      settings.externalSecrets.clusterSecretStore
        ? { kind: "ClusterSecretStore", name: settings.externalSecrets.clusterSecretStore }
        : { kind: "SecretStore", name: plain(c.resources.find((r) => r.type === SECRET_STORE)!).metadata.name };

    it("declares ExternalSecrets (external-secrets.io/v1) that Pulumi waits on until Ready, and no v1 Secret", () => {
      const c = cap();
      for (const [n, r] of delivered(c, EXTERNAL_SECRET)) {
        const inputs = plain(r);
        expect({ n, apiVersion: inputs.apiVersion, kind: inputs.kind, namespace: inputs.metadata.namespace }).toEqual({
          n,
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          namespace: settings.kubernetes.namespace,
        });
        expect(inputs.metadata.annotations["pulumi.com/waitFor"]).toBe("condition=Ready");
        // Named after the AWS version: a new value is a new ExternalSecret, which the provider
        // awaits until ESO wrote it (an updated one would pass at once).
        expect(inputs.metadata.name).toBe(`${n}-${awsVersionOf(c, r).slice(0, 8)}`);
        expect(inputs.metadata.name).toMatch(/^[a-z0-9-]+-[0-9a-f]{8}$/);
        expect(inputs.spec.target).toEqual({ name: inputs.metadata.name, creationPolicy: "Owner" });
        expect(inputs.spec.secretStoreRef).toEqual(storeRef(c));
        expect(inputs.spec.refreshInterval).toBe(settings.externalSecrets.refreshInterval);
        expect(r.provider).toBe(providerUrn(c, "kubernetes"));
      }
      expect(delivered(c, K8S_SECRET).size).toBe(0);
    });

    it("reads each service's Secrets from its own Secrets Manager secrets, properties username and password", () => {
      const c = cap();
      const externals = delivered(c, EXTERNAL_SECRET);
      for (const s of settings.services) {
        const k = s.service.key;
        for (const [target, kind, user] of [
          [`${k}-database`, "app", s.rotation.active],
          [`${k}-database-migrator`, "migrator", "migrator"],
        ] as const) {
          const r = externals.get(target)!;
          expect(r.parent).toBe(component(c, "ServiceSecrets", k).urn);
          const awsName = `volteryde/${kase.stack}/${k}/${kind}`;
          expect(plain(r).spec.data).toEqual([
            { secretKey: "DATABASE_USERNAME", remoteRef: { key: awsName, property: "username" } },
            { secretKey: "DATABASE_PASSWORD", remoteRef: { key: awsName, property: "password" } },
          ]);
          // What ESO will copy: that secret's JSON holds this service's own credentials.
          const secret = c.resources.find((x) => x.type === AWS_SECRET && plain(x).name === awsName)!;
          const version = c.resources.find((x) => x.type === AWS_VERSION && x.inputs.secretId === secret.outputs.arn)!;
          expect(secretJson(c, version.name).password).toBe(passwordOf(c, `${k}-${user}`));
          // It waits for the value to be written (and the store to exist), so Ready means current.
          expect(r.dependencies).toEqual(expect.arrayContaining([secret.urn, version.urn]));
        }
      }
    });

    it("reads JWT_SECRET and TEMPORAL_API_KEY each from its own secret", () => {
      const c = cap();
      const externals = delivered(c, EXTERNAL_SECRET);
      for (const [target, key, id] of [
        ["volteryde-jwt-secret", "JWT_SECRET", "jwt-secret"],
        ["volteryde-temporal-api-key", "TEMPORAL_API_KEY", "temporal-api-key"],
      ]) {
        const r = externals.get(target)!;
        expect(r.parent).toBe(component(c, "PlatformSecrets", "platform").urn);
        expect(plain(r).spec.data).toEqual([{ secretKey: key, remoteRef: { key: `volteryde/${kase.stack}/platform/${id}`, property: key } }]);
      }
    });

    it("passes no secret value through the Kubernetes provider: no secret in any Kubernetes input or output", () => {
      const c = cap();
      const all = knownSecrets(c);
      const k8s = c.resources.filter((r) => r.type.startsWith("kubernetes:"));
      expect(k8s.length).toBeGreaterThan(0);
      for (const r of k8s) {
        expect({ r: `${r.type} ${r.name}`, secrets: secretStrings([r.inputs, r.outputs]) }).toEqual({ r: `${r.type} ${r.name}`, secrets: [] });
        expect(leaksIn([r.inputs, r.outputs], all, `${r.type} ${r.name}`)).toEqual([]);
      }
    });
  }
});

describe("both modes", () => {
  it.each(["dev", "prod"])("%s: the same Secret names and keys, so workloads do not care which is used", (stack) => {
    const [k, es] = (["kubernetes", "external-secrets"] as const).map((mode) => {
      const kase = CASES.find((c) => c.stack === stack && c.mode === mode)!;
      return deliveredKeys(captures.get(label(kase))!, mode);
    });
    expect(Object.keys(k).length).toBeGreaterThan(0);
    expect(es).toEqual(k);
  });
});

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, string>>;
}
const list = (x: string | string[]) => (Array.isArray(x) ? x : [x]);
const one = (c: Capture, type: string) => {
  const found = c.resources.filter((r) => r.type === type);
  expect(found.map((r) => r.type)).toEqual([type]);
  return found[0];
};
/** An IAM resource pattern as a regular expression (`?` one character, `*` any). */
const iamPattern = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\/]/g, "\\$&").replace(/\?/g, ".").replace(/\*/g, ".*")}$`);
const secretArns = (c: Capture) => c.resources.filter((r) => r.type === AWS_SECRET).map((r) => String(r.outputs.arn));

describe.each(IRSA_CASES.map((c) => [label(c), c] as const))("%s: the IRSA SecretStore", (name, kase) => {
  const settings = settingsOf(kase.stack, kase.overrides);
  const oidcArn = settings.externalSecrets.oidcProviderArn!;
  const issuer = oidcArn.split(":oidc-provider/")[1];
  const cap = () => captures.get(name)!;

  it("declares the role, its policy, the ServiceAccount and the SecretStore, and nothing else", () => {
    const c = cap();
    expect(childList(c, component(c, "ExternalSecretsStore", "external-secrets"))).toEqual(
      [`${ROLE_IAM} external-secrets-role`, `${POLICY} external-secrets-policy`, `${SERVICE_ACCOUNT} external-secrets-service-account`, `${SECRET_STORE} external-secrets-store`].sort(),
    );
    expect([one(c, ROLE_IAM).provider, one(c, POLICY).provider]).toEqual([providerUrn(c, "aws"), providerUrn(c, "aws")]);
    expect(plain(one(c, ROLE_IAM)).tags).toEqual({ Environment: kase.stack, Service: "platform", ManagedBy: "pulumi" });
  });

  it("ServiceAccount: in the namespace, annotated with the role (IRSA), no token automounted", () => {
    const c = cap();
    const sa = plain(one(c, SERVICE_ACCOUNT));
    expect(sa.metadata.namespace).toBe(settings.kubernetes.namespace);
    expect(sa.metadata.annotations).toEqual({ "eks.amazonaws.com/role-arn": one(c, ROLE_IAM).outputs.arn });
    expect(sa.automountServiceAccountToken).toBe(false);
  });

  it("role: only that ServiceAccount, through the cluster's OIDC provider, with STS as audience", () => {
    const c = cap();
    const saName = plain(one(c, SERVICE_ACCOUNT)).metadata.name;
    const trust = JSON.parse(plain(one(c, ROLE_IAM)).assumeRolePolicy) as { Statement: Statement[] };
    expect(trust.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Federated: oidcArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: `system:serviceaccount:${settings.kubernetes.namespace}:${saName}`,
            [`${issuer}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ]);
  });

  it("policy: GetSecretValue and DescribeSecret on exactly this stack's secrets, by name-?????? ARN", () => {
    const c = cap();
    const policy = one(c, POLICY);
    expect(plain(policy).role).toBe(one(c, ROLE_IAM).outputs.name);
    expect(policy.propertyDependencies.role).toEqual([one(c, ROLE_IAM).urn]);
    const statements = (JSON.parse(plain(policy).policy) as { Statement: Statement[] }).Statement;
    const read = statements.filter((s) => list(s.Action).some((a) => a.startsWith("secretsmanager:")));
    expect(read).toHaveLength(1);
    expect(read[0].Effect).toBe("Allow");
    expect(list(read[0].Action).sort()).toEqual(["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]);
    expect(read[0].Condition).toBeUndefined();
    const patterns = list(read[0].Resource);
    // AWS appends six random characters to a secret's ARN; `??????` matches exactly those, so no
    // other secret whose name merely starts the same.
    const arns = secretArns(c);
    expect(arns).toHaveLength(settings.services.length * 2 + 2);
    expect(patterns).toHaveLength(arns.length);
    for (const p of patterns) expect(p).toMatch(/^arn:aws:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[^*?]+-\?{6}$/);
    // A bijection: every secret of this stack is readable by exactly one pattern, every pattern reads one.
    for (const arn of arns) expect({ arn, patterns: patterns.filter((p) => iamPattern(p).test(arn)).length }).toEqual({ arn, patterns: 1 });
    for (const p of patterns) expect({ p, arns: arns.filter((a) => iamPattern(p).test(a)).length }).toEqual({ p, arns: 1 });
    // ... and not a secret of the other stack.
    const other = captures.get(label(IRSA_CASES.find((c) => c.stack !== kase.stack)!))!;
    for (const arn of secretArns(other)) expect({ arn, readable: patterns.some((p) => iamPattern(p).test(arn)) }).toEqual({ arn, readable: false });
    // Nor a name that only shares the prefix.
    for (const arn of arns) expect(patterns.some((p) => iamPattern(p).test(arn.replace(/-([A-Za-z0-9]{6})$/, "-x-$1")))).toBe(false);
  });

  it(`policy: kms:Decrypt on the key only when one is set (${kase.stack}: ${settings.secrets.kmsKeyArn ? "set" : "none"}), and no other action`, () => {
    const c = cap();
    const statements = (JSON.parse(plain(one(c, POLICY)).policy) as { Statement: Statement[] }).Statement;
    const kms = statements.filter((s) => list(s.Action).some((a) => a.startsWith("kms:")));
    if (settings.secrets.kmsKeyArn) {
      expect(kms).toHaveLength(1);
      expect([kms[0].Effect, list(kms[0].Action), list(kms[0].Resource)]).toEqual(["Allow", ["kms:Decrypt"], [settings.secrets.kmsKeyArn]]);
      expect(kms[0].Condition).toEqual({ StringEquals: { "kms:ViaService": `secretsmanager.${settings.awsRegion}.amazonaws.com` } });
    } else {
      expect(kms).toEqual([]);
    }
    expect(statements).toHaveLength(settings.secrets.kmsKeyArn ? 2 : 1);
    for (const s of statements) expect(s).not.toHaveProperty("NotAction");
    for (const s of statements) expect(s).not.toHaveProperty("NotResource");
  });

  it("SecretStore: AWS Secrets Manager in the configured region, authenticated as the ServiceAccount, after the policy", () => {
    const c = cap();
    const store = one(c, SECRET_STORE);
    const inputs = plain(store);
    expect([inputs.apiVersion, inputs.kind, inputs.metadata.namespace]).toEqual(["external-secrets.io/v1", "SecretStore", settings.kubernetes.namespace]);
    expect(inputs.spec).toEqual({
      provider: {
        aws: { service: "SecretsManager", region: settings.awsRegion, auth: { jwt: { serviceAccountRef: { name: plain(one(c, SERVICE_ACCOUNT)).metadata.name } } } },
      },
    });
    // No input carries the policy; without the explicit dependency the first reads fail on AccessDenied.
    expect(store.explicitDependencies).toContain(one(c, POLICY).urn);
    expect(store.provider).toBe(providerUrn(c, "kubernetes"));
  });

  it("every ExternalSecret reads through that store and waits for it", () => {
    const c = cap();
    const store = one(c, SECRET_STORE);
    const externals = c.resources.filter((r) => r.type === EXTERNAL_SECRET);
    expect(externals).toHaveLength(settings.services.length * 2 + 2);
    for (const r of externals) {
      expect(plain(r).spec.secretStoreRef).toEqual({ kind: "SecretStore", name: plain(store).metadata.name });
      expect(r.dependencies).toContain(store.urn);
    }
  });
});

describe("prod with a ClusterSecretStore", () => {
  const settings = settingsOf("prod", { externalSecrets: CLUSTER_STORE });

  it("is what the override configures", () => {
    expect(rawConfig("prod").externalSecrets).toHaveProperty("oidcProviderArn");
    expect(settings.externalSecrets).toEqual({ ...CLUSTER_STORE });
  });

  it("creates no store, no ServiceAccount and no IAM role or policy", () => {
    const c = captures.get(CLUSTER)!;
    expect(c.resources.filter((r) => r.type === "volteryde:credentials:ExternalSecretsStore")).toEqual([]);
    expect(c.resources.filter((r) => r.type === SECRET_STORE || r.type.startsWith("aws:iam/")).map((r) => r.type)).toEqual([]);
    expect(c.resources.filter((r) => r.type === SERVICE_ACCOUNT && r.parent?.includes("volteryde:credentials:"))).toEqual([]);
  });

  it("still delivers every Secret, by name and keys", () => {
    expect(deliveredKeys(captures.get(CLUSTER)!, "external-secrets")).toEqual(expectedSecrets(settings));
  });

  it("points every ExternalSecret at the ClusterSecretStore, with the configured refresh interval", () => {
    const c = captures.get(CLUSTER)!;
    const externals = c.resources.filter((r) => r.type === EXTERNAL_SECRET);
    expect(externals).toHaveLength(settings.services.length * 2 + 2);
    for (const r of externals) {
      expect(plain(r).spec.secretStoreRef).toEqual({ kind: "ClusterSecretStore", name: CLUSTER_STORE.clusterSecretStore });
      expect(plain(r).spec.refreshInterval).toBe(CLUSTER_STORE.refreshInterval);
    }
  });
});

describe("ExternalSecretsStore helpers and argument checks", () => {
  it.each([
    ["arn:aws:iam::123456789012:oidc-provider/oidc.eks.sa-east-1.amazonaws.com/id/ABC", { partition: "aws", account: "123456789012", issuer: "oidc.eks.sa-east-1.amazonaws.com/id/ABC" }],
    ["arn:aws-cn:iam::210987654321:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/X", { partition: "aws-cn", account: "210987654321", issuer: "oidc.eks.cn-north-1.amazonaws.com.cn/id/X" }],
  ])("parses %s", (arn, expected) => {
    expect(parseOidcProviderArn(arn)).toEqual(expected);
  });

  it.each(["arn:aws:iam::123456789012:role/eso", "arn:aws:iam::12345:oidc-provider/x", "oidc.eks.sa-east-1.amazonaws.com/id/ABC", "arn:aws:iam::123456789012:oidc-provider/"])(
    "rejects %s",
    (arn) => {
      expect(() => parseOidcProviderArn(arn)).toThrow("not an IAM OIDC provider ARN");
    },
  );

  it("secretArnPattern matches the one secret's ARNs and not a longer name's", () => {
    const oidc = parseOidcProviderArn("arn:aws:iam::123456789012:oidc-provider/issuer");
    const p = iamPattern(secretArnPattern(oidc, "sa-east-1", "volteryde/prod/auth/app"));
    expect(p.test("arn:aws:secretsmanager:sa-east-1:123456789012:secret:volteryde/prod/auth/app-AbC123")).toBe(true);
    expect(p.test("arn:aws:secretsmanager:sa-east-1:123456789012:secret:volteryde/prod/auth/app-x-AbC123")).toBe(false);
    expect(p.test("arn:aws:secretsmanager:us-east-1:123456789012:secret:volteryde/prod/auth/app-AbC123")).toBe(false);
    expect(p.test("arn:aws:secretsmanager:sa-east-1:210987654321:secret:volteryde/prod/auth/app-AbC123")).toBe(false);
  });

  const storeArgs = { namespace: "ns", region: "sa-east-1", oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/issuer", secretNames: ["a"] };
  it.each([
    ["a malformed OIDC provider ARN", { oidcProviderArn: "arn:aws:iam::123456789012:role/x" }, "oidcProviderArn must be an IAM OIDC provider ARN"],
    ["no secret names", { secretNames: [] }, "secretNames is empty"],
    // IAM cannot grant kms:Decrypt through an alias: the policy would be silently ineffective.
    ["a KMS alias instead of a key ARN", { kmsKeyArn: "arn:aws:kms:sa-east-1:123456789012:alias/volteryde" }, "kmsKeyArn must be a key ARN"],
  ])("rejects %s before registering a child", async (_what, bad, message) => {
    const registered: CapturedResource[] = [];
    const program = () => {
      new ExternalSecretsStore("bad", { ...storeArgs, ...bad, namespace: pulumi.output("ns") });
      return {};
    };
    await expect(capture({ stack: "unit", config: {}, program, sink: registered })).rejects.toThrow(message);
    expect(registered.filter((r) => r.custom)).toEqual([]);
  });
});
