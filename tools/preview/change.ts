/**
 * The change preview: what `pulumi up` would do going from one capture of the program (the
 * state the last `up` left, as the program declared it) to another, judged the way the engine
 * and the providers judge it, with no credentials:
 *
 *   create / delete         a resource only in the new / only in the old capture (matched by URN,
 *                           its aliases, and the aliases its parents pass down)
 *   update                  inputs differ, none of them force-new (forceNew.ts)
 *   replace                 a force-new input differs; delete-first when the program asks
 *                           (`deleteBeforeReplace`) or the provider does for a fixed name
 *   refused                 the engine refuses to replace or delete a protected resource
 *                           (pulumi/pulumi pkg/resource/deploy/step_generator.go, step.go)
 *   retained                a delete of a `retainOnDelete` resource only forgets it, also the old
 *                           half of a replacement (step.go DeleteStep: `s.old.RetainOnDelete`)
 *
 * and for every Deployment and Job whether its pods (re)start and why, in words, from what
 * changed in its pod template and in the ConfigMaps and Secrets it reads. It also names the
 * hazards of a change that the engine accepts but that fail at run time.
 */
import { isDeepStrictEqual } from "util";
import { Capture, CapturedResource, reveal } from "../capture";
import { FORCE_NEW, ProviderFlags, forceNewPaths, under } from "./forceNew";

export type StepKind = "create" | "update" | "replace" | "delete";

export interface Step {
  readonly kind: StepKind;
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** update / replace: the changed input paths. */
  readonly changed: readonly string[];
  /** replace: the changed paths that are force-new. */
  readonly forceNew: readonly string[];
  /** replace: the old object is deleted before the new one is created. */
  readonly deleteFirst: boolean;
  /** delete (or the old half of a replace): the engine only forgets it; the object stays. */
  readonly retained: boolean;
  /** Matched through an alias (a rename). */
  readonly aliased: boolean;
}

export interface Roll {
  readonly type: "Deployment" | "Job";
  readonly name: string;
  /** Why its pods start again, in words. */
  readonly reasons: readonly string[];
}

export interface Finding {
  readonly level: "error" | "warning";
  readonly message: string;
}

export interface ChangePreview {
  readonly steps: readonly Step[];
  readonly rolls: readonly Roll[];
  readonly findings: readonly Finding[];
  readonly counts: Readonly<Record<StepKind | "same", number>>;
}

const EMPTY: Capture = { project: "", stack: "", resources: [], outputs: {} };

type Plain = Record<string, unknown>;
const plain = (r: CapturedResource) => reveal(r.inputs) as Plain;

