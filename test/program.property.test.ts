/**
 * Property tests of the whole program (fast-check): random valid configurations give a graph with
 * the invariants below or a clear budget refusal; random invalid ones fail before registration,
 * naming the key. Each case is a real capture of dev's stack file with overrides.
 *
 * @slow 200 random configurations, most of them real captures
 */
import fc from "fast-check";
import { SERVICE_KEYS } from "../components/config/catalogue";
import { ConfigError } from "../components/config/configSchema";
import { COMPUTE_SIZES } from "../components/config/supabaseCompute";
import { Capture, CapturedResource, SecretValue, reveal } from "../tools/capture";
import { recordedBudget } from "../tools/budget";
import { captureStack } from "../tools/run";
import { DEV_OIDC_PROVIDER, rawConfig, supabaseWith } from "./fixtures";

const RUNS = 200;
const ROLE = "postgresql:index/role:Role";
const plain = (r: CapturedResource) => reveal(r.inputs) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface ServiceChoice {
  readonly key: string;
  readonly scaling: { replicas: number } | { autoscaling: { minReplicas: number; maxReplicas: number } };
  readonly poolMax: number;
  readonly readOnlyRole: boolean;
  /** Indexes into the enabled services before this one: reads never form a cycle. */
  readonly reads: readonly number[];
}

interface Choice {
  readonly services: readonly ServiceChoice[];
  readonly compute: (typeof COMPUTE_SIZES)[number];
  readonly poolSize?: number;
  readonly delivery: "kubernetes" | "external-secrets";
  readonly active: "blue" | "green";
  readonly workers: { readonly replicas: number; readonly services: readonly number[] };
}

const serviceChoice = (key: string) =>
  fc.record({
    key: fc.constant(key),
    scaling: fc.oneof(
      fc.record({ replicas: fc.integer({ min: 1, max: 4 }) }),
      fc
        .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }))
        .map(([min, extra]) => ({ autoscaling: { minReplicas: min, maxReplicas: min + extra } })),
    ),
    poolMax: fc.integer({ min: 1, max: 20 }),
    readOnlyRole: fc.boolean(),
    reads: fc.uniqueArray(fc.nat({ max: 3 }), { maxLength: 2 }),
  });

const choice: fc.Arbitrary<Choice> = fc
  .shuffledSubarray([...SERVICE_KEYS], { minLength: 1, maxLength: 4 })
  .chain((keys) =>
    fc.record({
      services: fc.tuple(...keys.map(serviceChoice)),
      compute: fc.constantFrom(...COMPUTE_SIZES),
      poolSize: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
      delivery: fc.constantFrom("kubernetes" as const, "external-secrets" as const),
      active: fc.constantFrom("blue" as const, "green" as const),
      workers: fc.record({ replicas: fc.integer({ min: 1, max: 3 }), services: fc.uniqueArray(fc.nat({ max: 3 }), { maxLength: 2 }) }),
    }),
  );

/** The config overrides of a choice, on top of Pulumi.dev.yaml. */
function overridesOf(c: Choice): Record<string, unknown> {
  const enabled = c.services.map((s) => s.key);
  const services: Record<string, unknown> = {};
  for (const key of SERVICE_KEYS) if (!enabled.includes(key)) services[key] = { enabled: false };
  c.services.forEach((s, i) => {
    services[s.key] = {
      ...s.scaling,
      pool: { max: s.poolMax, min: Math.min(2, s.poolMax) },
      readOnlyRole: s.readOnlyRole,
      readsFrom: [...new Set(s.reads.filter((r) => r < i).map((r) => enabled[r]))],
    };
  });
  const dev = rawConfig("dev");
  return {
    services,
    supabase: supabaseWith("dev", { compute: c.compute, pooler: c.poolSize === undefined ? {} : { poolSize: c.poolSize } }),
    secretsDelivery: c.delivery,
    externalSecrets: c.delivery === "external-secrets" ? { oidcProviderArn: DEV_OIDC_PROVIDER } : undefined,
    rotation: { ...(dev.rotation as Record<string, unknown>), active: c.active },
    temporal: {
      ...(dev.temporal as Record<string, unknown>),
      replicas: c.workers.replicas,
      services: [...new Set(c.workers.services.filter((i) => i < enabled.length).map((i) => enabled[i]))],
    },
  };
}

