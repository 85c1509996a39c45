/**
 * The stack-output contract by value, for both stacks: every output other stacks read, written
 * out. Names are literal; the Secrets Manager ARNs end in the mock's 6-character suffix and
 * prod's delivered Secret names in the AWS version's first 8 characters, so those parts are a
 * pattern. The whole object is compared with `toEqual`, so a new, missing or changed output fails.
 */
import { Capture, reveal, secretStrings } from "../../tools/capture";
import { captureStack } from "../../tools/run";

const captures: Record<string, Capture> = {};

beforeAll(async () => {
  for (const stack of ["dev", "prod"]) captures[stack] = await captureStack(stack);
}, 60_000);

/** Service key and schema, in catalogue order. */
const SERVICES: readonly [string, string][] = [
  ["auth", "svc_auth"],
  ["client-auth", "svc_client_auth"],
  ["users", "svc_users"],
  ["payment", "svc_payment"],
  ["fleet", "svc_fleet"],
  ["charging", "svc_charging"],
  ["booking", "svc_booking"],
  ["telematics", "svc_telematics"],
  ["core", "svc_core"],
  ["notifications", "svc_notifications"],
];

const arn = (path: string) => expect.stringMatching(new RegExp(`^arn:aws:secretsmanager:sa-east-1:123456789012:secret:${path}-[0-9a-f]{6}$`));
/** A Secret an ExternalSecret writes: `<base>-<first 8 characters of the AWS version id>`. */
const versioned = (base: string) => expect.stringMatching(new RegExp(`^${base}-[0-9a-f]{8}$`));

interface Expected {
  readonly stack: string;
  readonly namespace: string;
  readonly active: "blue" | "green";
  /** `<svc>-migrate-<this>`: the tag, cleaned, and a hash of it. */
  readonly jobSuffix: string;
  /** How the stack names a delivered Secret (fixed under kubernetes, versioned under external-secrets). */
  readonly secret: (base: string) => unknown;
}

const expectedOutputs = (e: Expected) => ({
  contractVersion: 1,
  environment: e.stack,
  database: {
    name: "postgres",
    runtimeHost: "aws-0-sa-east-1.pooler.supabase.com",
    runtimePort: 6543,
    adminHost: "aws-0-sa-east-1.pooler.supabase.com",
    adminPort: 5432,
    sslMode: "require",
  },
  services: Object.fromEntries(
    SERVICES.map(([key, schema]) => [
      key,
      {
        schema,
        roles: {
          owner: `${schema}_owner`,
          migrator: `${schema}_migrator`,
          app: `${schema}_app`,
          users: [`${schema}_app_blue`, `${schema}_app_green`],
          activeUser: `${schema}_app_${e.active}`,
        },
        secrets: {
          appSecretArn: arn(`volteryde/${e.stack}/${key}/app`),
          migratorSecretArn: arn(`volteryde/${e.stack}/${key}/migrator`),
          kubernetesAppSecret: e.secret(`${key}-database`),
          kubernetesMigratorSecret: e.secret(`${key}-database-migrator`),
        },
        kubernetes: { deployment: key, service: key, migrationJob: `${key}-migrate-${e.jobSuffix}` },
      },
    ]),
  ),
  kubernetes: { namespace: e.namespace, configMap: "volteryde-config", temporalWorkers: "temporal-workers" },
  platformSecrets: {
    jwtSecret: { secretArn: arn(`volteryde/${e.stack}/platform/jwt-secret`), kubernetesSecret: e.secret("volteryde-jwt-secret") },
    temporalApiKey: { secretArn: arn(`volteryde/${e.stack}/platform/temporal-api-key`), kubernetesSecret: e.secret("volteryde-temporal-api-key") },
    jwtServices: ["auth", "client-auth"],
  },
});

it.each([
  ["dev", { stack: "dev", namespace: "volteryde-dev", active: "blue", jobSuffix: "dev-2026-11-25-c249c3a6", secret: (base: string) => base }],
  ["prod", { stack: "prod", namespace: "volteryde", active: "green", jobSuffix: "v1-14-2-bbc895d8", secret: versioned }],
] as const)("%s: every stack output, by value", (stack, e) => {
  const outputs = captures[stack].outputs;
  expect(reveal(outputs)).toEqual(expectedOutputs(e));
  // Names and ARNs only: no output is (or holds) a secret.
  expect(secretStrings(outputs)).toEqual([]);
});

it("the two stacks' outputs share no ARN", () => {
  const arns = (stack: string): string[] => JSON.stringify(reveal(captures[stack].outputs)).match(/arn:[^"]+/g) ?? [];
  expect(arns("dev")).toHaveLength(22);
  expect(arns("dev").filter((a) => arns("prod").includes(a))).toEqual([]);
});
