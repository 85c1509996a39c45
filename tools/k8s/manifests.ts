/**
 * The Kubernetes objects of a capture, as the provider would send them (secret values masked),
 * their YAML, and their validation: every object against the Kubernetes OpenAPI schema
 * (`kubernetes-models` v4, CommonJS; ExternalSecret and SecretStore against External Secrets
 * Operator's CRD schema), plus the checks a schema cannot express:
 *
 * - what the API server rejects although the schema allows it (rules.ts has the sources): names
 *   (DNS-1123 labels; a Service's a DNS-1035 label), label keys and values, annotation size,
 *   container and port names, port numbers, env names, requests above limits, successThreshold
 *   other than 1 on liveness and startup probes, a Job's or Deployment's restartPolicy, both
 *   minAvailable and maxUnavailable on a PDB, an HPA whose minimum exceeds its maximum, topology
 *   spread rules (maxSkew, minDomains, duplicates, matchLabelKeys), NetworkPolicy CIDRs and ports;
 * - what the API server accepts but fails at run time or silently does nothing: references to
 *   objects, keys and ports that do not exist (a probe on a port no container exposes, a policy
 *   admitting a port nobody serves, selectors that select nothing), an HPA on CPU without CPU
 *   requests or next to a fixed `replicas`, egress rules on a policy that does not restrict egress;
 * - what would make a container's environment untrue: a variable set twice, or an `env` entry
 *   hiding a key of a ConfigMap the container reads with `envFrom`.
 */
import { stringify } from "yaml";
// One module per kind: a group's index loads every kind of it with its validator (core v1: ~80),
// 137 against 48 ms of every process that validates (plain Node.js).
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Job } from "kubernetes-models/batch/v1/Job";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { ExternalSecret } from "@kubernetes-models/external-secrets/external-secrets.io/v1beta1/ExternalSecret";
import { SecretStore } from "@kubernetes-models/external-secrets/external-secrets.io/v1beta1/SecretStore";
import { Capture, CapturedResource, SecretValue } from "../capture";
import { topologicalOrder } from "../graph";
import {
  ANNOTATIONS_MAX_BYTES,
  annotationBytes,
  hasHostBits,
  isStrictSubset,
  isValidEnvName,
  isValidLabelKey,
  isValidPortName,
  isValidPortNumber,
  parseCidr,
  parseQuantity,
} from "./rules";

export const MASK = "[secret]";

/* eslint-disable @typescript-eslint/no-explicit-any */
export type K8sObject = Record<string, any>;

export interface Manifest {
  readonly resource: CapturedResource;
  /** The object, with every secret value (at any depth) replaced by "[secret]". */
  readonly object: K8sObject;
}

function maskAll(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskAll);
  if (value && typeof value === "object" && !(value instanceof SecretValue)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskAll(v)]));
  }
  return MASK;
}

/** Plain values stay; a secret keeps its shape (a Secret's keys stay readable) with masked leaves. */
export function mask(value: unknown): unknown {
  if (value instanceof SecretValue) return maskAll(value.value instanceof SecretValue ? value.value.value : value.value);
  if (Array.isArray(value)) return value.map(mask);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v)]));
  return value;
}

/** Every Kubernetes object the program registers, dependencies first. */
export function manifests(c: Capture): Manifest[] {
  return topologicalOrder(c)
    .filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:"))
    .map((resource) => ({ resource, object: mask(resource.inputs) as K8sObject }));
}

/** `<NN>-<kind>-<name>.yaml`, numbered in dependency order, so `ls` reads like `kubectl apply` would. */
export function manifestFiles(list: readonly Manifest[]): { file: string; yaml: string }[] {
  const width = String(list.length).length;
  return list.map((m, i) => ({
    file: `${String(i + 1).padStart(width, "0")}-${String(m.object.kind).toLowerCase()}-${m.object.metadata?.name}.yaml`,
    yaml: `# ${m.resource.type} ${m.resource.name}\n${stringify(m.object, { lineWidth: 0 })}`,
  }));
}

interface Model {
  new (data: any): { validate(): void };
}

/**
 * Schemas by apiVersion/kind. ESO's `external-secrets.io/v1` is `v1beta1` promoted unchanged
 * (ESO v0.16; v1beta1 is no longer served since v0.17), and kubernetes-models ships v1beta1, so v1
 * objects are checked against it with the apiVersion rewritten.
 */
