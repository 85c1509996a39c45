/**
 * The workloads in the real program's graph: the shared ConfigMap, each service's
 * migration Job, Deployment, Service and PodDisruptionBudget, and the Temporal workers, for both
 * stacks; the ordering and parallelism of the graph; what rolls the pods.
 */
import { SERVICES } from "../../../components/config/catalogue";
import { Settings } from "../../../components/config/configSchema";
import { Capture, CapturedResource, SecretValue, reveal, secretStrings } from "../../../tools/capture";
import { graphStats, serviceOf, waitsOn } from "../../../tools/graph";
import { captureStack } from "../../../tools/run";
import { recordedBudget } from "../../../tools/budget";
import { deliveredBaseName, settingsOf } from "../../fixtures";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const JOB = "kubernetes:batch/v1:Job";
const SERVICE = "kubernetes:core/v1:Service";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const STACKS = ["dev", "prod"] as const;
const CONFIG_MAP_NAME = "volteryde-config";
const ROLLOUT_CHECKSUM_ANNOTATION = "volteryde.io/rollout-checksum";
const TEMPORAL_KEY_VERSION_ANNOTATION = "volteryde.io/temporal-api-key-version";

/** What each stack file says, written out (never read back through the program's parser). */
const STACK = {
  dev: {
    namespace: "volteryde-dev",
    registry: "ghcr.io/volteryde",
    tag: "dev-2026.11.25",
    /** `<svc>-migrate-<this>`: the tag made a DNS label, and a hash of the tag. */
    jobSuffix: "dev-2026-11-25-c249c3a6",
    replicas: { auth: 1, "client-auth": 1, users: 1, payment: 1, fleet: 1, charging: 1, booking: 1, telematics: 1, core: 1, notifications: 1 } as Record<string, number>,
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
    temporal: { replicas: 1, services: ["booking", "charging"] },
  },
  prod: {
    namespace: "volteryde",
    registry: "123456789012.dkr.ecr.sa-east-1.amazonaws.com/volteryde",
    tag: "v1.14.2",
    jobSuffix: "v1-14-2-bbc895d8",
    replicas: { auth: 3, "client-auth": 3, users: 3, payment: 4, fleet: 3, charging: 3, booking: 4, telematics: 6, core: 3, notifications: 2 } as Record<string, number>,
    resources: { requests: { cpu: "250m", memory: "384Mi" }, limits: { cpu: "1", memory: "768Mi" } },
    temporal: { replicas: 3, services: ["booking", "charging", "payment"] },
  },
} as const;
/** `DATABASE_POOL_MAX` / `_MIN` where a stack overrides the guide's 10 and 2 (idle 30000 everywhere). */
const POOL_OVERRIDES: Record<string, Record<string, [number, number]>> = { dev: {}, prod: { payment: [15, 2], telematics: [5, 1] } };
/** Schemas a service may read besides its own (`readsFrom`), in both stacks. */
const READS_FROM: Record<string, string[]> = { booking: ["users"] };

/* eslint-disable @typescript-eslint/no-explicit-any */
const captures: Record<string, Capture> = {};
const settings: Record<string, Settings> = {};

beforeAll(async () => {
  for (const stack of STACKS) {
    captures[stack] = await captureStack(stack);
    settings[stack] = settingsOf(stack);
  }
}, 60_000);

