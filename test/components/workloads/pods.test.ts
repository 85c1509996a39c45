/**
 * Every pod this program runs, checked whole: each object with a pod template (service
 * Deployments, migration Jobs, the Temporal workers, and whatever is added later, since the
 * objects are found by their shape, not by a list) has exactly the restricted security contexts,
 * no service-account token, one container and the /tmp emptyDir. The namespace's Pod Security
 * labels, the migration Jobs' limits and the defaults a stack gets when it sets nothing: literal.
 */
import { Capture, CapturedResource, reveal } from "../../../tools/capture";
import { captureStack } from "../../../tools/run";
import { rawConfig } from "../../fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any */
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const JOB = "kubernetes:batch/v1:Job";
const NAMESPACE = "kubernetes:core/v1:Namespace";

const captures: Record<string, Capture> = {};
beforeAll(async () => {
  for (const stack of ["dev", "prod"]) captures[stack] = await captureStack(stack);
}, 60_000);

const inputs = (r: CapturedResource) => reveal(r.inputs) as Record<string, any>;
/** Every Kubernetes object that runs pods, whatever its kind: it has `spec.template.spec.containers`. */
const podBearing = (c: Capture) => c.resources.filter((r) => r.type.startsWith("kubernetes:") && inputs(r).spec?.template?.spec?.containers);

/** The pod-level fields that decide what a pod may do, and what it mounts. */
const podSecurity = (pod: any) => ({
  automountServiceAccountToken: pod.automountServiceAccountToken,
  serviceAccountName: pod.serviceAccountName,
  serviceAccount: pod.serviceAccount,
  securityContext: pod.securityContext,
  hostNetwork: pod.hostNetwork,
  hostPID: pod.hostPID,
  hostIPC: pod.hostIPC,
  shareProcessNamespace: pod.shareProcessNamespace,
  volumes: pod.volumes,
  initContainers: pod.initContainers,
  ephemeralContainers: pod.ephemeralContainers,
  containers: pod.containers.length,
});

const RESTRICTED_POD = {
  automountServiceAccountToken: false,
  serviceAccountName: undefined,
  serviceAccount: undefined,
  securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
  hostNetwork: undefined,
  hostPID: undefined,
  hostIPC: undefined,
  shareProcessNamespace: undefined,
  volumes: [{ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } }],
  initContainers: undefined,
  ephemeralContainers: undefined,
  containers: 1,
};

const RESTRICTED_CONTAINER = {
  securityContext: {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  },
  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
};

describe.each(["dev", "prod"])("%s: every pod", (stack) => {
  it("runs in 11 Deployments (10 services and the workers) and 10 migration Jobs, nothing else", () => {
    const kinds = podBearing(captures[stack]).map((r) => r.type);
    expect(kinds.filter((t) => t === DEPLOYMENT)).toHaveLength(11);
    expect(kinds.filter((t) => t === JOB)).toHaveLength(10);
    expect(kinds).toHaveLength(21);
  });

  it("names its container after its role, and labels its pods with their component (NetworkPolicies select on it)", () => {
    const pods = podBearing(captures[stack]);
    expect(pods).toHaveLength(21);
    for (const r of pods) {
      const pod = inputs(r).spec.template;
      const [container, component] = r.type === JOB ? ["migrate", "migration"] : r.name === "temporal-deployment" ? ["worker", "worker"] : [r.name.replace(/-deployment$/, ""), "api"];
      expect([r.name, pod.spec.containers.map((k: any) => k.name)]).toEqual([r.name, [container]]);
      expect([r.name, pod.metadata.labels["app.kubernetes.io/component"], pod.metadata.labels["app.kubernetes.io/part-of"]]).toEqual([r.name, component, "volteryde"]);
    }
  });

  it("spreads only in prod, and only Deployments: zones and hosts", () => {
    const pods = podBearing(captures[stack]);
    expect(pods).toHaveLength(21);
    for (const r of pods) {
      const keys = (inputs(r).spec.template.spec.topologySpreadConstraints ?? []).map((t: any) => t.topologyKey);
      const expected = stack === "prod" && r.type === DEPLOYMENT ? ["topology.kubernetes.io/zone", "kubernetes.io/hostname"] : [];
      expect([r.name, keys]).toEqual([r.name, expected]);
      expect([r.name, inputs(r).spec.template.spec.topologySpreadConstraints === undefined]).toEqual([r.name, expected.length === 0]);
    }
  });

  it("is restricted: exact pod and container security contexts, no service-account token, only /tmp writable", () => {
    const pods = podBearing(captures[stack]);
    expect(pods).toHaveLength(21);
    for (const r of pods) {
      const pod = inputs(r).spec.template.spec;
      expect([r.name, podSecurity(pod)]).toEqual([r.name, RESTRICTED_POD]);
      const k = pod.containers[0];
      expect([r.name, { securityContext: k.securityContext, volumeMounts: k.volumeMounts }]).toEqual([r.name, RESTRICTED_CONTAINER]);
    }
  });
});