type Outcome = { capture: Capture } | { error: unknown; registered: number };

async function run(overrides: Record<string, unknown>): Promise<Outcome> {
  const sink: CapturedResource[] = [];
  try {
    return { capture: await captureStack("dev", { overrides, sink }) };
  } catch (error) {
    return { error, registered: sink.length };
  }
}

function checkGraph(c: Capture, choice: Choice): void {
  const roles = c.resources.filter((r) => r.type === ROLE).map((r) => ({ r, i: plain(r) }));
  const byName = new Map(roles.map((x) => [x.i.name as string, x]));
  for (const { i } of roles) {
    expect([i.superuser, i.createDatabase, i.createRole, i.replication, i.bypassRowLevelSecurity]).toEqual([false, false, false, false, false]);
  }
  const schemas = c.resources.filter((r) => r.type === "postgresql:index/schema:Schema").map((r) => plain(r).name);
  const secrets = new Set(c.resources.filter((r) => r.type === "aws:secretsmanager/secret:Secret").map((r) => plain(r).name));
  const expectedSchemas: string[] = [];
  for (const s of choice.services) {
    const schema = `svc_${s.key.replace(/-/g, "_")}`;
    expectedSchemas.push(schema);
    for (const suffix of ["owner", "migrator", "app", "app_blue", "app_green"]) expect(byName.has(`${schema}_${suffix}`)).toBe(true);
    expect(byName.has(`${schema}_readonly`)).toBe(s.readOnlyRole);
    expect([secrets.has(`volteryde/dev/${s.key}/app`), secrets.has(`volteryde/dev/${s.key}/migrator`)]).toEqual([true, true]);
    // The Job runs before the Deployment.
    const job = c.resources.find((r) => r.type === "kubernetes:batch/v1:Job" && r.parent?.endsWith(`ServiceWorkload::${s.key}`))!;
    const deployment = c.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === `${s.key}-deployment`)!;
    expect(deployment.dependencies).toContain(job.urn);
  }
  expect(schemas.sort()).toEqual(expectedSchemas.sort());
  // Every login has a secret password from its RandomPassword.
  for (const { r, i } of roles.filter((x) => x.i.login === true)) {
    expect(r.inputs.password).toBeInstanceOf(SecretValue);
    expect(r.propertyDependencies.password.join()).toContain("random:index/randomPassword:RandomPassword");
    expect(i.connectionLimit).toBeGreaterThanOrEqual(1);
  }
  // The budget the program recorded holds, and the runtime logins' limits cover the pool's ceiling.
  const { limits, totals } = recordedBudget(c);
  expect(totals.serverPeak).toBeLessThanOrEqual(totals.available);
  expect(totals.pools).toBeLessThanOrEqual(limits.maxPools);
  expect(totals.clients).toBeLessThanOrEqual(limits.poolerMaxClients);
  for (const { i } of roles.filter((x) => /_app_(blue|green)$/.test(x.i.name))) expect(i.connectionLimit).toBeGreaterThanOrEqual(limits.poolSize + 1);
}

it(`random valid configurations give the invariant graph, or a budget refusal naming the key (${RUNS} cases)`, async () => {
  let graphs = 0;
  await fc.assert(
    fc.asyncProperty(choice, async (c) => {
      const outcome = await run(overridesOf(c));
      if ("capture" in outcome) {
        graphs++;
        checkGraph(outcome.capture, c);
      } else {
        expect(outcome.error).toBeInstanceOf(ConfigError);
        expect(outcome.registered).toBe(0);
        for (const problem of (outcome.error as ConfigError).problems) {
          expect(problem).toMatch(/^volteryde-infra:[a-zA-Z.]+: .*Ways out: /);
        }
      }
    }),
    { numRuns: RUNS },
  );
  // The generator must exercise both outcomes, mostly graphs.
  expect(graphs).toBeGreaterThan(RUNS / 2);
  expect(graphs).toBeLessThan(RUNS);
}, 600_000);

