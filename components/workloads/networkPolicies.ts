/**
 * The namespace's NetworkPolicies (networking.k8s.io/v1):
 *
 *   default-deny       every pod: no ingress, and (restrictEgress) no egress, unless allowed below
 *   <svc>              a service's pods: ingress on its port from the namespaces and workloads
 *                      config names (`ingress`); egress to DNS, the transaction pooler, the
 *                      services that accept it as a caller, and its extra `egress`
 *   migrations         every migration Job's pods: egress to DNS and the session pooler or direct host
 *   temporal-workers   the workers: egress to DNS, Temporal, the transaction pooler (when they run
 *                      some service's workflows), the services that accept them, their extra `egress`
 *
 * Policies only allow (they are additive); `default-deny` makes every pod of the namespace
 * isolated, so whatever is not listed is refused. Kubelet probes still pass: traffic from the
 * pod's own node is always allowed (NetworkPolicySpec.ingress, kubernetes-models v4.5.1
 * `networking.k8s.io/v1/NetworkPolicySpec.d.ts`; https://kubernetes.io/docs/concepts/services-networking/network-policies/).
 *
 * No pod here calls AWS or the Kubernetes API: pods mount no service-account token and hold no
 * AWS credentials, and External Secrets Operator talks to Secrets Manager from its own namespace.
 * So no egress to AWS endpoints is opened; a workload that needs one lists it in `egress`.
 *
 * NetworkPolicy selects peers by pod, namespace or IP block only, never by host name: the
 * Supabase and Temporal endpoints are reached by port to `databaseCidrs` / `temporalCidrs`
 * (by default any address). README "Network policies" says what that does and does not stop.
 */
import * as networkingv1 from "@pulumi/kubernetes/networking/v1";
import type * as k8sInput from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import { EgressRule, Ingress, TEMPORAL_WORKERS } from "../config/configSchema";
import { COMPONENT, componentSelector, selectorLabels } from "./podTemplate";

type PolicySpec = k8sInput.networking.v1.NetworkPolicySpec;
type EgressSpec = k8sInput.networking.v1.NetworkPolicyEgressRule;
type Peer = k8sInput.networking.v1.NetworkPolicyPeer;

/** The label every namespace carries with its own name (Kubernetes 1.22+), to select one by name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** One service as its policy needs it. */
export interface PolicyService {
  /** Service key: its pods' `app.kubernetes.io/name`. */
  readonly key: string;
  /** Container port it serves on. */
  readonly port: number;
  /** Who may call it. */
  readonly ingress: Ingress;
  /** Extra egress it needs. */
  readonly egress: readonly EgressRule[];
}

export interface NetworkPoliciesArgs {
  /** Namespace of the policies (an Output of the Namespace when the program creates it). */
  readonly namespace: pulumi.Input<string>;
  /** Restrict egress as well as ingress. False for a CNI that enforces ingress policies only. */
  readonly restrictEgress: boolean;
  /** Where the pods' DNS resolver runs. */
  readonly dns: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>>; readonly port: number };
  /** Ports of the transaction pooler (services, workers) and the session pooler or direct host (migrations), and their addresses. */
  readonly database: { readonly runtimePort: number; readonly adminPort: number; readonly cidrs: readonly string[] };
  /** The Temporal endpoint's port and addresses; whether the workers use the database; their extra egress. */
  readonly temporal: { readonly port: number; readonly cidrs: readonly string[]; readonly usesDatabase: boolean; readonly egress: readonly EgressRule[] };
  /** Every enabled service. */
  readonly services: readonly PolicyService[];
}

/** A policy as declared: its `metadata.name` and spec. */
export interface PolicyDefinition {
  readonly name: string;
  readonly spec: PolicySpec;
}

/** The name of the namespace-wide default policy. */
export const DEFAULT_DENY = "default-deny";
/** The name of the migration Jobs' policy. */
export const MIGRATIONS_POLICY = "migrations";

const byName = (namespace: string): Peer => ({ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } } });
const tcp = (port: number) => ({ protocol: "TCP", port });
const toAddresses = (cidrs: readonly string[], ports: readonly number[]): EgressSpec => ({ to: cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: ports.map(tcp) });

/**
 * Every policy, in a stable order (default deny first). Pure, so tests and the README's
 * description read the same thing the component declares.
 */
