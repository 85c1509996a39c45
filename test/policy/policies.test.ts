/**
 * Each policy of the pack on a compliant and a violating resource, run the way the engine runs
 * them (test/policy/harness.ts), and the pure checks behind them on tables of cases.
 */
import { PolicyPackConfig } from "@pulumi/policy";
import { CapturedOptions, CapturedResource, SecretValue } from "../../tools/capture";
import { entropy, mutableImageProblem, policies, secretLikeValue } from "../../policy/policies";
import { runPolicies } from "./harness";

const URN = (type: string, name: string) => `urn:pulumi:prod::volteryde-infra::${type}::${name}`;
const NO_OPTIONS: CapturedOptions = {
  protect: false,
  retainOnDelete: false,
  deleteBeforeReplace: false,
  ignoreChanges: [],
  replaceOnChanges: [],
  additionalSecretOutputs: [],
  aliases: [],
};

function resource(type: string, name: string, inputs: Record<string, unknown>, options: Partial<CapturedOptions> = {}, extra: Partial<CapturedResource> = {}): CapturedResource {
  return {
    urn: URN(type, name),
    type,
    name,
    custom: true,
    inputs,
    outputs: inputs,
    dependencies: [],
    propertyDependencies: {},
    explicitDependencies: [],
    options: { ...NO_OPTIONS, ...options },
    ...extra,
  };
}

/** `policy: message` of every violation the whole pack reports on `resources`. */
async function violations(resources: CapturedResource[], config: PolicyPackConfig = {}): Promise<string[]> {
  const result = await runPolicies(policies, resources, config);
  return result.violations.map((v) => `${v.policy}: ${v.message}`);
}

const ROLE = "postgresql:index/role:Role";
const GRANT = "postgresql:index/grant:Grant";
const DEFAULT_PRIVILEGES = "postgresql:index/defaultPrivileges:DefaultPrivileges";
const SCHEMA = "postgresql:index/schema:Schema";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const JOB = "kubernetes:batch/v1:Job";
const SECRET = "aws:secretsmanager/secret:Secret";
const DBR = { deleteBeforeReplace: true };
const KMS = "arn:aws:kms:sa-east-1:123456789012:key/3f2b6a4c-8d1e-4c7a-9b5f-0e6d2a1c7b94";
const PROD = { "secretsmanager-prod-recovery-and-kms": { environment: "prod", kmsKeyArn: KMS }, "retain-data-in-prod": { environment: "prod" } };
const DEV = { "secretsmanager-prod-recovery-and-kms": { environment: "dev" }, "retain-data-in-prod": { environment: "dev" } };

it("has the promised policies, every one mandatory", () => {
  expect(policies.map((p) => `${p.name} ${p.enforcementLevel}`)).toEqual([
    "postgresql-no-privileged-roles mandatory",
    "postgresql-no-grants-to-public mandatory",
    "postgresql-grants-delete-before-replace mandatory",
    "postgresql-no-all-privileges mandatory",
    "kubernetes-configmap-no-secrets mandatory",
    "kubernetes-workload-hardening mandatory",
    "kubernetes-no-latest-image mandatory",
    "secretsmanager-prod-recovery-and-kms mandatory",
    "retain-data-in-prod mandatory",
  ]);
});

describe("postgresql-no-privileged-roles", () => {
  const unprivileged = { name: "svc_x_app", superuser: false, createRole: false, createDatabase: false, replication: false, bypassRowLevelSecurity: false };
  it("accepts a role with every attribute off", async () => {
    expect(await violations([resource(ROLE, "x-app", unprivileged)])).toEqual([]);
  });
  it.each(["superuser", "createRole", "createDatabase", "replication", "bypassRowLevelSecurity"])("refuses a role with %s", async (attribute) => {
    expect(await violations([resource(ROLE, "x-app", { ...unprivileged, [attribute]: true })])).toEqual([
      `postgresql-no-privileged-roles: role svc_x_app sets ${attribute}; login and owner roles need none of them`,
    ]);
  });
});

