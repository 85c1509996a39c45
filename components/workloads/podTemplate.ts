/**
 * What the workloads (ServiceWorkload, TemporalWorkers) share: labels, the restricted pod basics,
 * the rollout strategy, probes, topology spread, environment from Secrets, the rollout checksum,
 * and the one resource both declare the same way, a PodDisruptionBudget (parented to the caller).
 */
import { createHash } from "crypto";
import * as policyv1 from "@pulumi/kubernetes/policy/v1";
import type * as k8sInput from "@pulumi/kubernetes/types/input";
import type * as pulumi from "@pulumi/pulumi";
import type { Resources, SpreadMode } from "../config/configSchema";

type EnvVar = k8sInput.core.v1.EnvVar;

/** Annotation on pod templates whose change rolls the pods (see `rolloutChecksum`). */
export const ROLLOUT_CHECKSUM_ANNOTATION = "volteryde.io/rollout-checksum";

/** The label the guide's `kubectl get pods -l app=...` commands select on. */
export const GUIDE_APP_LABEL = { service: "nestjs-service", temporal: "temporal-workers" } as const;

/**
 * Labels that select a workload's pods. Immutable in a Deployment's selector, so they hold only
 * what never changes for the workload: no version, no guide label.
 */
export function selectorLabels(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": name };
}

/** `app.kubernetes.io/component` of each kind of pod; NetworkPolicies select migration pods by it. */
export const COMPONENT = { api: "api", migration: "migration", worker: "worker" } as const;

/** Labels that select every pod of one component of this platform (e.g. all migration Jobs' pods). */
export function componentSelector(component: (typeof COMPONENT)[keyof typeof COMPONENT]): Record<string, string> {
  return { "app.kubernetes.io/component": component, "app.kubernetes.io/part-of": "volteryde" };
}

/** The recommended `app.kubernetes.io/*` labels plus the guide's `app` label. */
export function workloadLabels(name: string, component: string, version: string, guideApp: string): Record<string, string> {
  return {
    ...selectorLabels(name),
    "app.kubernetes.io/version": version,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": "volteryde",
    "app.kubernetes.io/managed-by": "pulumi",
    app: guideApp,
  };
}

/** A label value must be at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function labelValue(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  return cleaned || "unknown";
}

/** Non-root, no privilege escalation, read-only root filesystem, no capabilities, RuntimeDefault seccomp. */
export const POD_SECURITY_CONTEXT: k8sInput.core.v1.PodSecurityContext = Object.freeze({
  runAsNonRoot: true,
  runAsUser: 10001,
  runAsGroup: 10001,
  fsGroup: 10001,
  seccompProfile: { type: "RuntimeDefault" },
});

export const CONTAINER_SECURITY_CONTEXT: k8sInput.core.v1.SecurityContext = Object.freeze({
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  privileged: false,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
});

/**
 * Node writes to /tmp (npm, TypeORM's CLI, core dumps); with a read-only root filesystem that is
 * a small memory-backed emptyDir instead.
 */
export const TMP_VOLUME = { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } } as const;
export const TMP_MOUNT = { name: "tmp", mountPath: "/tmp" } as const;

/** Every pod here: restricted security context, a writable /tmp, no service-account token. */
export const POD_BASICS = Object.freeze({
  automountServiceAccountToken: false,
  securityContext: POD_SECURITY_CONTEXT,
  volumes: [TMP_VOLUME],
});

/**
 * One extra pod at a time and never fewer than `replicas`: each login's connection limit budgets
 * exactly one surge pod (connectionBudget.ts).
 */
export const ROLLING_UPDATE = Object.freeze({ type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });

/** Checks a workload's replicas; throws a message that names the component and the config key. */
export function checkReplicas(owner: string, replicas: number, configKey: string): void {
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`${owner}: replicas must be a positive integer, got ${replicas}; set ${configKey}`);
}

/**
 * A PodDisruptionBudget of one pod at a time for a workload that can run more than one pod
 * (`maxReplicas`: the fixed count, or the autoscaler's maximum); none otherwise. One at a time
 * matches the spread: a node drain takes at most one pod of a workload out of its zone.
 *
 * `unhealthyPodEvictionPolicy: AlwaysAllow`: a pod that is running but not Ready protects nothing,
 * so it must never block a drain (with the default IfHealthyBudget, a crash-looping pod can hold a
 * node drain forever). Field semantics: kubernetes-models v4.5.1 `policy/v1/PodDisruptionBudgetSpec.d.ts`
 * (the API's own description); beta and on by default since Kubernetes 1.27.
 */