export function networkPolicies(args: Omit<NetworkPoliciesArgs, "namespace">): PolicyDefinition[] {
  const keys = new Set(args.services.map((s) => s.key));
  for (const s of args.services) {
    for (const caller of s.ingress.services) {
      if (caller !== TEMPORAL_WORKERS && !keys.has(caller)) throw new Error(`NetworkPolicies: service ${s.key} accepts calls from ${caller}, which is not an enabled service`);
    }
  }
  const dns: EgressSpec = {
    to: [{ ...byName(args.dns.namespace), podSelector: { matchLabels: { ...args.dns.podLabels } } }],
    ports: [
      { protocol: "UDP", port: args.dns.port },
      { protocol: "TCP", port: args.dns.port },
    ],
  };
  // A caller needs egress to each service that accepts it, on that service's port.
  const callees = (caller: string): EgressSpec[] =>
    args.services
      .filter((s) => s.ingress.services.includes(caller))
      .map((s) => ({ to: [{ podSelector: { matchLabels: selectorLabels(s.key) } }], ports: [tcp(s.port)] }));
  const extra = (rules: readonly EgressRule[]) => rules.map((r) => toAddresses(r.cidrs, r.ports));
  const egress = (rules: EgressSpec[]) => (args.restrictEgress ? { egress: rules } : {});
  const types = (...t: ("Ingress" | "Egress")[]) => t.filter((x) => x === "Ingress" || args.restrictEgress);

  const policies: PolicyDefinition[] = [{ name: DEFAULT_DENY, spec: { podSelector: {}, policyTypes: types("Ingress", "Egress") } }];
  for (const s of args.services) {
    const from: Peer[] = [
      ...s.ingress.namespaces.map(byName),
      ...s.ingress.services.map((caller) => ({ podSelector: { matchLabels: selectorLabels(caller) } })),
    ];
    policies.push({
      name: s.key,
      spec: {
        podSelector: { matchLabels: selectorLabels(s.key) },
        policyTypes: types("Ingress", "Egress"),
        // No rule when nobody may call it: the policy then admits nothing (default deny does too).
        ingress: from.length ? [{ from, ports: [tcp(s.port)] }] : [],
        ...egress([dns, toAddresses(args.database.cidrs, [args.database.runtimePort]), ...callees(s.key), ...extra(s.egress)]),
      },
    });
  }
  if (args.restrictEgress) {
    policies.push({
      name: MIGRATIONS_POLICY,
      spec: {
        podSelector: { matchLabels: componentSelector(COMPONENT.migration) },
        policyTypes: ["Egress"],
        egress: [dns, toAddresses(args.database.cidrs, [args.database.adminPort])],
      },
    });
    policies.push({
      name: TEMPORAL_WORKERS,
      spec: {
        podSelector: { matchLabels: selectorLabels(TEMPORAL_WORKERS) },
        policyTypes: ["Egress"],
        egress: [
          dns,
          toAddresses(args.temporal.cidrs, [args.temporal.port]),
          ...(args.temporal.usesDatabase ? [toAddresses(args.database.cidrs, [args.database.runtimePort])] : []),
          ...callees(TEMPORAL_WORKERS),
          ...extra(args.temporal.egress),
        ],
      },
    });
  }
  return policies;
}

export class NetworkPolicies extends pulumi.ComponentResource {
  /** `metadata.name` of every policy. */
  public readonly names: readonly string[];

  constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:workloads:NetworkPolicies", name, {}, opts);
    const definitions = networkPolicies(args);
    const labels = { "app.kubernetes.io/part-of": "volteryde", "app.kubernetes.io/managed-by": "pulumi" };
    const declare = (d: PolicyDefinition, dependsOn: pulumi.Resource[] = []) =>
      new networkingv1.NetworkPolicy(`${name}-${d.name}`, { metadata: { name: d.name, namespace: args.namespace, labels }, spec: d.spec }, { parent: this, dependsOn });
    const allows = definitions.filter((d) => d.name !== DEFAULT_DENY).map((d) => declare(d));
    // The deny comes last (and goes first on removal): a pod is never isolated before the rules
    // that let it reach DNS and its database exist, so a migration running during the first
    // `pulumi up` is not cut off.
    declare(definitions.find((d) => d.name === DEFAULT_DENY)!, allows);
    this.names = definitions.map((d) => d.name);
    this.registerOutputs({ names: this.names });
  }
}
