/**
 * Reads the volteryde-infra stack outputs into typed values, for Pulumi projects that build on
 * the platform (a service's own workloads, dashboards, alarms):
 *
 *   export = async () => {
 *     const platform = await readPlatformOutputs(new pulumi.StackReference("platform", { name: "acme/volteryde-infra/prod" }));
 *     const booking = requireService(platform, "booking");
 *     // ... resources that use booking.secrets.kubernetesAppSecret, platform.kubernetes.namespace
 *   };
 *
 * Every output the contract names is required and checked: a missing or mistyped one, or a
 * `contractVersion` newer than this reader, fails the consumer's `pulumi preview` with a message
 * that names the stack and the output, instead of an `undefined` deep inside a resource input.
 * Outputs this reader does not know are ignored: the producer adds fields without a version bump
 * and bumps `contractVersion` only when it removes or changes one.
 *
 * The types mirror the producer's `StackOutputs` (components/outputs.ts in volteryde-infra) as a
 * consumer sees them: plain values. A type test there fails when the two drift.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** The newest contract version this reader understands. */
export const READER_CONTRACT_VERSION = 1;

/** The stack outputs of contract version 1, in the order the producer exports them. */
export const OUTPUT_NAMES = ["contractVersion", "environment", "database", "services", "kubernetes", "platformSecrets"] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

export interface ServiceOutputs {
  /** PostgreSQL schema of the service (`svc_<svc>`). */
  readonly schema: string;
  /** Role names; `activeUser` is the login the service's pods use now. */
  readonly roles: {
    readonly owner: string;
    readonly migrator: string;
    readonly app: string;
    readonly users: readonly string[];
    readonly activeUser: string;
  };
  /** Where the credentials live: names and ARNs, never values. */
  readonly secrets: {
    readonly appSecretArn: string;
    readonly migratorSecretArn: string;
    /** Kubernetes Secret with `DATABASE_USERNAME` and `DATABASE_PASSWORD` of the active runtime user. */
    readonly kubernetesAppSecret: string;
    readonly kubernetesMigratorSecret: string;
  };
  readonly kubernetes: {
    readonly deployment: string;
    readonly service: string;
    readonly migrationJob: string;
  };
}

export interface PlatformSecretOutputs {
  readonly secretArn: string;
  readonly kubernetesSecret: string;
}

export interface PlatformOutputs {
  readonly contractVersion: number;
  readonly environment: string;
  readonly database: {
    readonly name: string;
    /** Transaction pooler that services use. */
    readonly runtimeHost: string;
    readonly runtimePort: number;
    /** Session pooler or direct host for migrations and administration. */
    readonly adminHost: string;
    readonly adminPort: number;
    readonly sslMode: string;
  };
  readonly services: Readonly<Record<string, ServiceOutputs>>;
  readonly kubernetes: {
    readonly namespace: string;
    readonly configMap: string;
    readonly temporalWorkers: string;
  };
  readonly platformSecrets: {
    readonly jwtSecret: PlatformSecretOutputs;
    readonly temporalApiKey: PlatformSecretOutputs;
    readonly jwtServices: readonly string[];
  };
}

/** A consumer's mistake or a producer it cannot read: the message names the stack and the output. */
export class PlatformOutputsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlatformOutputsError";
  }
}

const name = z.string().min(1);
const port = z.number().int().min(1).max(65535);
const platformSecret = z.object({ secretArn: name, kubernetesSecret: name });
const service = z.object({
  schema: name,
  roles: z.object({ owner: name, migrator: name, app: name, users: z.array(name), activeUser: name }),
  secrets: z.object({ appSecretArn: name, migratorSecretArn: name, kubernetesAppSecret: name, kubernetesMigratorSecret: name }),
  kubernetes: z.object({ deployment: name, service: name, migrationJob: name }),
});
const schema = z.object({
  contractVersion: z.number().int().min(1),
  environment: name,
  database: z.object({ name, runtimeHost: name, runtimePort: port, adminHost: name, adminPort: port, sslMode: name }),
  services: z.record(z.string(), service),
  kubernetes: z.object({ namespace: name, configMap: name, temporalWorkers: name }),
  platformSecrets: z.object({ jwtSecret: platformSecret, temporalApiKey: platformSecret, jwtServices: z.array(name) }),
});

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * Checks the outputs of stack `stack` (as `StackReference` returns them, by output name) and
 * returns them typed. Throws a PlatformOutputsError that lists every missing or invalid output.
 */