/** Dotted paths where two values differ (arrays by index: `a[0].b`). */
export function changedPaths(a: unknown, b: unknown, path = ""): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const isObj = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a as Plain), ...Object.keys(b as Plain)])].sort();
    return keys.flatMap((k) => changedPaths((a as Plain)[k], (b as Plain)[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.flatMap((x, i) => changedPaths(x, b[i], `${path}[${i}]`));
  return [path];
}

/** `urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>` in its parts. */
function urnParts(urn: string): { prefix: string; typeChain: string; name: string } {
  const parts = urn.split("::");
  return { prefix: parts.slice(0, 2).join("::"), typeChain: parts[2], name: parts.slice(3).join("::") };
}

/**
 * The URNs a resource may have had: its own, its alias specs' (name/type/parent), and the ones
 * its parent's old URN implies, the child name's parent prefix renamed too, as the engine and SDK
 * derive children's aliases (sdk/nodejs resource.ts `inheritedChildAlias`).
 */
function candidateUrns(r: CapturedResource, oldUrnOf: (urn: string) => string | undefined, newByUrn: Map<string, CapturedResource>): string[] {
  const out = [r.urn];
  const { prefix, typeChain, name } = urnParts(r.urn);
  const type = typeChain.split("$").pop()!;
  for (const a of r.options.aliases) {
    // The SDK sends `{urn}` or `{spec: {name, type, parentUrn | noParent, ...}}`; "" means unchanged.
    const urn = (a as { urn?: string }).urn;
    if (urn) {
      out.push(urn);
      continue;
    }
    const spec = ((a as { spec?: unknown }).spec ?? a) as { name?: string; type?: string; parentUrn?: string };
    const aliasName = spec.name || name;
    const aliasType = spec.type || type;
    const parentUrn = spec.parentUrn;
    const chain = parentUrn ? `${urnParts(parentUrn).typeChain}$${aliasType}` : [...typeChain.split("$").slice(0, -1), aliasType].join("$");
    out.push(`${prefix}::${chain}::${aliasName}`);
  }
  if (r.parent) {
    const oldParent = oldUrnOf(r.parent);
    const parent = newByUrn.get(r.parent);
    if (oldParent && oldParent !== r.parent && parent) {
      const op = urnParts(oldParent);
      const childName = name.startsWith(parent.name) ? op.name + name.slice(parent.name.length) : name;
      out.push(`${prefix}::${op.typeChain}$${type}::${childName}`);
    }
  }
  return out;
}

/** The Kubernetes provider's mutable flags, from the provider resource the capture recorded. */
function providerFlags(c: Capture, r: CapturedResource): ProviderFlags {
  // A provider reference is `<provider urn>::<id>`.
  const provider = r.provider ? c.resources.find((p) => r.provider === p.urn || r.provider!.startsWith(`${p.urn}::`)) : undefined;
  const inputs = provider ? plain(provider) : {};
  // Provider inputs reach the engine as strings ("true").
  const on = (v: unknown) => v === true || v === "true";
  return { enableConfigMapMutable: on(inputs.enableConfigMapMutable), enableSecretMutable: on(inputs.enableSecretMutable) };
}

function replaceOrder(type: string, old: CapturedResource, next: CapturedResource): boolean {
  if (next.options.deleteBeforeReplace) return true;
  const order = FORCE_NEW[type]?.order;
  const [a, b] = [plain(old), plain(next)];
  if (order === "kubernetes-name") {
    const [ma, mb] = [a.metadata as Plain | undefined, b.metadata as Plain | undefined];
    return mb?.name !== undefined && ma?.name === mb.name && ma?.namespace === mb.namespace;
  }
  if (order === "bridged-name") return b.name !== undefined;
  return false;
}

/** What a change from `before` to `after` does; `undefined` is the empty state (a first up, a destroy). */
export function previewChange(before: Capture | undefined, after: Capture | undefined): ChangePreview {
  const [b, a] = [before ?? EMPTY, after ?? EMPTY];
  const oldByUrn = new Map(b.resources.map((r) => [r.urn, r]));
  const newByUrn = new Map(a.resources.map((r) => [r.urn, r]));
  const matched = new Map<string, CapturedResource>(); // new urn -> old resource
  const aliased = new Set<string>();
  const oldUrnOf = (urn: string) => matched.get(urn)?.urn;
  for (const r of a.resources) {
    for (const urn of candidateUrns(r, oldUrnOf, newByUrn)) {
      const old = oldByUrn.get(urn);
      if (old && old.type === r.type) {
        matched.set(r.urn, old);
        if (urn !== r.urn) aliased.add(r.urn);
        break;
      }
    }
  }
  const usedOld = new Set([...matched.values()].map((r) => r.urn));
  const steps: Step[] = [];
  const findings: Finding[] = [];
  let same = 0;
  const step = (s: Omit<Step, "changed" | "forceNew" | "deleteFirst" | "retained" | "aliased"> & Partial<Step>): Step => ({
    changed: [],
    forceNew: [],
    deleteFirst: false,
    retained: false,
    aliased: false,
    ...s,
  });

  for (const r of a.resources) {
    const old = matched.get(r.urn);
    if (!old) {
      steps.push(step({ kind: "create", type: r.type, name: r.name, urn: r.urn }));
      continue;
    }
    if (!r.custom) {
      if (aliased.has(r.urn)) steps.push(step({ kind: "update", type: r.type, name: r.name, urn: r.urn, aliased: true }));
      else same++;
      continue;
    }
    const changed = changedPaths(plain(old), plain(r));
    if (r.type.startsWith("pulumi:providers:")) {
      if (changed.length) steps.push(step({ kind: "update", type: r.type, name: r.name, urn: r.urn, changed, aliased: aliased.has(r.urn) }));
      else same++;
      continue;
    }
    if (!changed.length) {
      if (aliased.has(r.urn)) steps.push(step({ kind: "update", type: r.type, name: r.name, urn: r.urn, aliased: true }));
      else same++;
      continue;
    }
    const forceNew = [...forceNewPaths(r.type, changed, providerFlags(a, r)), ...changed.filter((c) => r.options.replaceOnChanges.some((p) => p === "*" || under(c, p)))];
    if (!forceNew.length) {
      steps.push(step({ kind: "update", type: r.type, name: r.name, urn: r.urn, changed, aliased: aliased.has(r.urn) }));
      continue;
    }
    const s = step({
      kind: "replace",
      type: r.type,
      name: r.name,
      urn: r.urn,
      changed,
      forceNew: [...new Set(forceNew)],
      deleteFirst: replaceOrder(r.type, old, r),
      retained: old.options.retainOnDelete,
      aliased: aliased.has(r.urn),
    });
    steps.push(s);
    if (old.options.protect && r.options.protect) {
      findings.push({ level: "error", message: `refused: ${r.type} ${r.name} would be replaced (${s.forceNew.join(", ")}) but is protected (the engine: "unable to replace resource ... as it is currently marked for protection")` });
    }
  }
  for (const old of b.resources) {
    if (usedOld.has(old.urn)) continue;
    steps.push(step({ kind: "delete", type: old.type, name: old.name, urn: old.urn, retained: old.options.retainOnDelete }));
    if (old.custom && old.options.protect) {
      findings.push({ level: "error", message: `refused: ${old.type} ${old.name} would be deleted but is protected (the engine: "cannot be deleted because it is protected")` });
    }
  }
  findings.push(...hazards(b, a, steps, matched));
  const rolls = podRolls(b, a, steps, matched);
  const counts = { create: 0, update: 0, replace: 0, delete: 0, same };
  for (const s of steps) counts[s.kind]++;
  return { steps, rolls, findings, counts };
}

/** A resource's old and new inputs, by new URN (or by old URN for deletes). */
function pairOf(s: Step, b: Capture, a: Capture, matched: Map<string, CapturedResource>): [Plain | undefined, Plain | undefined] {
  const next = a.resources.find((r) => r.urn === s.urn);
  const old = next ? matched.get(next.urn) : b.resources.find((r) => r.urn === s.urn);
  return [old ? plain(old) : undefined, next ? plain(next) : undefined];
}

function json(text: unknown): Plain {
  try {
    return typeof text === "string" ? (JSON.parse(text) as Plain) : {};
  } catch {
    return {};
  }
}

/** What the engine accepts but fails when it runs. */
function hazards(b: Capture, a: Capture, steps: readonly Step[], matched: Map<string, CapturedResource>): Finding[] {
  const out: Finding[] = [];
  // A login whose password changes in this very up, and a credentials secret that switches to it:
  // the pods roll to a user whose new password Supavisor may not know yet (it caches secrets and
  // fails the first login after a change), and nothing drains.
  const rotated = new Set(
    steps
      .filter((s) => s.type === "postgresql:index/role:Role" && s.kind === "update" && s.changed.includes("password"))
      .map((s) => String(pairOf(s, b, a, matched)[1]?.name)),
  );
  for (const s of steps.filter((x) => x.type === "aws:secretsmanager/secretVersion:SecretVersion" && x.kind === "replace")) {
    const [old, next] = pairOf(s, b, a, matched).map((p) => json(p?.secretString));
    const [was, now] = [String(old.username ?? ""), String(next.username ?? "")];
    const role = now.replace(/\.[a-z]{20}$/, "");
    if (now && was !== now && rotated.has(role)) {
      out.push({
        level: "error",
        message: `${s.name}: the pods switch to ${role}, whose password changes in the same up; rotate the idle user in one \`pulumi up\`, then flip \`rotation.active\` in the next (README "Rotation")`,
      });
    }
  }
  // An ExternalSecret whose source version changes in place: the provider's condition=Ready
  // passes at once on an update (ESO reports no observedGeneration), so pods that start now may
  // read the old value.
  for (const s of steps.filter((x) => x.type === "kubernetes:external-secrets.io/v1:ExternalSecret" && x.kind === "update")) {
    if (s.changed.some((c) => c.startsWith("metadata.annotations.volteryde.io/aws-secret-version") || c.startsWith("spec.data"))) {
      out.push({ level: "error", message: `${s.name}: a new value reaches this ExternalSecret in place; Pulumi will not wait for ESO to sync it (condition=Ready passes on an update), so its readers may start with the old value` });
    }
  }
  // A schema dropped with its tables.
  for (const s of steps.filter((x) => x.type === "postgresql:index/schema:Schema" && x.kind === "delete" && !x.retained)) {
    const [old] = pairOf(s, b, a, matched);
    out.push({ level: "warning", message: `${s.name}: schema ${String(old?.name)} is dropped ${old?.dropCascade ? "CASCADE, with every table in it" : "RESTRICT (fails if it holds tables)"}` });
  }
  return out;
}

type Container = { image?: string; env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[]; envFrom?: { configMapRef?: { name: string } }[]; command?: string[] };

/** The names of the ConfigMaps and Secrets a pod template reads. */
function reads(template: Plain | undefined): { configMaps: string[]; secrets: string[] } {
  const containers = (((template?.spec as Plain | undefined)?.containers ?? []) as Container[]);
  const configMaps = containers.flatMap((c) => (c.envFrom ?? []).map((e) => e.configMapRef?.name).filter((n): n is string => !!n));
  const secrets = containers.flatMap((c) => (c.env ?? []).map((e) => e.valueFrom?.secretKeyRef?.name).filter((n): n is string => !!n));
  return { configMaps: [...new Set(configMaps)], secrets: [...new Set(secrets)] };
}

/** Keys of a credentials JSON (or a Secret's data) whose value differs. */
function changedKeys(old: Plain, next: Plain): string[] {
  return [...new Set([...Object.keys(old), ...Object.keys(next)])].filter((k) => !isDeepStrictEqual(old[k], next[k])).sort();
}

/** Changed keys of a Secret, with the new user name spelled out (it is not secret); other values never. */
function describeKeys(keys: readonly string[], value: Plain | undefined): string {
  return keys.map((k) => (k === "DATABASE_USERNAME" && value?.[k] ? `DATABASE_USERNAME now ${String(value[k])}` : k)).join(", ");
}

/** Why each Deployment's and Job's pods start again, in words. */
function podRolls(b: Capture, a: Capture, steps: readonly Step[], matched: Map<string, CapturedResource>): Roll[] {
  const byName = (c: Capture, type: string, name: string) => c.resources.find((r) => r.type === type && (plain(r).metadata as Plain | undefined)?.name === name);
  // What each Secret (by its name in either capture) holds: v1 stringData, or the AWS JSON an ExternalSecret copies.
  const secretValue = (c: Capture, name: string): Plain | undefined => {
    const v1 = byName(c, "kubernetes:core/v1:Secret", name);
    if (v1) return (plain(v1).stringData as Plain) ?? {};
    const es = byName(c, "kubernetes:external-secrets.io/v1:ExternalSecret", name);
    if (!es) return undefined;
    const data = ((plain(es).spec as Plain).data ?? []) as { secretKey: string; remoteRef: { key: string; property: string } }[];
    const out: Plain = {};
    for (const d of data) {
      const secret = c.resources.find((r) => r.type === "aws:secretsmanager/secret:Secret" && plain(r).name === d.remoteRef.key);
      const version = secret && c.resources.find((r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion" && r.inputs.secretId === secret.outputs.arn);
      out[d.secretKey] = version ? json(plain(version).secretString)[d.remoteRef.property] : undefined;
    }
    return out;
  };
  const rolls: Roll[] = [];
  for (const s of steps.filter((x) => (x.type === "kubernetes:apps/v1:Deployment" || x.type === "kubernetes:batch/v1:Job") && x.kind !== "delete")) {
    const kind = s.type === "kubernetes:apps/v1:Deployment" ? "Deployment" : "Job";
    const [old, next] = pairOf(s, b, a, matched);
    const name = String((next?.metadata as Plain).name);
    if (!old) {
      rolls.push({ type: kind, name, reasons: [kind === "Job" ? "new Job: its migrations run" : "new Deployment: its pods start"] });
      continue;
    }
    const [t0, t1] = [(old.spec as Plain).template as Plain, (next!.spec as Plain).template as Plain];
    const templatePaths = changedPaths(t0, t1);
    if (!templatePaths.length) continue;
    const reasons: string[] = [];
    const [c0, c1] = [((t0.spec as Plain).containers as Container[]), ((t1.spec as Plain).containers as Container[])];
    for (let i = 0; i < Math.max(c0.length, c1.length); i++) {
      const [x, y] = [c0[i] ?? {}, c1[i] ?? {}];
      if (x.image !== y.image) reasons.push(`image ${x.image} -> ${y.image}`);
      if (!isDeepStrictEqual(x.command, y.command)) reasons.push(`command ${JSON.stringify(x.command)} -> ${JSON.stringify(y.command)}`);
      const env = (c: Container) => new Map((c.env ?? []).map((e) => [e.name, e]));
      const [e0, e1] = [env(x), env(y)];
      for (const n of [...new Set([...e0.keys(), ...e1.keys()])].sort()) {
        const [p, q] = [e0.get(n), e1.get(n)];
        if (isDeepStrictEqual(p, q)) continue;
        if (p?.valueFrom?.secretKeyRef || q?.valueFrom?.secretKeyRef) continue; // described with the Secrets below
        reasons.push(!p ? `env ${n} added (${q?.value})` : !q ? `env ${n} removed` : `env ${n} ${p.value} -> ${q.value}`);
      }
    }
    const [r0, r1] = [reads(t0), reads(t1)];
    for (const cm of r1.configMaps) {
      const [d0, d1] = [byName(b, "kubernetes:core/v1:ConfigMap", cm), byName(a, "kubernetes:core/v1:ConfigMap", cm)];
      if (d0 && d1) {
        const keys = changedKeys(plain(d0).data as Plain, plain(d1).data as Plain);
        if (keys.length) reasons.push(`ConfigMap ${cm} changes ${keys.join(", ")}`);
      }
    }
    const oldSecrets = new Set(r0.secrets);
    for (const sec of r1.secrets) {
      const value = secretValue(a, sec);
      if (oldSecrets.has(sec)) {
        const keys = changedKeys(secretValue(b, sec) ?? {}, value ?? {});
        if (keys.length) reasons.push(`Secret ${sec} changes ${describeKeys(keys, value)}`);
        continue;
      }
      // A renamed Secret (external-secrets: named after the AWS version it holds): compare with the one it replaces.
      const before = r0.secrets.find((o) => !r1.secrets.includes(o) && o.replace(/-[0-9a-f]{8}$/, "") === sec.replace(/-[0-9a-f]{8}$/, ""));
      const keys = before ? changedKeys(secretValue(b, before) ?? {}, value ?? {}) : [];
      reasons.push(before ? `reads Secret ${sec} instead of ${before}: new ${describeKeys(keys, value)}` : `reads Secret ${sec}`);
    }
    if (!reasons.length) reasons.push(`pod template changes ${templatePaths.slice(0, 4).join(", ")}`);
    if (kind === "Job") reasons.unshift("the Job is replaced and its migrations run again");
    rolls.push({ type: kind, name, reasons });
  }
  return rolls;
}