describe("migration Jobs", () => {
  it.each(["dev", "prod"])("%s: 15-minute deadline, one retry, removed after a day, never restarted in place", (stack) => {
    const jobs = captures[stack].resources.filter((r) => r.type === JOB);
    expect(jobs).toHaveLength(10);
    for (const job of jobs) {
      const o = inputs(job);
      expect([job.name, { ...o.spec, template: undefined }]).toEqual([
        job.name,
        { activeDeadlineSeconds: 900, backoffLimit: 1, ttlSecondsAfterFinished: 86400, template: undefined },
      ]);
      expect(o.spec.template.spec.restartPolicy).toBe("Never");
      expect([job.name, job.options.deleteBeforeReplace]).toEqual([job.name, true]);
    }
  });
});

describe("defaults, when the stack sets none", () => {
  let c: Capture;
  beforeAll(async () => {
    // dev without its image pull policy: everything else in dev is already the default.
    const images = { ...(rawConfig("dev").images as Record<string, unknown>), pullPolicy: undefined };
    c = await captureStack("dev", { overrides: { images: JSON.parse(JSON.stringify(images)) } });
  }, 60_000);
  const containers = (type: string) => c.resources.filter((r) => r.type === type).map((r) => [r.name, inputs(r).spec.template.spec.containers[0]] as [string, any]);

  it("pull policy IfNotPresent on every container", () => {
    const all = [...containers(DEPLOYMENT), ...containers(JOB)];
    expect(all).toHaveLength(21);
    for (const [name, k] of all) expect([name, k.imagePullPolicy]).toEqual([name, "IfNotPresent"]);
  });

  it("migration command `npm run migration:run`", () => {
    const jobs = containers(JOB);
    expect(jobs).toHaveLength(10);
    for (const [name, k] of jobs) expect([name, k.command]).toEqual([name, ["npm", "run", "migration:run"]]);
  });

  it("services listen on 3000 with NestJS Terminus probes; the workers' health port is 8080", () => {
    const deployments = containers(DEPLOYMENT);
    expect(deployments).toHaveLength(11);
    for (const [name, k] of deployments) {
      const health = name === "temporal-deployment" ? { port: "health", containerPort: 8080 } : { port: "http", containerPort: 3000 };
      expect([name, k.ports]).toEqual([name, [{ name: health.port, containerPort: health.containerPort, protocol: "TCP" }]]);
      expect([name, k.startupProbe, k.livenessProbe, k.readinessProbe]).toEqual([
        name,
        { httpGet: { path: "/health/liveness", port: health.port }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 24 },
        { httpGet: { path: "/health/liveness", port: health.port }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
        { httpGet: { path: "/health/readiness", port: health.port }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3, successThreshold: 1 },
      ]);
    }
  });
});

describe("the namespace", () => {
  const LABELS = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "app.kubernetes.io/part-of": "volteryde",
    "app.kubernetes.io/managed-by": "pulumi",
  };

  it("dev creates it unprotected, enforcing the restricted Pod Security Standard", () => {
    const namespaces = captures.dev.resources.filter((r) => r.type === NAMESPACE);
    expect(namespaces).toHaveLength(1);
    expect(inputs(namespaces[0]).metadata).toEqual({ name: "volteryde-dev", labels: LABELS });
    expect([namespaces[0].options.protect, namespaces[0].options.retainOnDelete]).toEqual([false, false]);
  });

  it("prod, which does not create it, declares none", () => {
    expect(captures.prod.resources.filter((r) => r.type === NAMESPACE)).toEqual([]);
  });

  it("prod with createNamespace: protected, retained on delete, the same labels", async () => {
    const kubernetes = { ...(rawConfig("prod").kubernetes as Record<string, unknown>), createNamespace: true };
    const c = await captureStack("prod", { overrides: { kubernetes } });
    const namespaces = c.resources.filter((r) => r.type === NAMESPACE);
    expect(namespaces).toHaveLength(1);
    expect(inputs(namespaces[0]).metadata).toEqual({ name: "volteryde", labels: LABELS });
    expect([namespaces[0].options.protect, namespaces[0].options.retainOnDelete]).toEqual([true, true]);
  }, 60_000);
});
