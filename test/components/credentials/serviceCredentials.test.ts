/**
 * ServiceCredentials and PlatformSecrets in the real program's graph: the Secrets
 * Manager secrets and their JSON, the user name per endpoint (Supavisor pooler or direct host),
 * tags, KMS key, recovery window and protection per stack, and the stack outputs that name them.
 * Both stacks in both delivery modes, and both stacks with the admin endpoint on the direct host.
 * Expectations come from the stack files (settingsOf), never from the program's own helpers.
 *
 * On the same captures, the secrecy walk: every generated password,
 * JWT_SECRET, the admin password and the Temporal API key appear only inside SecretValue, in every
 * captured input, every output (providers' and components') and the stack outputs, and nowhere in
 * a resource's name or URN. Last, configuration mistakes in the credentials keys.
 */
import { Settings } from "../../../components/config/configSchema";
import { Capture, CapturedResource, SecretValue, reveal, secretStrings } from "../../../tools/capture";
import { captureStack } from "../../../tools/run";
import {
  AWS_SECRET,
  AWS_VERSION,
  CASES,
  K8S_SECRET,
  RANDOM,
  ROLE,
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
  settingsOf,
  supabaseWith,
} from "../../fixtures";

interface Variant {
  readonly label: string;
  readonly stack: "dev" | "prod";
  readonly overrides: Record<string, unknown>;
}

const VARIANTS: readonly Variant[] = [
  ...CASES.map((c) => ({ label: label(c), stack: c.stack, overrides: c.overrides })),
  // The direct host wants the plain role name. dev also disables a service: it gets no secret.
  {
    label: "dev/direct, fleet disabled",
    stack: "dev",
    overrides: {
      supabase: supabaseWith("dev", { adminEndpoint: "direct" }),
      // The direct host's admin login is the plain role.
      adminUsername: "postgres",
      services: { ...(rawConfig("dev").services as object), fleet: { enabled: false } },
    },
  },
  { label: "prod/direct", stack: "prod", overrides: { supabase: supabaseWith("prod", { adminEndpoint: "direct" }), adminUsername: "postgres" } },
];

const captures = new Map<string, Capture>();
beforeAll(async () => {
  // One at a time: the Pulumi runtime is global.
  for (const v of VARIANTS) captures.set(v.label, await captureWith(v.stack, v.overrides));
});

/** The JSON keys of a credentials secret: AWS's database-secret shape plus schema, sslmode, url. */
const JSON_KEYS = ["dbname", "engine", "host", "password", "port", "schema", "sslmode", "url", "username"];
/** What the issue fixes per stack, independent of how the program reads it. */
const PER_STACK = {
  dev: { recoveryWindowInDays: 0, protect: false, kms: false },
  prod: { recoveryWindowInDays: 30, protect: true, kms: true },
} as const;

const awsSecretByName = (c: Capture, name: string): CapturedResource => {
  const found = c.resources.filter((r) => r.type === AWS_SECRET && plain(r).name === name);
  expect(found.map((r) => plain(r).name)).toEqual([name]);
  return found[0];
};
const loginRole = (c: Capture, name: string): Record<string, unknown> => {
  const found = c.resources.filter((r) => r.type === ROLE && plain(r).name === name);
  expect(found).toHaveLength(1);
  return plain(found[0]);
};