const MODELS: Record<string, { model: Model; apiVersion?: string }> = {
  "v1/Namespace": { model: Namespace },
  "v1/ConfigMap": { model: ConfigMap },
  "v1/Secret": { model: Secret },
  "v1/Service": { model: Service },
  "v1/ServiceAccount": { model: ServiceAccount },
  "apps/v1/Deployment": { model: Deployment },
  "batch/v1/Job": { model: Job },
  "policy/v1/PodDisruptionBudget": { model: PodDisruptionBudget },
  "networking.k8s.io/v1/NetworkPolicy": { model: NetworkPolicy },
  "autoscaling/v2/HorizontalPodAutoscaler": { model: HorizontalPodAutoscaler },
  "external-secrets.io/v1/ExternalSecret": { model: ExternalSecret, apiVersion: "external-secrets.io/v1beta1" },
  "external-secrets.io/v1/SecretStore": { model: SecretStore, apiVersion: "external-secrets.io/v1beta1" },
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A Service's name: it becomes a DNS name and environment variables, so it must start with a letter. */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

export interface Problem {
  /** `Kind/name` of the object. */
  readonly object: string;
  readonly message: string;
}

const id = (o: K8sObject) => `${o.kind}/${o.metadata?.name}`;

function schemaProblems(o: K8sObject): string[] {
  const entry = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!entry) return [`no schema for ${o.apiVersion} ${o.kind}; add it to tools/k8s/manifests.ts`];
  const data = entry.apiVersion ? { ...o, apiVersion: entry.apiVersion } : o;
  try {
    new entry.model(data).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: { instancePath: string; message?: string }[] }).errors;
    if (errors?.length) return errors.map((e) => `schema: ${e.instancePath || "/"} ${e.message ?? "invalid"}`);
    return [`schema: ${(err as Error).message}`];
  }
}

/** Pod templates of workloads: Deployment and Job. */
function podSpecOf(o: K8sObject): K8sObject | undefined {
  return o.kind === "Deployment" || o.kind === "Job" ? o.spec?.template?.spec : undefined;
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Pod labels of every workload in a namespace. */
function podLabelsIn(objects: readonly K8sObject[], namespace: string | undefined): Record<string, string>[] {
  return objects.filter((w) => podSpecOf(w) && w.metadata?.namespace === namespace).map((w) => w.spec?.template?.metadata?.labels ?? {});
}

/** Problems of one pod template: names, ports, resources, probes, restart policy, spread (API-server rules). */
function podProblems(o: K8sObject, pod: K8sObject): string[] {
  const problems: string[] = [];
  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])] as K8sObject[];
  const names = new Set<string>();
  const portNames = new Set<string>();
  for (const c of containers) {
    if (typeof c.name !== "string" || !DNS_LABEL.test(c.name)) problems.push(`container name ${JSON.stringify(c.name)} is not a DNS-1123 label`);
    else if (names.has(c.name)) problems.push(`container name ${c.name} is used twice in the pod`);
    names.add(c.name);
    const where = `container ${c.name}`;
    for (const p of (c.ports ?? []) as K8sObject[]) {
      if (!isValidPortNumber(p.containerPort)) problems.push(`${where}: containerPort ${p.containerPort} is not between 1 and 65535`);
      if (p.name === undefined) continue;
      if (!isValidPortName(p.name)) problems.push(`${where}: port name ${JSON.stringify(p.name)} is not an IANA_SVC_NAME (at most 15 of a-z, 0-9, '-', with a letter)`);
      else if (portNames.has(p.name)) problems.push(`${where}: port name ${p.name} is used twice in the pod`);
      portNames.add(p.name);
    }
    const requests = (c.resources?.requests ?? {}) as Record<string, unknown>;
    const limits = (c.resources?.limits ?? {}) as Record<string, unknown>;
    for (const [resource, request] of Object.entries(requests)) {
      const r = parseQuantity(request);
      const l = parseQuantity(limits[resource]);
      if (r === undefined) problems.push(`${where}: ${resource} request ${JSON.stringify(request)} is not a quantity`);
      else if (l !== undefined && r > l) problems.push(`${where}: ${resource} request ${request} must be less than or equal to its limit ${limits[resource]}`);
    }
    for (const probeName of ["livenessProbe", "startupProbe"]) {
      const threshold = c[probeName]?.successThreshold;
      if (threshold !== undefined && threshold !== 1) problems.push(`${where}: ${probeName}.successThreshold must be 1, got ${threshold}`);
    }
    for (const e of (c.env ?? []) as K8sObject[]) {
      if (typeof e.name !== "string" || !isValidEnvName(e.name)) problems.push(`${where}: env name ${JSON.stringify(e.name)} is not a valid environment variable name`);
    }
  }
  const restart = pod.restartPolicy;
  if (o.kind === "Job" && restart !== "Never" && restart !== "OnFailure") problems.push(`a Job's restartPolicy must be Never or OnFailure, got ${JSON.stringify(restart)}`);
  if (o.kind === "Deployment" && restart !== undefined && restart !== "Always") problems.push(`a Deployment's restartPolicy must be Always, got ${JSON.stringify(restart)}`);

  const seen = new Set<string>();
  for (const t of (pod.topologySpreadConstraints ?? []) as K8sObject[]) {
    const where = `topologySpreadConstraint ${t.topologyKey}`;
    if (!(Number.isInteger(t.maxSkew) && t.maxSkew >= 1)) problems.push(`${where}: maxSkew must be at least 1, got ${t.maxSkew}`);
    if (t.minDomains !== undefined && t.whenUnsatisfiable !== "DoNotSchedule") problems.push(`${where}: minDomains is only allowed with whenUnsatisfiable DoNotSchedule`);
    const pair = `${t.topologyKey}/${t.whenUnsatisfiable}`;
    if (seen.has(pair)) problems.push(`${where}: a second constraint with the same topologyKey and whenUnsatisfiable`);
    seen.add(pair);
    const selector = (t.labelSelector?.matchLabels ?? {}) as Record<string, string>;
    for (const key of (t.matchLabelKeys ?? []) as string[]) {
      if (key in selector) problems.push(`${where}: matchLabelKeys key ${key} must not also be in labelSelector`);
    }
    if (!matches(selector, o.spec?.template?.metadata?.labels)) problems.push(`${where}: labelSelector does not select the workload's own pods, so the spread counts nothing`);
  }
  return problems;
}