export function disruptionBudget(
  resourceName: string,
  workload: {
    readonly maxReplicas: number;
    readonly metadata: { readonly name: string; readonly namespace: pulumi.Input<string>; readonly labels: Record<string, string> };
    readonly selector: Record<string, string>;
  },
  parent: pulumi.Resource,
): policyv1.PodDisruptionBudget | undefined {
  if (workload.maxReplicas <= 1) return undefined;
  return new policyv1.PodDisruptionBudget(
    resourceName,
    {
      metadata: workload.metadata,
      spec: { maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow", selector: { matchLabels: workload.selector } },
    },
    { parent },
  );
}

/** Where each topology of `kubernetes.topologySpread` is read from: the well-known node labels. */
export const TOPOLOGY_KEYS = { zones: "topology.kubernetes.io/zone", hosts: "kubernetes.io/hostname" } as const;

/**
 * Topology spread constraints for a Deployment's pods, zones first, then hosts; empty when both
 * are off. Per constraint (field semantics from kubernetes-models v4.5.1 `v1/TopologySpreadConstraint.d.ts`):
 * - `maxSkew: 1`: at most one pod more in any zone (host) than in the emptiest;
 * - `matchLabelKeys: [pod-template-hash]`: only pods of the same ReplicaSet count, so during a
 *   rollout the new pods spread among themselves instead of around the old ones (beta, on by
 *   default since 1.27; the key must not also be in `labelSelector`);
 * - `nodeTaintsPolicy: Honor`: nodes the pods cannot run on (a NotReady or cordoned node's taint)
 *   are no domain, so a lost zone does not block scheduling with DoNotSchedule.
 */
export function topologySpread(
  selector: Record<string, string>,
  spread: { readonly zones: SpreadMode; readonly hosts: SpreadMode },
): k8sInput.core.v1.TopologySpreadConstraint[] {
  return (["zones", "hosts"] as const)
    .filter((topology) => spread[topology] !== "off")
    .map((topology) => ({
      maxSkew: 1,
      topologyKey: TOPOLOGY_KEYS[topology],
      whenUnsatisfiable: spread[topology],
      labelSelector: { matchLabels: selector },
      matchLabelKeys: ["pod-template-hash"],
      nodeTaintsPolicy: "Honor",
    }));
}

/** The HTTP probe paths of a container and how long it may take to start. */
export interface ProbePaths {
  readonly livenessPath: string;
  readonly readinessPath: string;
  readonly startupPath: string;
  readonly startupTimeoutSeconds: number;
}

/** Seconds between two startup probes. */
export const STARTUP_PERIOD_SECONDS = 5;

/**
 * Startup, liveness and readiness probes on the named container port. Kubernetes runs liveness
 * and readiness only after the startup probe succeeded once, so no initial delay is needed and a
 * slow boot gets `startupTimeoutSeconds` before a restart. Liveness restarts after 3 failures 10 s
 * apart; readiness takes the pod out of its Service after 3 failures 5 s apart and back after one
 * success (successThreshold must be 1 for liveness and startup: kubernetes-models v4.5.1 `v1/Probe.d.ts`).
 */
export function httpProbes(
  paths: ProbePaths,
  portName: string,
): Pick<k8sInput.core.v1.Container, "startupProbe" | "livenessProbe" | "readinessProbe"> {
  const get = (path: string) => ({ httpGet: { path, port: portName }, timeoutSeconds: 3 });
  return {
    startupProbe: {
      ...get(paths.startupPath),
      periodSeconds: STARTUP_PERIOD_SECONDS,
      failureThreshold: Math.ceil(paths.startupTimeoutSeconds / STARTUP_PERIOD_SECONDS),
    },
    livenessProbe: { ...get(paths.livenessPath), periodSeconds: 10, failureThreshold: 3 },
    readinessProbe: { ...get(paths.readinessPath), periodSeconds: 5, failureThreshold: 3, successThreshold: 1 },
  };
}

/** A container's requests and limits from the config's resources. */
export function resourceRequirements(r: Resources): k8sInput.core.v1.ResourceRequirements {
  return { requests: { cpu: r.cpuRequest, memory: r.memoryRequest }, limits: { cpu: r.cpuLimit, memory: r.memoryLimit } };
}

/** `env` entries that read keys of a Secret, optionally renamed (`{ VAR: "KEY" }`). */
export function envFromSecret(secretName: k8sInput.core.v1.SecretKeySelector["name"], keys: Readonly<Record<string, string>>): EnvVar[] {
  return Object.entries(keys).map(([name, key]) => ({ name, valueFrom: { secretKeyRef: { name: secretName, key } } }));
}

/** Plain `env` entries from a map of non-secret values. */
export function plainEnv(values: Readonly<Record<string, string>>): EnvVar[] {
  return Object.entries(values).map(([name, value]) => ({ name, value }));
}

function canonical(value: unknown, path: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => canonical(v, `${path}[${i}]`));
  if (value && typeof value === "object") {
    if (Object.getPrototypeOf(value) !== Object.prototype) {
      throw new Error(`rolloutChecksum: ${path} is not plain data (an Output or a secret must never be hashed)`);
    }
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k], `${path}.${k}`)]),
    );
  }
  return value;
}

/**
 * SHA-256 of the NON-SECRET inputs that change when a pod must restart although its Deployment
 * spec would not: the ConfigMap's data (envFrom does not re-read it), the active login user and
 * its rotation value (the Secret keeps its name, in both delivery modes). Plain values only, so a
 * secret can never leak through the hash, and the plan shows exactly why a rollout happens. This
 * replaces a reloader controller.
 */
export function rolloutChecksum(inputs: Readonly<Record<string, unknown>>): string {
  return createHash("sha256").update(JSON.stringify(canonical(inputs, "inputs"))).digest("hex");
}