describe("postgresql-no-grants-to-public", () => {
  const grant = (inputs: Record<string, unknown>) => resource(GRANT, "g", { database: "postgres", objectType: "schema", ...inputs }, DBR);
  it("accepts revokes (privileges: []) from PUBLIC, and grants to a role", async () => {
    expect(await violations([grant({ role: "public", schema: "svc_x", privileges: [] })])).toEqual([]);
    expect(await violations([grant({ role: "svc_x_app", schema: "svc_x", privileges: ["USAGE"] })])).toEqual([]);
    const revokeFunctions = resource(DEFAULT_PRIVILEGES, "d", { database: "postgres", owner: "svc_x_owner", role: "public", objectType: "function", privileges: [] }, DBR);
    expect(await violations([revokeFunctions])).toEqual([]);
  });
  it("accepts PostgreSQL's default USAGE on schema public, kept by the no-create revoke", async () => {
    expect(await violations([grant({ role: "public", schema: "public", privileges: ["USAGE"] })])).toEqual([]);
  });
  it("refuses CREATE on schema public, and anything on another schema, to PUBLIC", async () => {
    expect(await violations([grant({ role: "public", schema: "public", privileges: ["USAGE", "CREATE"] })])).toEqual([
      "postgresql-no-grants-to-public: grants USAGE, CREATE on schema in schema public to PUBLIC (every role, present and future); grant a role instead, or declare a revoke with privileges: []",
    ]);
    expect(await violations([grant({ role: "PUBLIC", schema: "svc_x", privileges: ["USAGE"] })])).toHaveLength(1);
  });
  it("refuses default privileges for PUBLIC", async () => {
    const d = resource(DEFAULT_PRIVILEGES, "d", { database: "postgres", schema: "svc_x", owner: "svc_x_owner", role: "public", objectType: "table", privileges: ["SELECT"] }, DBR);
    expect(await violations([d])).toEqual([
      "postgresql-no-grants-to-public: grants SELECT on table in schema svc_x to PUBLIC (every role, present and future); grant a role instead, or declare a revoke with privileges: []",
    ]);
  });
});

describe("postgresql-grants-delete-before-replace", () => {
  const inputs = { database: "postgres", schema: "svc_x", role: "svc_x_app", objectType: "table", privileges: ["SELECT"] };
  it.each([GRANT, DEFAULT_PRIVILEGES])("accepts a %s replaced delete-first", async (type) => {
    expect(await violations([resource(type, "x", { ...inputs, owner: "svc_x_owner" }, DBR)])).toEqual([]);
  });
  it.each([GRANT, DEFAULT_PRIVILEGES])("refuses a %s replaced create-first", async (type) => {
    expect(await violations([resource(type, "x", { ...inputs, owner: "svc_x_owner" })])).toEqual([
      "postgresql-grants-delete-before-replace: x has no deleteBeforeReplace: a replacement (any change to role, schema, object type) would end with the role's privileges revoked",
    ]);
  });
  it("looks at no other type", async () => {
    expect(await violations([resource(SCHEMA, "s", { name: "svc_x", owner: "svc_x_owner" }, { retainOnDelete: true })])).toEqual([]);
  });
});

