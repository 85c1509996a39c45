/**
 * The Kubernetes objects of a capture, as the provider would send them (secret values masked),
 * their YAML, and their validation: every object against the Kubernetes OpenAPI schema
 * (`kubernetes-models` v4, CommonJS; ExternalSecret and SecretStore against External Secrets
 * Operator's CRD schema), plus the checks a schema cannot express.
 */
import { stringify } from "yaml";
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { ExternalSecret, SecretStore } from "@kubernetes-models/external-secrets/external-secrets.io/v1beta1";
import { Capture, CapturedResource, SecretValue } from "../capture";
import { topologicalOrder } from "../graph";

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
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

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
        if (!LABEL_KEY.test(k)) add(o, `label key ${JSON.stringify(k)} is invalid`);
        if (typeof v !== "string" || !LABEL_VALUE.test(v)) add(o, `label ${k}=${JSON.stringify(v)}: a value is at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends`);
      }
    }
    for (const [k, v] of Object.entries((o.metadata?.annotations ?? {}) as Record<string, unknown>)) {
      if (v === MASK) add(o, `annotation ${k} carries a secret value`);
    }

    if (o.kind === "Deployment" && !matches(o.spec?.selector?.matchLabels, o.spec?.template?.metadata?.labels)) {
      add(o, "spec.selector.matchLabels does not match the pod template's labels");
    }

    const pod = podSpecOf(o);
    if (pod) {
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