describe.each(VARIANTS.map((v) => [v.label, v] as const))("%s", (name, v) => {
  const settings: Settings = settingsOf(v.stack, v.overrides);
  const services = settings.services;
  const cap = () => captures.get(name)!;

  it("has the configuration this variant means to test", () => {
    expect(settings.stack).toBe(v.stack);
    expect(settings.adminEndpoint.kind).toBe(name.includes("direct") ? "direct" : "session-pooler");
    expect(services.map((s) => s.service.key).includes("fleet")).toBe(!name.includes("fleet disabled"));
  });

  it("declares one Secrets Manager secret per enabled service and kind, one per platform secret, and no other", () => {
    const names = cap()
      .resources.filter((r) => r.type === AWS_SECRET)
      .map((r) => plain(r).name)
      .sort();
    const expected = [
      ...services.flatMap((s) => [`volteryde/${v.stack}/${s.service.key}/app`, `volteryde/${v.stack}/${s.service.key}/migrator`]),
      `volteryde/${v.stack}/platform/jwt-secret`,
      `volteryde/${v.stack}/platform/temporal-api-key`,
    ].sort();
    expect(names).toEqual(expected);
    expect(cap().resources.filter((r) => r.type === AWS_VERSION)).toHaveLength(expected.length);
  });

  it("gives each service a ServiceCredentials component with its three passwords, two secrets and two values", () => {
    const c = cap();
    for (const s of services) {
      const k = s.service.key;
      expect(childList(c, component(c, "ServiceCredentials", k))).toEqual(
        [
          `${RANDOM} ${k}-blue`,
          `${RANDOM} ${k}-green`,
          `${RANDOM} ${k}-migrator`,
          `${AWS_SECRET} ${k}-app-secret`,
          `${AWS_SECRET} ${k}-migrator-secret`,
          `${AWS_VERSION} ${k}-app-secret-version`,
          `${AWS_VERSION} ${k}-migrator-secret-version`,
        ].sort(),
      );
      for (const kind of ["app", "migrator"]) {
        const secret = find(c, AWS_SECRET, `${k}-${kind}-secret`);
        const version = find(c, AWS_VERSION, `${k}-${kind}-secret-version`);
        expect(plain(secret).name).toBe(`volteryde/${v.stack}/${k}/${kind}`);
        expect([secret.provider, version.provider]).toEqual([providerUrn(c, "aws"), providerUrn(c, "aws")]);
        // The value is written into this secret, and waits for it.
        expect(version.inputs.secretId).toBe(secret.outputs.arn);
        expect(version.propertyDependencies.secretId).toEqual([secret.urn]);
        expect(version.inputs.secretString).toBeInstanceOf(SecretValue);
      }
    }
    const aws = c.resources.find((r) => r.urn === providerUrn(c, "aws"))!;
    expect(plain(aws).region).toBe(settings.awsRegion);
  });

  it("generates long URL-safe passwords, each kept by its own rotation value", () => {
    const c = cap();
    // Every variant enables nine or ten services.
    expect(services.length).toBeGreaterThanOrEqual(9);
    for (const s of services) {
      for (const slot of ["blue", "green", "migrator"] as const) {
        const r = find(c, RANDOM, `${s.service.key}-${slot}`);
        const inputs = plain(r);
        expect([r.name, inputs.length, inputs.minLower, inputs.minUpper, inputs.minNumeric]).toEqual([r.name, 40, 2, 2, 2]);
        // No special characters: nothing in the URL, a shell or YAML needs escaping.
        expect(inputs.special).toBe(false);
        expect(inputs.keepers).toEqual({ rotation: s.rotation[slot] });
        expect(passwordOf(c, r.name)).toMatch(/^[A-Za-z0-9]{32,}$/);
        expect(r.provider).toBe(providerUrn(c, "random"));
      }
    }
    const all = c.resources.filter((r) => r.type === RANDOM).map((r) => passwordOf(c, r.name));
    expect(new Set(all).size).toBe(all.length);
  });

  it("app secret: the ACTIVE runtime user on the transaction pooler (6543), user <role>.<project-ref>", () => {
    const c = cap();
    for (const s of services) {
      const k = s.service.key;
      const active = s.rotation.active;
      const idle = active === "blue" ? "green" : "blue";
      const role = `${s.service.schema}_app_${active}`;
      const json = secretJson(c, `${k}-app-secret-version`);
      expect(Object.keys(json).sort()).toEqual(JSON_KEYS);
      expect({ service: k, ...json, url: undefined }).toEqual({
        service: k,
        engine: "postgres",
        host: settings.runtimeEndpoint.host,
        port: 6543,
        username: `${role}.${settings.projectRef}`,
        password: passwordOf(c, `${k}-${active}`),
        dbname: settings.database,
        schema: s.service.schema,
        sslmode: settings.sslMode,
        url: undefined,
      });
      expect(json.host).toMatch(/\.pooler\.supabase\.com$/);
      expect(json.password).not.toBe(passwordOf(c, `${k}-${idle}`));
      // The user name names a LOGIN role of the database that has exactly this password.
      expect(loginRole(c, role)).toMatchObject({ login: true, password: json.password });
    }
  });

  it("migrator secret: the migrator on the session pooler or direct host (5432), user name as that endpoint expects", () => {
    const c = cap();
    for (const s of services) {
      const k = s.service.key;
      const role = `${s.service.schema}_migrator`;
      const json = secretJson(c, `${k}-migrator-secret-version`);
      expect(Object.keys(json).sort()).toEqual(JSON_KEYS);
      if (settings.adminEndpoint.kind === "direct") {
        // db.<ref>.supabase.co is PostgreSQL itself: the plain role name.
        expect([json.host, json.username]).toEqual([`db.${settings.projectRef}.supabase.co`, role]);
      } else {
        // Supavisor (session mode shares the pooler host) routes by tenant: <role>.<project-ref>.
        expect(json.host).toMatch(/\.pooler\.supabase\.com$/);
        expect(json.username).toBe(`${role}.${settings.projectRef}`);
      }
      expect(json.host).toBe(settings.adminEndpoint.host);
      expect({ service: k, ...json, url: undefined, host: undefined, username: undefined }).toEqual({
        service: k,
        engine: "postgres",
        port: 5432,
        password: passwordOf(c, `${k}-migrator`),
        dbname: settings.database,
        schema: s.service.schema,
        sslmode: settings.sslMode,
        url: undefined,
        host: undefined,
        username: undefined,
      });
      expect(loginRole(c, role)).toMatchObject({ login: true, password: json.password });
    }
  });

  it("url: a postgresql:// URL that parses and agrees with every other field", () => {
    const c = cap();
    for (const s of services) {
      for (const kind of ["app", "migrator"]) {
        const json = secretJson(c, `${s.service.key}-${kind}-secret-version`);
        const url = new URL(String(json.url));
        expect({
          protocol: url.protocol,
          username: decodeURIComponent(url.username),
          password: decodeURIComponent(url.password),
          host: url.hostname,
          port: Number(url.port),
          dbname: decodeURIComponent(url.pathname.slice(1)),
          sslmode: url.searchParams.get("sslmode"),
        }).toEqual({
          protocol: "postgresql:",
          username: json.username,
          password: json.password,
          host: json.host,
          port: json.port,
          dbname: json.dbname,
          sslmode: json.sslmode,
        });
        // Nothing needed escaping: the URL carries the values verbatim.
        expect(json.url).toBe(`postgresql://${json.username}:${json.password}@${json.host}:${json.port}/${json.dbname}?sslmode=${json.sslmode}`);
      }
    }
  });

  it(`tags, KMS key, recovery window and protection of every secret: ${v.stack}'s`, () => {
    const c = cap();
    const expected = PER_STACK[v.stack];
    expect(settings.secrets.recoveryWindowInDays).toBe(expected.recoveryWindowInDays);
    expect(Boolean(settings.secrets.kmsKeyArn)).toBe(expected.kms);
    expect(settings.protect).toBe(expected.protect);
    const secrets = c.resources.filter((r) => r.type === AWS_SECRET);
    expect(secrets.length).toBeGreaterThan(0);
    for (const r of secrets) {
      const inputs = plain(r);
      const service = String(inputs.name).split("/")[2];
      expect({ name: inputs.name, tags: inputs.tags }).toEqual({ name: inputs.name, tags: { Environment: v.stack, Service: service, ManagedBy: "pulumi" } });
      expect(inputs.recoveryWindowInDays).toBe(expected.recoveryWindowInDays);
      if (expected.kms) expect(inputs.kmsKeyId).toBe(settings.secrets.kmsKeyArn);
      else expect(Object.keys(inputs)).not.toContain("kmsKeyId");
    }
    const stored = c.resources.filter((x) => x.type === AWS_SECRET || x.type === AWS_VERSION);
    expect(stored).toHaveLength(2 * (2 * services.length + 2));
    for (const r of stored) {
      // Retained in prod. Protected: only the two platform secrets (never their versions, which
      // every new value replaces), since nothing documented deletes them; a service's secrets
      // must go when the service is disabled.
      const locked = r.type === AWS_SECRET && (r.name === "platform-jwt-secret" || r.name === "platform-temporal-api-key");
      expect({ r: r.name, protect: r.options.protect, retainOnDelete: r.options.retainOnDelete }).toEqual({
        r: r.name,
        protect: expected.protect && locked,
        retainOnDelete: expected.protect,
      });
    }
  });

  it("platform secrets: JWT_SECRET (generated) and TEMPORAL_API_KEY (secret config), each alone in its own secret", () => {
    const c = cap();
    const jwt = find(c, RANDOM, "platform-jwt-secret");
    // 64 letters and digits, about 380 bits: more than HS256's 256.
    expect(plain(jwt).length).toBe(64);
    expect(plain(jwt).special).toBe(false);
    expect(plain(jwt).keepers).toEqual({ rotation: settings.secrets.jwtRotation });
    expect(childList(c, component(c, "PlatformSecrets", "platform")).filter((x) => !x.startsWith("kubernetes:"))).toEqual(
      [
        `${AWS_SECRET} platform-jwt-secret`,
        `${AWS_SECRET} platform-temporal-api-key`,
        `${AWS_VERSION} platform-jwt-secret-version`,
        `${AWS_VERSION} platform-temporal-api-key-version`,
        `${RANDOM} platform-jwt-secret`,
      ].sort(),
    );
    const expected = {
      "jwt-secret": { JWT_SECRET: passwordOf(c, "platform-jwt-secret") },
      "temporal-api-key": { TEMPORAL_API_KEY: configSecret(v.stack, "temporalApiKey") },
    };
    for (const [id, value] of Object.entries(expected)) {
      const secret = awsSecretByName(c, `volteryde/${v.stack}/platform/${id}`);
      const version = find(c, AWS_VERSION, `platform-${id}-version`);
      expect(version.inputs.secretId).toBe(secret.outputs.arn);
      expect(secretJson(c, version.name)).toEqual(value);
    }
  });

  it("stack outputs name each service's secrets by ARN and Kubernetes Secret name, never by value", () => {
    const c = cap();
    const outputs = c.outputs.services as Record<string, { secrets: Record<string, unknown> }>;
    expect(Object.keys(outputs).sort()).toEqual(services.map((s) => s.service.key).sort());
    for (const s of services) {
      const k = s.service.key;
      const secrets = outputs[k].secrets;
      // external-secrets: the Secret's name carries the first 8 hex digits of the AWS version it holds.
      const versioned = (kind: string, base: string) =>
        settings.secretsDelivery === "kubernetes" ? base : `${base}-${String(find(c, AWS_VERSION, `${k}-${kind}-secret-version`).outputs.versionId).slice(0, 8)}`;
      expect(secrets).toEqual({
        appSecretArn: find(c, AWS_SECRET, `${k}-app-secret`).outputs.arn,
        migratorSecretArn: find(c, AWS_SECRET, `${k}-migrator-secret`).outputs.arn,
        kubernetesAppSecret: versioned("app", `${k}-database`),
        kubernetesMigratorSecret: versioned("migrator", `${k}-database-migrator`),
      });
      for (const kind of ["app", "migrator"] as const) {
        const arn = secrets[`${kind}SecretArn`];
        // Plain strings: another stack reads them without unwrapping a secret.
        expect(typeof arn).toBe("string");
        expect(arn).toMatch(new RegExp(`^arn:aws:secretsmanager:${settings.awsRegion}:[0-9]{12}:secret:volteryde/${v.stack}/${k}/${kind}-[A-Za-z0-9]{6}$`));
      }
    }
  });

  if (name.includes("direct")) {
    it("direct host: the migrator's plain role name reaches the Kubernetes Secret too, the app keeps <role>.<ref>", () => {
      const c = cap();
      const delivered = c.resources.filter((r) => r.type === K8S_SECRET);
      for (const s of services) {
        const k = s.service.key;
        if (settings.secretsDelivery === "kubernetes") {
          const byName = (n: string) => reveal(delivered.find((r) => plain(r).metadata.name === n)!.inputs.stringData) as Record<string, string>;
          expect(byName(`${k}-database-migrator`).DATABASE_USERNAME).toBe(`${s.service.schema}_migrator`);
          expect(byName(`${k}-database`).DATABASE_USERNAME).toBe(`${s.service.schema}_app_${s.rotation.active}.${settings.projectRef}`);
        } else {
          // External Secrets copies `username` from the JSON asserted above.
          expect(delivered).toEqual([]);
        }
      }
    });
  }
});