const find = (c: Capture, type: string, name: string): CapturedResource => {
  const r = c.resources.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} ${name}`);
  return r;
};
const spec = (r: CapturedResource) => reveal(r.inputs) as Record<string, any>;
const container = (r: CapturedResource) => spec(r).spec.template.spec.containers[0];
/** The Secrets a pod's env reads, by base name (external-secrets names carry the AWS version: fixtures deliveredBaseName). */
const secretRefs = (c: Capture, r: CapturedResource): string[] =>
  [...new Set<string>(container(r).env.filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => deliveredBaseName(c, e.valueFrom.secretKeyRef.name)))].sort();
const plainEnv = (r: CapturedResource): Record<string, string> =>
  Object.fromEntries(container(r).env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
const checksum = (c: Capture, name: string) => spec(find(c, DEPLOYMENT, name)).spec.template.metadata.annotations[ROLLOUT_CHECKSUM_ANNOTATION];

describe.each(STACKS)("%s", (stack) => {
  it("the shared ConfigMap holds only what every reader uses: the transaction pooler, SSL, NODE_ENV; nothing secret", () => {
    const c = captures[stack];
    const cms = c.resources.filter((r) => r.type === CONFIG_MAP);
    expect(cms).toHaveLength(1);
    const cm = spec(cms[0]);
    expect(cm.metadata).toMatchObject({ name: CONFIG_MAP_NAME, namespace: STACK[stack].namespace });
    // No pool size (it differs per service), no schema (each pod gets its own), no Temporal (workers only).
    expect(Object.keys(cm.data).sort()).toEqual([
      "DATABASE_HOST",
      "DATABASE_NAME",
      "DATABASE_PORT",
      "DATABASE_SSL",
      "DATABASE_SSL_MODE",
      "NODE_ENV",
      "SUPABASE_DB",
      "SUPABASE_HOST",
      "SUPABASE_PORT",
      "SUPABASE_URL",
    ]);
    expect(cm.data).toMatchObject({
      DATABASE_HOST: "aws-0-sa-east-1.pooler.supabase.com",
      DATABASE_PORT: "6543",
      SUPABASE_PORT: "6543",
      DATABASE_NAME: "postgres",
      DATABASE_SSL_MODE: "require",
      SUPABASE_URL: `https://${stack === "dev" ? "qwhdkrtmvzpalsuxnbeo" : "vxkqpmrlatnhzbwcoyde"}.supabase.co`,
      NODE_ENV: stack === "dev" ? "development" : "production",
    });
    expect(secretStrings(cms[0].inputs)).toEqual([]);
    for (const value of Object.values(cm.data)) expect(String(value)).not.toMatch(/password|secret/i);
  });

  it("no container's env overrides a key of a ConfigMap it reads, nor sets a variable twice", () => {
    const c = captures[stack];
    const cmKeys = new Set(Object.keys(spec(find(c, CONFIG_MAP, "shared-config")).data));
    const pods = c.resources.filter((r) => r.type === DEPLOYMENT || r.type === JOB);
    expect(pods).toHaveLength(21);
    for (const r of pods) {
      const k = container(r);
      const names: string[] = k.env.map((e: any) => e.name);
      expect([r.name, names.length]).toEqual([r.name, new Set(names).size]);
      if (k.envFrom) expect([r.name, names.filter((n) => cmKeys.has(n))]).toEqual([r.name, []]);
    }
  });

  it("no secret value reaches a ConfigMap, an annotation, a label or a plain env value", () => {
    const c = captures[stack];
    const secrets = new Set(c.resources.flatMap((r) => [...secretStrings(r.inputs), ...secretStrings(r.outputs)]).filter((v) => v.length >= 8));
    expect(secrets.size).toBeGreaterThan(20);
    const exposed: string[] = [];
    for (const r of c.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
      const o = spec(r);
      const places = [
        o.data,
        o.metadata?.annotations,
        o.metadata?.labels,
        o.spec?.template?.metadata?.annotations,
        o.spec?.template?.metadata?.labels,
        ...(o.spec?.template?.spec?.containers ?? []).map((k: any) => (k.env ?? []).map((e: any) => e.value)),
      ];
      const text = JSON.stringify(places);
      for (const s of secrets) if (text.includes(s)) exposed.push(`${r.name}: ${s.slice(0, 4)}...`);
    }
    expect(exposed).toEqual([]);
  });

  it.each(SERVICES.map((s) => [s.key]))("%s: Deployment with its image, replicas, labels, own schema and only its own credentials", (key) => {
    const c = captures[stack];
    const s = settings[stack];
    const svc = s.services.find((x) => x.service.key === key)!;
    const d = find(c, DEPLOYMENT, `${key}-deployment`);
    const o = spec(d);
    expect(o.metadata).toMatchObject({ name: key, namespace: STACK[stack].namespace });
    expect(o.spec.replicas).toBe(STACK[stack].replicas[key]);
    expect(o.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const labels = o.spec.template.metadata.labels;
    expect(labels).toMatchObject({
      app: "nestjs-service",
      "app.kubernetes.io/name": key,
      "app.kubernetes.io/version": STACK[stack].tag,
      "app.kubernetes.io/part-of": "volteryde",
      "app.kubernetes.io/managed-by": "pulumi",
    });
    // Only what never changes for the workload: no version (a selector is immutable).
    expect(o.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": key, "app.kubernetes.io/instance": key });

    const k = container(d);
    expect(k.image).toBe(`${STACK[stack].registry}/${key}:${STACK[stack].tag}`);
    expect(k.envFrom).toEqual([{ configMapRef: { name: CONFIG_MAP_NAME } }]);
    // Exactly its own schema (both names), the schemas it reads, its own pool and port.
    const readable = Object.fromEntries([svc.service, ...SERVICES.filter((x) => (READS_FROM[key] ?? []).includes(x.key))].map((x) => [x.schemaEnvVar, x.schema]));
    const [poolMax, poolMin] = POOL_OVERRIDES[stack][key] ?? [10, 2];
    expect(plainEnv(d)).toEqual({
      DATABASE_SCHEMA: svc.service.schema,
      ...readable,
      DATABASE_POOL_MAX: String(poolMax),
      DATABASE_POOL_MIN: String(poolMin),
      DATABASE_POOL_IDLE_TIMEOUT_MS: "30000",
      PORT: "3000",
    });
    const jwt = ["auth", "client-auth"].includes(key) ? ["volteryde-jwt-secret"] : [];
    expect(secretRefs(c, d)).toEqual([`${key}-database`, ...jwt].sort());
    expect(container(d).env.filter((e: any) => e.valueFrom).map((e: any) => e.name).sort()).toEqual(
      ["DATABASE_PASSWORD", "DATABASE_USERNAME", ...(jwt.length ? ["JWT_SECRET"] : [])].sort(),
    );
    expect(k.resources).toEqual(STACK[stack].resources);
    // NestJS Terminus routes: liveness without the database, readiness with it, startup first.
    expect(k.startupProbe).toEqual({ httpGet: { path: "/health/liveness", port: "http" }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 24 });
    expect(k.livenessProbe).toEqual({ httpGet: { path: "/health/liveness", port: "http" }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 });
    expect(k.readinessProbe).toEqual({
      httpGet: { path: "/health/readiness", port: "http" },
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 3,
      successThreshold: 1,
    });
    expect(k.ports).toEqual([{ name: "http", containerPort: 3000, protocol: "TCP" }]);
  });

  it.each(SERVICES.map((s) => [s.key]))("%s: migration Job named from the tag, on 5432 as the migrator, after the database and before the Deployment", (key) => {
    const c = captures[stack];
    const s = settings[stack];
    const svc = s.services.find((x) => x.service.key === key)!;
    const job = find(c, JOB, `${key}-migrate`);
    const o = spec(job);
    expect(o.metadata.name).toBe(`${key}-migrate-${STACK[stack].jobSuffix}`);
    // The Job's limits, restart policy, security: test/components/workloads/pods.test.ts.
    expect(container(job).command).toEqual(["npm", "run", "migration:run"]);
    expect(container(job).image).toBe(`${STACK[stack].registry}/${key}:${STACK[stack].tag}`);
    // The whole environment, explicit: the session pooler, the own schema only, no ConfigMap (so no 6543).
    expect(container(job).envFrom).toBeUndefined();
    expect(plainEnv(job)).toEqual({
      DATABASE_HOST: "aws-0-sa-east-1.pooler.supabase.com",
      DATABASE_PORT: "5432",
      DATABASE_NAME: "postgres",
      DATABASE_SSL: "true",
      DATABASE_SSL_MODE: "require",
      DATABASE_SCHEMA: svc.service.schema,
      [svc.service.schemaEnvVar]: svc.service.schema,
      // The migrator's own timeouts (defaults), and a writable HOME and npm cache on /tmp.
      DATABASE_STATEMENT_TIMEOUT_MS: "900000",
      DATABASE_LOCK_TIMEOUT_MS: "10000",
      PGOPTIONS: "-c lock_timeout=10000 -c statement_timeout=900000",
      NODE_ENV: stack === "dev" ? "development" : "production",
      HOME: "/tmp",
      npm_config_cache: "/tmp/.npm",
    });
    // A Job that failed in an earlier up is replaced on the next one instead of awaited forever.
    expect(o.metadata.annotations).toEqual({ "pulumi.com/replaceUnready": "true" });
    expect(JSON.stringify(spec(job))).not.toContain("6543");
    expect(secretRefs(c, job)).toEqual([`${key}-database-migrator`]);
    expect(job.options.deleteBeforeReplace).toBe(true);

    // Order in the captured graph: every database resource of the service < Job < Deployment.
    const database = find(c, "volteryde:database:ServiceDatabase", key);
    const deployment = find(c, DEPLOYMENT, `${key}-deployment`);
    const dbResources = c.resources.filter((r) => r.custom && r.parent === database.urn);
    expect(dbResources.length).toBeGreaterThan(10);
    // dependsOn a component: the SDK waits on each of its resources.
    expect(job.explicitDependencies).toEqual(expect.arrayContaining(dbResources.map((r) => r.urn)));
    expect(deployment.explicitDependencies).toEqual([job.urn]);
    const levels = graphStats(c).levels;
    for (const r of dbResources) expect(levels.get(r.urn)!).toBeLessThan(levels.get(job.urn)!);
    expect(levels.get(job.urn)!).toBeLessThan(levels.get(deployment.urn)!);
  });

  it.each(SERVICES.map((s) => [s.key]))("%s: ClusterIP Service on the pods' http port; a PodDisruptionBudget only with more than one replica", (key) => {
    const c = captures[stack];
    const service = spec(find(c, SERVICE, `${key}-service`));
    const podLabels = spec(find(c, DEPLOYMENT, `${key}-deployment`)).spec.template.metadata.labels;
    expect(service.spec.type).toBe("ClusterIP");
    expect(service.spec.ports).toEqual([{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
    expect(service.spec.selector).toEqual({ "app.kubernetes.io/name": key, "app.kubernetes.io/instance": key });
    expect(podLabels).toMatchObject(service.spec.selector);
    const pdbs = c.resources.filter((r) => r.type === PDB && r.name === `${key}-pdb`);
    expect(pdbs).toHaveLength(STACK[stack].replicas[key] > 1 ? 1 : 0);
    if (pdbs.length) {
      expect(spec(pdbs[0]).spec).toEqual({ maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow", selector: { matchLabels: service.spec.selector } });
    }
  });

  it("Temporal workers: app=temporal-workers, the API key and only the listed services' credentials, after their migrations", () => {
    const c = captures[stack];
    const d = find(c, DEPLOYMENT, "temporal-deployment");
    const o = spec(d);
    const t = STACK[stack].temporal;
    expect(o.spec.replicas).toBe(t.replicas);
    expect(o.spec.template.metadata.labels.app).toBe("temporal-workers");
    expect(container(d).image).toBe(`${STACK[stack].registry}/temporal-workers:${STACK[stack].tag}`);
    expect(container(d).envFrom).toEqual([{ configMapRef: { name: CONFIG_MAP_NAME } }]);
    expect(secretRefs(c, d)).toEqual(["volteryde-temporal-api-key", ...t.services.map((k) => `${k}-database`)].sort());
    const names: string[] = container(d).env.map((e: any) => e.name);
    expect(names).toContain("TEMPORAL_API_KEY");
    expect(names).not.toContain("JWT_SECRET");
    expect(names.filter((n) => n.endsWith("_DATABASE_PASSWORD")).sort()).toEqual(t.services.map((k) => `${k.toUpperCase()}_DATABASE_PASSWORD`));
    expect([...d.explicitDependencies].sort()).toEqual(t.services.map((k) => find(c, JOB, `${k}-migrate`).urn).sort());
    // The Secrets Manager version of the key (as the mock AWS provider returned it): a new key rolls the workers.
    const keyVersion = find(c, "aws:secretsmanager/secretVersion:SecretVersion", "platform-temporal-api-key-version").outputs.versionId;
    expect(keyVersion).toMatch(/^[0-9a-f]{32}$/);
    expect(o.spec.template.metadata.annotations[TEMPORAL_KEY_VERSION_ANNOTATION]).toBe(keyVersion);
    expect(c.resources.filter((r) => r.type === PDB && r.name === "temporal-pdb")).toHaveLength(t.replicas > 1 ? 1 : 0);
  });

  it("every service is its own chain: a Deployment waits on nothing of another service unless config links them", () => {
    const c = captures[stack];
    const s = settings[stack];
    const byUrn = new Map(c.resources.map((r) => [r.urn, r]));
    const ancestors = (start: CapturedResource) => {
      const seen = new Set<string>();
      const stack: CapturedResource[] = [start];
      while (stack.length) {
        const r = stack.pop()!;
        // A dependency on a component waits for the component's custom descendants.
        const next = [...waitsOn(r), ...c.resources.filter((x) => x.parent === r.urn && !r.custom).map((x) => x.urn)];
        for (const u of next) {
          if (seen.has(u)) continue;
          seen.add(u);
          stack.push(byUrn.get(u)!);
        }
      }
      return seen;
    };
    expect(s.services).toHaveLength(10);
    for (const svc of s.services) {
      const key = svc.service.key;
      const related = new Set([key, ...svc.readsFrom, ...s.services.filter((o) => o.readsFrom.includes(key)).map((o) => o.service.key)]);
      const foreign = [...ancestors(find(c, DEPLOYMENT, `${key}-deployment`))]
        .map((u) => byUrn.get(u)!)
        .filter((r) => r.custom)
        .map((r) => serviceOf(c, r))
        .filter((owner): owner is string => owner !== undefined && !related.has(owner));
      expect([key, [...new Set(foreign)]]).toEqual([key, []]);
    }
  });
});

it("the graph stays wide: every service's Deployment sits on the same level band, far below the service count in depth", () => {
  for (const stack of STACKS) {
    const stats = graphStats(captures[stack]);
    const deploymentLevels = captures[stack].resources.filter((r) => r.type === DEPLOYMENT && r.name !== "temporal-deployment").map((r) => stats.levels.get(r.urn)!);
    // Chained services would need ~10 levels per service; parallel ones share a few.
    expect(Math.max(...deploymentLevels) - Math.min(...deploymentLevels)).toBeLessThanOrEqual(2);
    expect(stats.depth).toBeLessThan(15);
    expect(stats.width).toBeGreaterThanOrEqual(50);
  }
});

it("both delivery modes give the workloads the same Deployments and Jobs, but for the Secrets' version suffix", async () => {
  const external = await captureStack("dev", {
    overrides: {
      secretsDelivery: "external-secrets",
      externalSecrets: { oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.sa-east-1.amazonaws.com/id/ABC" },
    },
  });
  let refs = 0;
  for (const type of [DEPLOYMENT, JOB]) {
    // Secret references by base name: under external-secrets they carry `-<AWS version>` (checked by deliveredBaseName).
    const inputs = (c: Capture) =>
      Object.fromEntries(
        c.resources
          .filter((r) => r.type === type)
          .map((r) => [
            r.name,
            JSON.parse(
              JSON.stringify(spec(r), (k, x) => {
                if (x instanceof SecretValue) return "[secret]";
                if (k === "secretKeyRef") {
                  refs++;
                  return { ...x, name: deliveredBaseName(c, x.name) };
                }
                return x;
              }),
            ),
          ]),
      );
    expect(inputs(external)).toEqual(inputs(captures.dev));
  }
  expect(refs).toBeGreaterThan(40);
}, 60_000);

describe("what rolls the pods (rotation; config)", () => {
  // dev: active blue; booking and charging run in the Temporal workers.
  const checksums = (c: Capture) => Object.fromEntries(c.resources.filter((r) => r.type === DEPLOYMENT).map((r) => [r.name, spec(r).spec.template.metadata.annotations[ROLLOUT_CHECKSUM_ANNOTATION]]));
  const rotation = (booking: Record<string, string>) => ({ services: { booking: { readsFrom: ["users"], rotation: booking } } });
  let base: Record<string, string>;
  beforeAll(async () => {
    base = checksums(await captureStack("dev", { overrides: rotation({}) }));
  }, 60_000);

  it("bumping the idle user's rotation value rolls nothing", async () => {
    expect(checksums(await captureStack("dev", { overrides: rotation({ green: "2027-02" }) }))).toEqual(base);
  }, 60_000);

  it("flipping the active user rolls that service and the workers that use its credentials, nothing else", async () => {
    const after = checksums(await captureStack("dev", { overrides: rotation({ active: "green" }) }));
    const changed = Object.keys(base).filter((k) => base[k] !== after[k]).sort();
    expect(changed).toEqual(["booking-deployment", "temporal-deployment"]);
  }, 60_000);

  it("a new password for the ACTIVE user (off-routine, e.g. a leak) rolls that service and its workers", async () => {
    const after = checksums(await captureStack("dev", { overrides: rotation({ blue: "leaked-2026-11-25" }) }));
    expect(Object.keys(base).filter((k) => base[k] !== after[k]).sort()).toEqual(["booking-deployment", "temporal-deployment"]);
  }, 60_000);

  it("rotating the migrator rolls no Deployment (only the Job reads its Secret)", async () => {
    expect(checksums(await captureStack("dev", { overrides: rotation({ migrator: "2027-02" }) }))).toEqual(base);
  }, 60_000);

  it("a ConfigMap change rolls every Deployment that reads it", async () => {
    const after = checksums(await captureStack("dev", { overrides: { nodeEnv: "staging" } }));
    const unchanged = Object.keys(base).filter((k) => base[k] === after[k]);
    expect(unchanged).toEqual([]);
  }, 60_000);

  it("the checksum is a SHA-256 that differs between stacks with different config", () => {
    expect(checksum(captures.dev, "booking-deployment")).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(captures.dev, "booking-deployment")).not.toBe(checksum(captures.prod, "booking-deployment"));
  });
});

describe("each container's environment says what that container uses", () => {
  it("prod: an overridden pool reaches the service's pods, and the ConfigMap claims no pool at all", () => {
    const env = (key: string) => plainEnv(find(captures.prod, DEPLOYMENT, `${key}-deployment`));
    expect(env("payment")).toMatchObject({ DATABASE_POOL_MAX: "15", DATABASE_POOL_MIN: "2" });
    expect(env("telematics")).toMatchObject({ DATABASE_POOL_MAX: "5", DATABASE_POOL_MIN: "1" });
    expect(env("auth")).toMatchObject({ DATABASE_POOL_MAX: "10", DATABASE_POOL_MIN: "2" });
    expect(Object.keys(spec(find(captures.prod, CONFIG_MAP, "shared-config")).data).filter((k) => k.includes("POOL"))).toEqual([]);
  });

  it("dev workers: Temporal, the API key, and per listed service its schema, pool and credentials; the pooler from the ConfigMap", () => {
    const d = find(captures.dev, DEPLOYMENT, "temporal-deployment");
    expect(container(d).envFrom).toEqual([{ configMapRef: { name: CONFIG_MAP_NAME } }]);
    expect(plainEnv(d)).toEqual({
      TEMPORAL_ADDRESS: "volteryde-dev.a1b2c.tmprl.cloud:7233",
      TEMPORAL_NAMESPACE: "volteryde-dev.a1b2c",
      HEALTH_PORT: "8080",
      BOOKING_DATABASE_SCHEMA: "svc_booking",
      BOOKING_DATABASE_POOL_MAX: "10",
      BOOKING_DATABASE_POOL_MIN: "2",
      BOOKING_DATABASE_POOL_IDLE_TIMEOUT_MS: "30000",
      CHARGING_DATABASE_SCHEMA: "svc_charging",
      CHARGING_DATABASE_POOL_MAX: "10",
      CHARGING_DATABASE_POOL_MIN: "2",
      CHARGING_DATABASE_POOL_IDLE_TIMEOUT_MS: "30000",
    });
    expect(secretRefs(captures.dev, d)).toEqual(["booking-database", "charging-database", "volteryde-temporal-api-key"]);
  });

  it("prod workers get payment's own pool (15), as its pods do", () => {
    expect(plainEnv(find(captures.prod, DEPLOYMENT, "temporal-deployment"))).toMatchObject({ PAYMENT_DATABASE_POOL_MAX: "15", BOOKING_DATABASE_POOL_MAX: "10" });
  });

  it("workers that run no service's workflows read no ConfigMap and get no database setting", async () => {
    const c = await captureStack("dev", { overrides: { temporal: { ...settingsOf("dev").temporal, services: [] } } });
    const d = find(c, DEPLOYMENT, "temporal-deployment");
    expect(container(d).envFrom).toBeUndefined();
    expect(plainEnv(d)).toEqual({
      NODE_ENV: "development",
      TEMPORAL_ADDRESS: "volteryde-dev.a1b2c.tmprl.cloud:7233",
      TEMPORAL_NAMESPACE: "volteryde-dev.a1b2c",
      HEALTH_PORT: "8080",
    });
    expect(secretRefs(c, d)).toEqual(["volteryde-temporal-api-key"]);
  }, 60_000);
});

describe("Temporal workers' health probe", () => {
  it("serves startup, liveness and readiness on a named health port", () => {
    const k = container(find(captures.prod, DEPLOYMENT, "temporal-deployment"));
    expect(k.ports).toEqual([{ name: "health", containerPort: 8080, protocol: "TCP" }]);
    expect(k.startupProbe).toEqual({ httpGet: { path: "/health/liveness", port: "health" }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 24 });
    expect(k.livenessProbe.httpGet).toEqual({ path: "/health/liveness", port: "health" });
    expect(k.readinessProbe.httpGet).toEqual({ path: "/health/readiness", port: "health" });
  });

  it("can be switched off for an image that serves no endpoint: then no port, no probe, no HEALTH_PORT", async () => {
    const c = await captureStack("dev", { overrides: { temporal: { ...settingsOf("dev").temporal, probe: { enabled: false } } } });
    const k = container(find(c, DEPLOYMENT, "temporal-deployment"));
    expect([k.ports, k.startupProbe, k.livenessProbe, k.readinessProbe]).toEqual([undefined, undefined, undefined, undefined]);
    expect(plainEnv(find(c, DEPLOYMENT, "temporal-deployment"))).not.toHaveProperty("HEALTH_PORT");
  }, 60_000);
});

describe("topology spread (prod) and disruption budgets to match", () => {
  const ZONE_AND_HOST = (selector: Record<string, string>) => [
    {
      maxSkew: 1,
      topologyKey: "topology.kubernetes.io/zone",
      whenUnsatisfiable: "DoNotSchedule",
      labelSelector: { matchLabels: selector },
      matchLabelKeys: ["pod-template-hash"],
      nodeTaintsPolicy: "Honor",
    },
    {
      maxSkew: 1,
      topologyKey: "kubernetes.io/hostname",
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector: { matchLabels: selector },
      matchLabelKeys: ["pod-template-hash"],
      nodeTaintsPolicy: "Honor",
    },
  ];

  it("prod: every Deployment spreads across zones (hard) and hosts (soft) by its own pods, and has a PDB of one pod at a time", () => {
    const deployments = captures.prod.resources.filter((r) => r.type === DEPLOYMENT);
    expect(deployments).toHaveLength(11);
    for (const d of deployments) {
      const o = spec(d);
      expect(o.spec.template.spec.topologySpreadConstraints).toEqual(ZONE_AND_HOST(o.spec.selector.matchLabels));
      const pdb = spec(find(captures.prod, PDB, d.name.replace(/-deployment$/, "-pdb")));
      expect(pdb.spec).toEqual({ maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow", selector: { matchLabels: o.spec.selector.matchLabels } });
    }
  });

  it("dev: no spread constraint (one replica, one node is fine) and no PDB", () => {
    const deployments = captures.dev.resources.filter((r) => r.type === DEPLOYMENT);
    expect(deployments).toHaveLength(11);
    for (const d of deployments) expect(spec(d).spec.template.spec.topologySpreadConstraints).toBeUndefined();
    expect(captures.dev.resources.filter((r) => r.type === PDB)).toEqual([]);
  });
});

describe("services.<svc>.autoscaling", () => {
  const HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";
  let c: Capture;
  beforeAll(async () => {
    c = await captureStack("dev", { overrides: { services: { booking: { readsFrom: ["users"], autoscaling: { minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 60 } } } } });
  }, 60_000);

  it("creates an autoscaling/v2 HPA on CPU for that service only, targeting its Deployment", () => {
    const hpas = c.resources.filter((r) => r.type === HPA);
    expect(hpas.map((r) => r.name)).toEqual(["booking-hpa"]);
    const o = spec(hpas[0]);
    expect(o.metadata).toMatchObject({ name: "booking", namespace: "volteryde-dev" });
    expect(o.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "booking" },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } }],
    });
    expect(hpas[0].parent).toBe(find(c, "volteryde:workloads:ServiceWorkload", "booking").urn);
  });

  it("leaves the replica count to the HPA: the Deployment sets none; other services keep theirs", () => {
    expect(spec(find(c, DEPLOYMENT, "booking-deployment")).spec).not.toHaveProperty("replicas");
    expect(spec(find(c, DEPLOYMENT, "auth-deployment")).spec.replicas).toBe(1);
  });

  it("gets a PDB because up to five pods can run", () => {
    expect(c.resources.filter((r) => r.type === PDB).map((r) => r.name)).toEqual(["booking-pdb"]);
  });

  it("counts the HPA's maximum in the pooler's clients, not in the logins' limit (Supavisor bounds those)", () => {
    // dev: 251 pooler clients; booking's own grow from (1 + 1 surge) x 10 to (5 + 1 surge) x 10.
    expect(recordedBudget(c).totals.clients).toBe(251 + 40);
    const limit = c.resources.find((r) => r.type === "postgresql:index/role:Role" && spec(r).name === "svc_booking_app_blue")!;
    expect(spec(limit).connectionLimit).toBe(7);
  });
});