/** Problems of a container's environment that make it untrue: a name set twice, or an env entry hiding a ConfigMap key it reads. */
function environmentProblems(c: K8sObject, configMaps: ReadonlyMap<string, Set<string>>): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const e of (c.env ?? []) as K8sObject[]) {
    if (seen.has(e.name)) problems.push(`container ${c.name}: env ${e.name} is set twice; only the last value counts`);
    seen.add(e.name);
  }
  for (const from of (c.envFrom ?? []) as K8sObject[]) {
    const keys = from.configMapRef ? configMaps.get(from.configMapRef.name) : undefined;
    for (const name of seen) {
      if (keys?.has(name)) problems.push(`container ${c.name}: env ${name} hides key ${name} of ConfigMap ${from.configMapRef.name}, so that ConfigMap says something untrue of this container`);
    }
  }
  return problems;
}

/** A NetworkPolicy port: a number 1-65535 or a port name; endPort only after a numeric port, not below it. */
function policyPortProblems(p: K8sObject, where: string): string[] {
  const problems: string[] = [];
  if (p.port !== undefined) {
    if (typeof p.port === "string" ? !isValidPortName(p.port) : !isValidPortNumber(p.port)) problems.push(`${where}: port ${JSON.stringify(p.port)} is neither 1-65535 nor a port name`);
  }
  if (p.endPort !== undefined) {
    if (typeof p.port !== "number") problems.push(`${where}: endPort needs a numeric port`);
    else if (p.endPort < p.port) problems.push(`${where}: endPort ${p.endPort} is below port ${p.port}`);
  }
  return problems;
}