/** One mistake in an otherwise valid config, and the key its error must name. */
interface Mistake {
  readonly key: string;
  readonly apply: (o: Record<string, any>, svc: string) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
}
const MISTAKES: Mistake[] = [
  { key: "supabase.compute", apply: (o) => (o.supabase.compute = "huge") },
  { key: "supabase.compute", apply: (o) => (o.supabase.compute = "XL") },
  { key: "supabase.pooler.poolSize", apply: (o) => (o.supabase.pooler = { poolSize: 0 }) },
  { key: "supabase.pooler.poolSize", apply: (o) => (o.supabase.pooler = { poolSize: 2.5 }) },
  { key: "supabase.pooler.maxClients", apply: (o) => (o.supabase.pooler = { maxClients: -1 }) },
  { key: "supabase.pooler", apply: (o) => (o.supabase.pooler = { size: 3 }) },
  { key: "supabase.maxConnections", apply: (o) => (o.supabase.maxConnections = 0) },
  { key: "supabase.reserved.superuser", apply: (o) => (o.supabase.reserved = { superuser: -1 }) },
  { key: "supabase.reserved.supabaseServices", apply: (o) => (o.supabase.reserved = { supabaseServices: 100_000 }) },
  { key: "services.<svc>.connectionLimit", apply: (o, s) => (o.services[s].connectionLimit = 0) },
  // Below what the role's pool may open for its clients: a budget refusal.
  { key: "services.<svc>.connectionLimit", apply: (o, s) => (o.services[s].connectionLimit = 1) },
  { key: "services.<svc>.replicas", apply: (o, s) => (o.services[s] = { ...o.services[s], autoscaling: undefined, replicas: 101 }) },
  { key: "services.<svc>.pool.max", apply: (o, s) => (o.services[s].pool = { max: 0, min: 0 }) },
  { key: "services.<svc>.pool.min", apply: (o, s) => (o.services[s].pool = { max: 3, min: 4 }) },
  { key: "services.<svc>.readsFrom", apply: (o, s) => (o.services[s].readsFrom = [s]) },
  { key: "services.<svc>", apply: (o, s) => (o.services[s].replicaz = 2) },
  { key: "services.<svc>.autoscaling.minReplicas", apply: (o, s) => (o.services[s] = { ...o.services[s], replicas: undefined, autoscaling: { minReplicas: 5, maxReplicas: 2 } }) },
  { key: "rotation.active", apply: (o) => (o.rotation.active = "red") },
  { key: "secretsDelivery", apply: (o) => (o.secretsDelivery = "vault") },
  { key: "temporal.replicas", apply: (o) => (o.temporal.replicas = 0) },
];
const mistake = fc.constantFrom(...MISTAKES);

it(`random invalid configurations fail before any resource registers, naming the key (${RUNS} cases)`, async () => {
  await fc.assert(
    fc.asyncProperty(choice, mistake, async (c, m) => {
      const overrides = JSON.parse(JSON.stringify(overridesOf(c)));
      const svc = c.services[0].key;
      m.apply(overrides, svc);
      const outcome = await run(overrides);
      expect("error" in outcome).toBe(true);
      const { error, registered } = outcome as { error: unknown; registered: number };
      expect(error).toBeInstanceOf(ConfigError);
      expect(registered).toBe(0);
      expect((error as ConfigError).message).toContain(`volteryde-infra:${m.key.replace("<svc>", svc)}`);
    }),
    { numRuns: RUNS },
  );
}, 600_000);