describe("the secrecy walk itself", () => {
  it("finds a secret in plain text anywhere, also inside a longer string, and not inside a SecretValue", () => {
    const secrets = new Map([["pw", "s3cretValue42"]]);
    const value = {
      ok: new SecretValue({ url: "postgresql://u:s3cretValue42@h/db" }),
      list: ["x", { deep: "prefix-s3cretValue42-suffix" }],
      label: "s3cretValue42",
    };
    expect(leaksIn(value, secrets)).toEqual(["list[1].deep: pw", "label: pw"]);
  });
});

describe.each(VARIANTS.map((v) => [v.label] as const))("%s: every credential is a secret end to end", (name) => {
  const cap = () => captures.get(name)!;

  it("knows the secrets to look for: every password, JWT_SECRET, and both secret config values", () => {
    const c = cap();
    const secrets = knownSecrets(c);
    const randoms = c.resources.filter((r) => r.type === RANDOM);
    // Three per service (blue, green, migrator) and JWT_SECRET.
    expect(randoms.length).toBe(3 * c.resources.filter((r) => r.type === "volteryde:credentials:ServiceCredentials").length + 1);
    expect([...secrets.keys()].filter((k) => k.startsWith("config ")).sort()).toEqual(["config volteryde-infra:adminPassword", "config volteryde-infra:temporalApiKey"]);
    expect(secrets.size).toBe(randoms.length + 2);
    for (const v of secrets.values()) expect(v.length).toBeGreaterThanOrEqual(16);
  });

  it("the walk is not vacuous: each secret is used, as a secret, somewhere in the graph", () => {
    const c = cap();
    for (const [label, value] of knownSecrets(c)) {
      // Inputs of something other than the RandomPassword that made it (a role, a secret value, a provider).
      const used = secretStrings(c.resources.filter((r) => !(r.type === RANDOM && label === `RandomPassword ${r.name}`)).map((r) => r.inputs));
      expect({ label, used: used.some((s) => s.includes(value)) }).toEqual({ label, used: true });
    }
  });

  it("no secret value in plain text in any input or output of any resource", () => {
    const c = cap();
    const secrets = knownSecrets(c);
    const leaks = c.resources.flatMap((r) => leaksIn({ inputs: r.inputs, outputs: r.outputs }, secrets, `${r.type} ${r.name}`));
    expect(leaks).toEqual([]);
  });

  it("no secret value in a resource name or URN", () => {
    const c = cap();
    const secrets = knownSecrets(c);
    expect(leaksIn(c.resources.map((r) => [r.name, r.urn]), secrets)).toEqual([]);
  });

  it("no secret value in the stack outputs, not even as a secret", () => {
    const c = cap();
    const secrets = knownSecrets(c);
    expect(leaksIn(c.outputs, secrets, "outputs")).toEqual([]);
    const hidden = secretStrings(c.outputs);
    expect(secrets.size).toBeGreaterThan(20);
    for (const [label, value] of secrets) expect({ label, inOutputs: hidden.some((s) => s.includes(value)) }).toEqual({ label, inOutputs: false });
  });
});

