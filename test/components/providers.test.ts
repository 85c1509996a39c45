/**
 * The explicit providers, by value: what the PostgreSQL provider connects as and reassigns to,
 * its SSL settings, and the Kubernetes provider's in-place ConfigMap and Secret updates.
 */
import { rmSync, writeFileSync } from "fs";
import { join } from "path";
import { Capture, reveal } from "../../tools/capture";
import { captureWith, supabaseWith } from "../fixtures";
import { tempDir } from "../tempDirs";

const providerInputs = (c: Capture, type: string) => {
  const found = c.resources.filter((r) => r.type === type);
  expect(found).toHaveLength(1);
  return reveal(found[0].inputs) as Record<string, unknown>;
};
const PG = "pulumi:providers:postgresql";
const K8S = "pulumi:providers:kubernetes";
const AWS = "pulumi:providers:aws";
const RANDOM = "pulumi:providers:random";

it.each([
  // maxConnections: database.providerMaxConnections (4), at most the pooler's pool size (dev 1, prod 5).
  ["dev", "qwhdkrtmvzpalsuxnbeo", "volteryde-dev", "1"],
  ["prod", "vxkqpmrlatnhzbwcoyde", "volteryde-prod", "4"],
])("%s: the PostgreSQL provider logs in as postgres.<ref> on the session pooler and reassigns to the role postgres", async (stack, ref, context, maxConnections) => {
  const c = await captureWith(stack);
  const pg = providerInputs(c, PG);
  expect({ ...pg, password: undefined }).toEqual({
    host: "aws-0-sa-east-1.pooler.supabase.com",
    port: "5432",
    database: "postgres",
    username: `postgres.${ref}`,
    databaseUsername: "postgres",
    superuser: "false",
    sslmode: "require",
    maxConnections,
    connectTimeout: "15",
    password: undefined,
  });
  const k8s = providerInputs(c, K8S);
  expect(k8s).toEqual({
    namespace: stack === "dev" ? "volteryde-dev" : "volteryde",
    context,
    enableServerSideApply: "true",
    enableConfigMapMutable: "true",
    enableSecretMutable: "true",
  });
  // The secrets' region, and tags on everything AWS holds for the stack.
  expect(providerInputs(c, AWS)).toEqual({
    region: "sa-east-1",
    defaultTags: JSON.stringify({ tags: { ManagedBy: "pulumi", Project: "volteryde", Environment: stack } }),
    // @pulumi/aws 7.48.0 provider.js sets these two when the program does not.
    skipCredentialsValidation: "false",
    skipRegionValidation: "true",
  });
  expect(providerInputs(c, RANDOM)).toEqual({});
}, 60_000);

it("derives databaseUsername from a custom admin login, and takes the plain role on the direct host", async () => {
  const custom = await captureWith("dev", { adminUsername: "platform_admin.qwhdkrtmvzpalsuxnbeo" });
  expect(providerInputs(custom, PG).databaseUsername).toBe("platform_admin");
  const direct = await captureWith("dev", { adminUsername: "platform_admin", supabase: supabaseWith("dev", { adminEndpoint: "direct", compute: "medium" }) });
  expect([providerInputs(direct, PG).username, providerInputs(direct, PG).databaseUsername]).toEqual(["platform_admin", "platform_admin"]);
}, 60_000);

it("refuses a pooler login without the project ref, before anything registers", async () => {
  await expect(captureWith("dev", { adminUsername: "postgres" })).rejects.toThrow(
    'volteryde-infra:adminUsername: got "postgres"; through the session pooler the login is <role>.qwhdkrtmvzpalsuxnbeo (e.g. postgres.qwhdkrtmvzpalsuxnbeo)',
  );
});

describe("verify-ca and verify-full", () => {
  let dir: string;
  beforeAll(() => (dir = tempDir("ca-")));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("are refused without the project's CA certificate", async () => {
    await expect(captureWith("dev", { supabase: supabaseWith("dev", { sslMode: "verify-full" }) })).rejects.toThrow(
      'volteryde-infra:supabase.sslMode: got "verify-full"; verify-full checks the server against a CA certificate: set supabase.sslRootCert to the project\'s CA file (PEM), or use "require"',
    );
    const notPem = join(dir, "not.pem");
    writeFileSync(notPem, "hello");
    await expect(captureWith("dev", { supabase: supabaseWith("dev", { sslMode: "verify-full", sslRootCert: notPem }) })).rejects.toThrow(`${notPem} holds no PEM certificate`);
  });

  it("with it: the provider's sslrootcert, and DATABASE_SSL_ROOT_CERT for the pods and the migration Jobs", async () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
    const file = join(dir, "prod-ca-2021.crt");
    writeFileSync(file, pem);
    const c = await captureWith("dev", { supabase: supabaseWith("dev", { sslMode: "verify-full", sslRootCert: file }) });
    expect([providerInputs(c, PG).sslmode, providerInputs(c, PG).sslrootcert]).toEqual(["verify-full", file]);
    const cm = reveal(c.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap")!.inputs) as { data: Record<string, string> };
    expect([cm.data.DATABASE_SSL_MODE, cm.data.DATABASE_SSL_ROOT_CERT]).toEqual(["verify-full", pem]);
    const jobs = c.resources.filter((r) => r.type === "kubernetes:batch/v1:Job").map((r) => reveal(r.inputs) as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } });
    expect(jobs).toHaveLength(10);
    for (const j of jobs) expect(j.spec.template.spec.containers[0].env.find((e) => e.name === "DATABASE_SSL_ROOT_CERT")?.value).toBe(pem);
  }, 60_000);
});