/** Problems of a NetworkPolicy: CIDRs and ports (API server), selectors that select nothing and ports nobody serves (cross-checks). */
function networkPolicyProblems(o: K8sObject, objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const spec = o.spec ?? {};
  const namespace = o.metadata?.namespace;
  const local = podLabelsIn(objects, namespace);
  const podSelector = (spec.podSelector?.matchLabels ?? {}) as Record<string, string>;
  const selected = Object.keys(podSelector).length ? local.filter((labels) => matches(podSelector, labels)) : local;
  if (Object.keys(podSelector).length && selected.length === 0) problems.push("spec.podSelector selects the pods of no workload");
  const types = (spec.policyTypes ?? ["Ingress", ...(spec.egress ? ["Egress"] : [])]) as string[];
  if (spec.egress?.length && !types.includes("Egress")) problems.push("has egress rules but policyTypes lacks Egress, so they are ignored");

  const servedPorts = new Set<number | string>();
  for (const w of objects.filter((x) => podSpecOf(x) && x.metadata?.namespace === namespace)) {
    if (Object.keys(podSelector).length && !matches(podSelector, w.spec?.template?.metadata?.labels)) continue;
    for (const c of (podSpecOf(w)!.containers ?? []) as K8sObject[]) for (const p of (c.ports ?? []) as K8sObject[]) servedPorts.add(p.containerPort).add(p.name);
  }
  const rules = [
    ...((spec.ingress ?? []) as K8sObject[]).map((r, i) => ({ where: `ingress[${i}]`, peers: (r.from ?? []) as K8sObject[], ports: (r.ports ?? []) as K8sObject[], ingress: true })),
    ...((spec.egress ?? []) as K8sObject[]).map((r, i) => ({ where: `egress[${i}]`, peers: (r.to ?? []) as K8sObject[], ports: (r.ports ?? []) as K8sObject[], ingress: false })),
  ];
  for (const rule of rules) {
    for (const [i, p] of rule.ports.entries()) {
      const where = `${rule.where}.ports[${i}]`;
      problems.push(...policyPortProblems(p, where));
      if (rule.ingress && p.port !== undefined && p.endPort === undefined && !servedPorts.has(p.port)) {
        problems.push(`${where}: admits port ${p.port}, which no selected pod serves`);
      }
    }
    for (const [i, peer] of rule.peers.entries()) {
      const where = `${rule.where} peer ${i}`;
      if (peer.ipBlock) {
        const cidr = parseCidr(peer.ipBlock.cidr);
        if (!cidr) problems.push(`${where}: ipBlock.cidr ${JSON.stringify(peer.ipBlock.cidr)} is not a CIDR`);
        else if (hasHostBits(cidr)) problems.push(`${where}: ipBlock.cidr ${peer.ipBlock.cidr} has bits set beyond the prefix length`);
        for (const ex of (peer.ipBlock.except ?? []) as string[]) {
          const e = parseCidr(ex);
          if (!e) problems.push(`${where}: except ${JSON.stringify(ex)} is not a CIDR`);
          else if (cidr && !isStrictSubset(e, cidr)) problems.push(`${where}: except ${ex} must be a strict subset of cidr ${peer.ipBlock.cidr}`);
        }
      }
      const peerPods = peer.podSelector?.matchLabels as Record<string, string> | undefined;
      if (peerPods && Object.keys(peerPods).length && !peer.namespaceSelector && !local.some((labels) => matches(peerPods, labels))) {
        problems.push(`${where}: podSelector selects the pods of no workload in the namespace`);
      }
    }
  }
  return problems;
}

/** Problems of a HorizontalPodAutoscaler: bounds (API server), its target, CPU requests, a fixed replica count (cross-checks). */
function autoscalerProblems(o: K8sObject, objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const { minReplicas = 1, maxReplicas, scaleTargetRef: ref, metrics = [] } = o.spec ?? {};
  if (!(Number.isInteger(minReplicas) && minReplicas >= 1)) problems.push(`minReplicas must be at least 1, got ${minReplicas}`);
  if (maxReplicas < minReplicas) problems.push(`maxReplicas ${maxReplicas} must not be less than minReplicas ${minReplicas}`);
  const target = objects.find((w) => w.kind === ref?.kind && w.metadata?.name === ref?.name && w.metadata?.namespace === o.metadata?.namespace);
  if (!target) return [...problems, `scaleTargetRef ${ref?.kind}/${ref?.name} is not declared`];
  if (target.spec?.replicas !== undefined) {
    problems.push(`its target ${id(target)} sets spec.replicas, which every apply would reset the autoscaler's count to; leave it out`);
  }
  for (const m of metrics as K8sObject[]) {
    const name = m.resource?.name;
    if (m.type !== "Resource" || m.resource?.target?.type !== "Utilization") continue;
    for (const c of (target.spec?.template?.spec?.containers ?? []) as K8sObject[]) {
      if (c.resources?.requests?.[name] === undefined) problems.push(`scales on ${name} utilization, but container ${c.name} of ${id(target)} requests no ${name}`);
    }
  }
  return problems;
}