describe("configuration errors in the credentials keys: a message naming the key, nothing registered", () => {
  const dev = rawConfig("dev");
  const BAD: { what: string; overrides: Record<string, unknown>; message: string[] }[] = [
    {
      what: "external-secrets with neither a ClusterSecretStore nor an OIDC provider",
      overrides: { secretsDelivery: "external-secrets", externalSecrets: { refreshInterval: "1h" } },
      message: ["volteryde-infra:externalSecrets", "exactly one of clusterSecretStore", "oidcProviderArn"],
    },
    {
      what: "external-secrets with both a ClusterSecretStore and an OIDC provider",
      overrides: {
        secretsDelivery: "external-secrets",
        externalSecrets: { clusterSecretStore: "aws", oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.sa-east-1.amazonaws.com/id/ABC" },
      },
      message: ["volteryde-infra:externalSecrets", "exactly one of clusterSecretStore"],
    },
    {
      what: "an OIDC provider ARN that is not one",
      overrides: { secretsDelivery: "external-secrets", externalSecrets: { oidcProviderArn: "arn:aws:iam::123456789012:role/eso" } },
      message: ["volteryde-infra:externalSecrets.oidcProviderArn", "role/eso", "IAM OIDC provider ARN"],
    },
    {
      what: "a ClusterSecretStore name that is not a DNS label",
      overrides: { secretsDelivery: "external-secrets", externalSecrets: { clusterSecretStore: "AWS_Store" } },
      message: ["volteryde-infra:externalSecrets.clusterSecretStore", '"AWS_Store"', "DNS-1123 label"],
    },
    {
      what: "a refresh interval that is not a duration",
      overrides: { externalSecrets: { refreshInterval: "hourly" } },
      message: ["volteryde-infra:externalSecrets.refreshInterval", '"hourly"', "duration"],
    },
    {
      what: "a recovery window above 30 days",
      overrides: { secrets: { recoveryWindowInDays: 31 } },
      message: ["volteryde-infra:secrets.recoveryWindowInDays", "got 31"],
    },
    {
      what: "a recovery window of 1 day",
      overrides: { secrets: { recoveryWindowInDays: 1 } },
      message: ["volteryde-infra:secrets.recoveryWindowInDays", "got 1"],
    },
    {
      what: "a KMS key that is not an ARN",
      overrides: { secrets: { recoveryWindowInDays: 0, kmsKeyArn: "3f2b6a4c-8d1e-4c7a-9b5f-0e6d2a1c7b94" } },
      message: ["volteryde-infra:secrets.kmsKeyArn", '"3f2b6a4c-8d1e-4c7a-9b5f-0e6d2a1c7b94"', "KMS key ARN"],
    },
    {
      what: "a KMS ARN of another service",
      overrides: { secrets: { kmsKeyArn: "arn:aws:iam::123456789012:key/3f2b6a4c" } },
      message: ["volteryde-infra:secrets.kmsKeyArn", "KMS key ARN"],
    },
    {
      what: "an empty rotation value",
      overrides: { rotation: { ...(dev.rotation as object), green: "" } },
      message: ["volteryde-infra:rotation.green", 'got ""'],
    },
    {
      what: "an unknown active user in a service's rotation",
      overrides: { services: { payment: { rotation: { active: "red" } } } },
      message: ["volteryde-infra:services.payment.rotation.active", '"red"', 'must be one of "blue", "green"'],
    },
    {
      what: "an empty JWT rotation value",
      overrides: { secrets: { jwtRotation: "" } },
      message: ["volteryde-infra:secrets.jwtRotation", 'got ""'],
    },
    {
      what: "JWT_SECRET for an unknown service",
      overrides: { secrets: { jwtServices: ["auth", "billing"] } },
      message: ["volteryde-infra:secrets.jwtServices", '"billing"'],
    },
    {
      what: "a missing Temporal API key",
      overrides: { temporalApiKey: undefined },
      message: ["volteryde-infra:temporalApiKey", "missing", "pulumi config set --secret temporalApiKey"],
    },
  ];

  it.each(BAD.map((b) => [b.what, b] as const))("%s", async (_what, b) => {
    const registered: CapturedResource[] = [];
    const message = await captureStack("dev", { overrides: b.overrides, sink: registered }).then(
      () => "no error",
      (e: Error) => e.message,
    );
    expect(message).toContain("Invalid stack configuration");
    for (const fragment of b.message) expect(message).toContain(fragment);
    expect(registered).toEqual([]);
  });
});