export function parsePlatformOutputs(stack: string, values: Readonly<Record<string, unknown>>): PlatformOutputs {
  const missing = OUTPUT_NAMES.filter((n) => values[n] === undefined || values[n] === null);
  // The version first: a newer producer may have reshaped what follows, and "upgrade the reader"
  // is the useful message then, not a list of fields it no longer finds.
  const version = values.contractVersion;
  if (typeof version === "number" && Number.isInteger(version) && version > READER_CONTRACT_VERSION) {
    throw new PlatformOutputsError(
      `stack ${stack} exports contract version ${version}, newer than this reader understands (${READER_CONTRACT_VERSION}): upgrade @volteryde/platform-outputs`,
    );
  }
  if (missing.length) {
    throw new PlatformOutputsError(
      `stack ${stack} has no output ${missing.map((m) => `"${m}"`).join(", ")}; a volteryde-infra stack of contract version ${READER_CONTRACT_VERSION} exports ${OUTPUT_NAMES.join(", ")} (is it the right stack, and has it been deployed?)`,
    );
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.map(String).join(".");
      return valueAt(values, issue.path) === undefined ? `"${path}" is missing` : `"${path}" is invalid (${issue.message})`;
    });
    throw new PlatformOutputsError(`stack ${stack}: output ${problems.join("; ")}`);
  }
  const outputs: PlatformOutputs = parsed.data;
  return outputs;
}

/** What `readPlatformOutputs` needs of a StackReference (a `pulumi.StackReference` is one). */
export type StackReferenceLike = Pick<pulumi.StackReference, "name" | "getOutputDetails">;

/**
 * Reads every output of the contract from `ref` and checks them (see parsePlatformOutputs).
 * Plain values, not Outputs: a consumer awaits them before declaring anything (its program
 * exports an async function), so a stack it cannot read fails `pulumi preview` once, with the
 * message, before any resource is registered. The contract has no secret output: one that comes
 * back secret is refused rather than handed on as a plain value that could leak.
 */
export async function readPlatformOutputs(ref: StackReferenceLike): Promise<PlatformOutputs> {
  const stack = await new Promise<string>((resolve) => ref.name.apply((n) => resolve(n)));
  const details = await Promise.all(OUTPUT_NAMES.map((n) => ref.getOutputDetails(n)));
  const secret = OUTPUT_NAMES.filter((_, i) => details[i].secretValue !== undefined);
  if (secret.length) {
    throw new PlatformOutputsError(
      `stack ${stack}: output ${secret.map((n) => `"${n}"`).join(", ")} is secret, and the contract has no secret output: read it with getOutput, which keeps it secret`,
    );
  }
  return parsePlatformOutputs(stack, Object.fromEntries(OUTPUT_NAMES.map((n, i) => [n, details[i].value])));
}

/** One service's outputs; throws naming the services the stack has when `key` is not one of them. */
export function requireService(outputs: PlatformOutputs, key: string): ServiceOutputs {
  const found = Object.prototype.hasOwnProperty.call(outputs.services, key) ? outputs.services[key] : undefined;
  if (!found) {
    const known = Object.keys(outputs.services).sort();
    throw new PlatformOutputsError(
      `environment ${outputs.environment} has no service "${key}"; it has ${known.length ? known.join(", ") : "none"} (a service must be in the volteryde-infra catalogue and enabled in that stack)`,
    );
  }
  return found;
}