describe("postgresql-no-all-privileges", () => {
  const inputs = { database: "postgres", schema: "svc_x", role: "svc_x_app", objectType: "table" };
  it("accepts a listed set of privileges", async () => {
    expect(await violations([resource(GRANT, "x", { ...inputs, privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"] }, DBR)])).toEqual([]);
  });
  it.each([
    [GRANT, "ALL"],
    [DEFAULT_PRIVILEGES, "all privileges"],
  ])("refuses a %s listing %s", async (type, all) => {
    expect(await violations([resource(type, "x", { ...inputs, owner: "o", privileges: ["SELECT", all] }, DBR)])).toEqual([
      `postgresql-no-all-privileges: lists ${all}; name the privileges (ALL includes MAINTAIN on PostgreSQL 17 and whatever later versions add)`,
    ]);
  });
});

describe("kubernetes-configmap-no-secrets", () => {
  const cm = (data: Record<string, unknown>) => resource(CONFIG_MAP, "cfg", { metadata: { name: "volteryde-config" }, data });
  it("accepts endpoints, flags and URLs without credentials", async () => {
    const data = {
      DATABASE_HOST: "aws-0-sa-east-1.pooler.supabase.com",
      DATABASE_PORT: "6543",
      DATABASE_SSL_MODE: "require",
      SUPABASE_URL: "https://qwhdkrtmvzpalsuxnbeo.supabase.co",
      NODE_ENV: "production",
      CHECKSUM: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    };
    expect(await violations([cm(data)])).toEqual([]);
  });
  it.each([
    ["DATABASE_PASSWORD", "x", "the key names a secret"],
    ["JWT_SECRET", "x", "the key names a secret"],
    ["TEMPORAL_API_KEY", "x", "the key names a secret"],
    ["DATABASE_URL", "postgresql://svc_x_app:hunter2@db.example.com:5432/postgres", "the value looks like a URL with a password"],
    ["SIGNING", "-----BEGIN RSA PRIVATE KEY-----\nMIIE", "the value looks like a private key"],
    ["AWS", "AKIAIOSFODNN7EXAMPLE", "the value looks like an AWS access key id"],
    ["SESSION", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc", "the value looks like a JSON web token"],
    ["RANDOM", "Q7vX2kLp9RzT4mWc8NbY3hJd6FgS1aEu0oKi5", "the value looks like a high-entropy string"],
  ])("refuses %s=%s", async (key, value, why) => {
    expect(await violations([cm({ [key]: value })])).toContainEqual(`kubernetes-configmap-no-secrets: data.${key}: ${why}; put it in a Secret`);
  });
  it("reads a value that was a Pulumi secret like any other (the engine shows policies plain values)", async () => {
    expect(await violations([cm({ DSN: new SecretValue("postgresql://u:p4ss@h/db") })])).toEqual([
      "kubernetes-configmap-no-secrets: data.DSN: the value looks like a URL with a password; put it in a Secret",
    ]);
  });
});

/** A pod template as the program declares it: limits, non-root, read-only root, no escalation. */
function hardenedPod(image = "ghcr.io/volteryde/booking:v1.14.2") {
  return {
    securityContext: { runAsNonRoot: true, runAsUser: 10001 },
    containers: [
      {
        name: "booking",
        image,
        resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
        securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
      },
    ],
  };
}
const deployment = (pod: Record<string, unknown>) => resource(DEPLOYMENT, "booking", { metadata: { name: "booking" }, spec: { template: { spec: pod } } });
const job = (pod: Record<string, unknown>) => resource(JOB, "booking-migrate", { metadata: { name: "booking-migrate" }, spec: { template: { spec: pod } } });

describe("kubernetes-workload-hardening", () => {
  it.each([
    ["Deployment", deployment],
    ["Job", job],
  ])("accepts a hardened %s", async (_, make) => {
    expect(await violations([make(hardenedPod())])).toEqual([]);
  });
  const cases: [string, (pod: ReturnType<typeof hardenedPod>) => void, string][] = [
    ["no memory limit", (p) => delete (p.containers[0].resources.limits as Record<string, string>).memory, "container booking: no memory limit"],
    ["no limits", (p) => delete (p.containers[0].resources as Record<string, unknown>).limits, "container booking: no cpu or memory limit"],
    ["no runAsNonRoot", (p) => delete (p.securityContext as Record<string, unknown>).runAsNonRoot, "container booking: runAsNonRoot is not true"],
    ["UID 0 in the container", (p) => Object.assign(p.containers[0].securityContext, { runAsUser: 0 }), "container booking: runs as UID 0"],
    ["a writable root filesystem", (p) => Object.assign(p.containers[0].securityContext, { readOnlyRootFilesystem: false }), "container booking: readOnlyRootFilesystem is not true"],
    ["privilege escalation unset", (p) => delete (p.containers[0].securityContext as Record<string, unknown>).allowPrivilegeEscalation, "container booking: allowPrivilegeEscalation is not false"],
    ["a privileged container", (p) => Object.assign(p.containers[0].securityContext, { privileged: true }), "container booking: privileged"],
  ];
  it.each(cases)("refuses a Deployment with %s", async (_, edit, message) => {
    const pod = hardenedPod();
    edit(pod);
    expect(await violations([deployment(pod)])).toEqual([`kubernetes-workload-hardening: ${message}`]);
  });
  it("refuses a Job whose init container is not hardened", async () => {
    const pod = { ...hardenedPod(), initContainers: [{ name: "wait", image: "busybox:1.37", resources: { limits: { cpu: "50m", memory: "32Mi" } } }] };
    expect(await violations([job(pod)])).toEqual([
      "kubernetes-workload-hardening: initContainer wait: readOnlyRootFilesystem is not true",
      "kubernetes-workload-hardening: initContainer wait: allowPrivilegeEscalation is not false",
    ]);
  });
  it("lets a container's own runAsNonRoot stand for the pod's", async () => {
    const pod = hardenedPod();
    delete (pod.securityContext as Record<string, unknown>).runAsNonRoot;
    Object.assign(pod.containers[0].securityContext, { runAsNonRoot: true });
    expect(await violations([deployment(pod)])).toEqual([]);
  });
});

describe("kubernetes-no-latest-image", () => {
  it("accepts a release tag and a digest", async () => {
    expect(await violations([deployment(hardenedPod("ghcr.io/volteryde/booking:v1.14.2"))])).toEqual([]);
    expect(await violations([job(hardenedPod(`123456789012.dkr.ecr.sa-east-1.amazonaws.com/volteryde/booking@sha256:${"a".repeat(64)}`))])).toEqual([]);
  });
  it.each([
    ["ghcr.io/volteryde/booking:latest", "image ghcr.io/volteryde/booking:latest is tagged latest"],
    ["localhost:5000/booking", "image localhost:5000/booking has no tag, so it is latest"],
  ])("refuses %s", async (image, message) => {
    expect(await violations([deployment(hardenedPod(image))])).toEqual([`kubernetes-no-latest-image: container booking: ${message}; use a release tag or a digest`]);
  });
  it.each([
    ["ghcr.io/a/b:1.0", undefined],
    ["registry:5000/a/b", "image registry:5000/a/b has no tag, so it is latest"],
    ["b", "image b has no tag, so it is latest"],
    ["b:latest", "image b:latest is tagged latest"],
    ["b:latest-1", undefined],
  ])("reads %s", (image, expected) => {
    expect(mutableImageProblem(image)).toBe(expected);
  });
});

describe("secretsmanager-prod-recovery-and-kms", () => {
  // Retained, as retain-data-in-prod wants: only this policy's findings are expected.
  const secret = (inputs: Record<string, unknown>) => resource(SECRET, "booking-app", { name: "volteryde/prod/booking/app", ...inputs }, { retainOnDelete: true });
  it("accepts a prod secret with a 7-day window and the configured key", async () => {
    expect(await violations([secret({ recoveryWindowInDays: 7, kmsKeyId: KMS })], PROD)).toEqual([]);
  });
  it("refuses a prod secret deleted at once, or on another key", async () => {
    expect(await violations([secret({ recoveryWindowInDays: 0 })], PROD)).toEqual([
      "secretsmanager-prod-recovery-and-kms: recoveryWindowInDays is 0; prod keeps a deleted secret at least 7 days",
      `secretsmanager-prod-recovery-and-kms: kmsKeyId is unset (the AWS managed key); config gives ${KMS}`,
    ]);
    expect(await violations([secret({ recoveryWindowInDays: 30, kmsKeyId: "alias/aws/secretsmanager" })], PROD)).toEqual([
      `secretsmanager-prod-recovery-and-kms: kmsKeyId is alias/aws/secretsmanager; config gives ${KMS}`,
    ]);
  });
  it("applies the prod rules when no config says otherwise, and asks for no key when config gives none", async () => {
    expect(await violations([secret({ recoveryWindowInDays: 0 })])).toEqual([
      "secretsmanager-prod-recovery-and-kms: recoveryWindowInDays is 0; prod keeps a deleted secret at least 7 days",
    ]);
  });
  it("leaves dev's secrets alone", async () => {
    expect(await violations([secret({ recoveryWindowInDays: 0 })], DEV)).toEqual([]);
  });
});

describe("retain-data-in-prod", () => {
  const owner = (retainOnDelete: boolean) => resource(ROLE, "booking-owner", { name: "svc_booking_owner" }, { retainOnDelete });
  const app = resource(ROLE, "booking-app", { name: "svc_booking_app" });
  const schema = (retainOnDelete: boolean) =>
    resource(SCHEMA, "booking-schema", { name: "svc_booking", owner: "svc_booking_owner" }, { retainOnDelete }, { propertyDependencies: { owner: [URN(ROLE, "booking-owner")] } });
  const secret = (retainOnDelete: boolean) => resource(SECRET, "booking-app-secret", { name: "volteryde/prod/booking/app", recoveryWindowInDays: 30, kmsKeyId: KMS }, { retainOnDelete });

  it("accepts a prod stack whose schemas, owners and secrets are retained (other roles need not be)", async () => {
    expect(await violations([owner(true), app, schema(true), secret(true)], PROD)).toEqual([]);
  });
  it("refuses each data-bearing resource that is not retained, by name", async () => {
    expect(await violations([owner(false), app, schema(false), secret(false)], PROD)).toEqual([
      "retain-data-in-prod: schema booking-schema is not retainOnDelete: deleting it from the program would delete its data",
      "retain-data-in-prod: schema owner role booking-owner is not retainOnDelete: deleting it from the program would delete its data",
      "retain-data-in-prod: Secrets Manager secret booking-app-secret is not retainOnDelete: deleting it from the program would delete its data",
    ]);
  });
  it("finds the owner by name too, when the Schema's owner input carries no dependency", async () => {
    const plainSchema = resource(SCHEMA, "booking-schema", { name: "svc_booking", owner: "svc_booking_owner" }, { retainOnDelete: true });
    expect(await violations([owner(false), plainSchema], PROD)).toEqual([
      "retain-data-in-prod: schema owner role booking-owner is not retainOnDelete: deleting it from the program would delete its data",
    ]);
  });
  it("leaves dev alone", async () => {
    expect(await violations([owner(false), schema(false), secret(false)], DEV)).toEqual([]);
  });
  it("says it is not applicable when the options carry no retainOnDelete, as under the engine", async () => {
    const engineLike = [owner(false), schema(false)].map((r) => ({ ...r, options: { ...r.options, retainOnDelete: undefined as unknown as boolean } }));
    const result = await runPolicies(policies, engineLike, PROD);
    expect(result.violations).toEqual([]);
    expect(result.notApplicable).toEqual(["retain-data-in-prod: the engine does not pass retainOnDelete to policy packs; npm test checks it on the captured graph"]);
  });
});

describe("secretLikeValue", () => {
  it.each([
    ["a host", "aws-0-sa-east-1.pooler.supabase.com", undefined],
    ["a hex checksum (4 bits a character at most)", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", undefined],
    ["a sentence", "the transaction pooler for services, port 6543", undefined],
    ["a long identifier", "volteryde-notifications-digest-worker-2026", undefined],
    ["a 40-character generated password", "k3Jq9ZxB7mW2pR5tY8vN1cF4hL6sD0gA2eU7iO9w", "a high-entropy string"],
    ["a GitHub token", `ghp_${"aB3".repeat(12)}`, "a GitHub token"],
  ])("%s", (_, value, expected) => {
    expect(secretLikeValue(value)).toBe(expected);
  });
  it("measures entropy in bits per character", () => {
    expect(entropy("aaaa")).toBe(0);
    expect(entropy("abcd")).toBe(2);
    expect(entropy("0123456789abcdef")).toBe(4);
  });
});