/**
 * Problems of the objects: schema, names, labels, selectors, references (ConfigMaps, Secrets,
 * keys, stores) and ports. Empty when all is well.
 */
export function validateObjects(objects: readonly K8sObject[]): Problem[] {
  const problems: Problem[] = [];
  const add = (o: K8sObject, message: string) => problems.push({ object: id(o), message });

  // What exists, and with which keys.
  const configMaps = new Map<string, Set<string>>();
  const secrets = new Map<string, Set<string>>();
  const stores = new Set<string>();
  const seen = new Set<string>();
  const namespaces = new Set(objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata?.name));
  for (const o of objects) {
    if (o.kind === "ConfigMap") configMaps.set(o.metadata?.name, new Set(Object.keys(o.data ?? {})));
    if (o.kind === "Secret") secrets.set(o.metadata?.name, new Set([...Object.keys(o.stringData ?? {}), ...Object.keys(o.data ?? {})]));
    if (o.kind === "ExternalSecret") {
      secrets.set(o.spec?.target?.name ?? o.metadata?.name, new Set((o.spec?.data ?? []).map((d: K8sObject) => d.secretKey)));
    }
    if (o.kind === "SecretStore") stores.add(o.metadata?.name);
  }
  const objectNamespaces = new Set(objects.filter((o) => o.kind !== "Namespace").map((o) => o.metadata?.namespace));

  for (const o of objects) {
    for (const p of schemaProblems(o)) add(o, p);
    const name = o.metadata?.name;
    if (typeof name !== "string" || !DNS_LABEL.test(name)) add(o, `metadata.name ${JSON.stringify(name)} is not a DNS-1123 label of at most 63 characters`);
    else if (o.kind === "Service" && !DNS_1035_LABEL.test(name)) add(o, `metadata.name ${name} must start with a letter (a Service name is a DNS-1035 label)`);
    const key = `${o.kind}/${o.metadata?.namespace ?? ""}/${name}`;
    if (seen.has(key)) add(o, "declared twice");
    seen.add(key);
    if (o.kind !== "Namespace") {
      if (!o.metadata?.namespace) add(o, "has no namespace");
      else if (namespaces.size && !namespaces.has(o.metadata.namespace)) add(o, `namespace ${o.metadata.namespace} is not the program's namespace`);
    }
    const labelSets = [o.metadata?.labels, o.spec?.template?.metadata?.labels].filter(Boolean) as Record<string, string>[];
    for (const labels of labelSets) {
      for (const [k, v] of Object.entries(labels)) {
        if (!isValidLabelKey(k)) add(o, `label key ${JSON.stringify(k)} is invalid: [prefix/]name, the prefix a DNS subdomain of at most 253, the name at most 63 characters`);
        if (typeof v !== "string" || !LABEL_VALUE.test(v)) add(o, `label ${k}=${JSON.stringify(v)}: a value is at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends`);
      }
    }
    for (const [k, v] of Object.entries((o.metadata?.annotations ?? {}) as Record<string, unknown>)) {
      if (v === MASK) add(o, `annotation ${k} carries a secret value`);
    }
    for (const [where, annotations] of [
      ["metadata", o.metadata?.annotations],
      ["the pod template", o.spec?.template?.metadata?.annotations],
    ] as const) {
      const bytes = annotationBytes(annotations);
      if (bytes > ANNOTATIONS_MAX_BYTES) add(o, `annotations of ${where} take ${bytes} bytes; the API server allows ${ANNOTATIONS_MAX_BYTES}`);
    }

    if (o.kind === "Deployment" && !matches(o.spec?.selector?.matchLabels, o.spec?.template?.metadata?.labels)) {
      add(o, "spec.selector.matchLabels does not match the pod template's labels");
    }

    const pod = podSpecOf(o);
    if (pod) {
      for (const p of podProblems(o, pod)) add(o, p);
      for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])] as K8sObject[]) for (const p of environmentProblems(c, configMaps)) add(o, p);
      const volumes = new Set((pod.volumes ?? []).map((v: K8sObject) => v.name));
      for (const v of pod.volumes ?? []) {
        if (v.configMap && !configMaps.has(v.configMap.name)) add(o, `volume ${v.name}: ConfigMap ${v.configMap.name} is not declared`);
        if (v.secret && !secrets.has(v.secret.secretName)) add(o, `volume ${v.name}: Secret ${v.secret.secretName} is not declared`);
      }
      for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])] as K8sObject[]) {
        const where = `container ${c.name}`;
        for (const from of c.envFrom ?? []) {
          if (from.configMapRef && !configMaps.has(from.configMapRef.name)) add(o, `${where}: envFrom ConfigMap ${from.configMapRef.name} is not declared`);
          if (from.secretRef && !secrets.has(from.secretRef.name)) add(o, `${where}: envFrom Secret ${from.secretRef.name} is not declared`);
        }
        for (const e of c.env ?? []) {
          const s = e.valueFrom?.secretKeyRef;
          if (s && !s.optional) {
            if (!secrets.has(s.name)) add(o, `${where}: env ${e.name} reads Secret ${s.name}, which is not declared`);
            else if (!secrets.get(s.name)!.has(s.key)) add(o, `${where}: env ${e.name} reads key ${s.key}, which Secret ${s.name} does not hold`);
          }
          const m = e.valueFrom?.configMapKeyRef;
          if (m && !m.optional) {
            if (!configMaps.has(m.name)) add(o, `${where}: env ${e.name} reads ConfigMap ${m.name}, which is not declared`);
            else if (!configMaps.get(m.name)!.has(m.key)) add(o, `${where}: env ${e.name} reads key ${m.key}, which ConfigMap ${m.name} does not hold`);
          }
          if (e.value === MASK) add(o, `${where}: env ${e.name} carries a secret value in plain text`);
        }
        for (const mount of c.volumeMounts ?? []) if (!volumes.has(mount.name)) add(o, `${where}: volumeMount ${mount.name} has no volume`);
        const ports = (c.ports ?? []) as K8sObject[];
        for (const probeName of ["readinessProbe", "livenessProbe", "startupProbe"]) {
          const probe = c[probeName];
          const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
          if (port === undefined) continue;
          const found = typeof port === "string" ? ports.some((p) => p.name === port) : ports.some((p) => p.containerPort === port);
          if (!found) add(o, `${where}: ${probeName} port ${port} is not a container port`);
        }
      }
    }

    if (o.kind === "Service" || o.kind === "PodDisruptionBudget") {
      const selector = o.kind === "Service" ? o.spec?.selector : o.spec?.selector?.matchLabels;
      const targets = objects.filter((w) => w.kind === "Deployment" && w.metadata?.namespace === o.metadata?.namespace && matches(selector, w.spec?.template?.metadata?.labels));
      if (targets.length === 0) add(o, "its selector matches the pods of no Deployment");
      if (o.kind === "Service") {
        for (const p of o.spec?.ports ?? []) {
          const target = p.targetPort ?? p.port;
          for (const w of targets) {
            const cports = (w.spec.template.spec.containers ?? []).flatMap((c: K8sObject) => c.ports ?? []);
            const ok = typeof target === "string" ? cports.some((c: K8sObject) => c.name === target) : cports.some((c: K8sObject) => c.containerPort === target);
            if (!ok) add(o, `port ${p.name ?? p.port}: targetPort ${target} is not a container port of ${id(w)}`);
          }
        }
      }
    }

    if (o.kind === "PodDisruptionBudget" && o.spec?.minAvailable !== undefined && o.spec?.maxUnavailable !== undefined) {
      add(o, "minAvailable and maxUnavailable cannot both be set");
    }
    if (o.kind === "NetworkPolicy") for (const p of networkPolicyProblems(o, objects)) add(o, p);
    if (o.kind === "HorizontalPodAutoscaler") for (const p of autoscalerProblems(o, objects)) add(o, p);

    if (o.kind === "ExternalSecret") {
      const ref = o.spec?.secretStoreRef;
      if (ref?.kind === "SecretStore" && !stores.has(ref.name)) add(o, `secretStoreRef: SecretStore ${ref.name} is not declared`);
      if (o.metadata?.annotations?.["pulumi.com/waitFor"] !== "condition=Ready") add(o, "lacks pulumi.com/waitFor: condition=Ready, so readers may start before the Secret exists");
    }
  }
  if (objectNamespaces.size > 1) problems.push({ object: "(all)", message: `objects are spread over namespaces ${[...objectNamespaces].join(", ")}` });
  return problems;
}

/** Validates the Kubernetes objects of a capture (`manifests(c)`). */
export function validateManifests(list: readonly Manifest[]): Problem[] {
  return validateObjects(list.map((m) => m.object));
}
