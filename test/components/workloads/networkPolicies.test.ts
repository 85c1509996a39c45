/**
 * The namespace's NetworkPolicies in the real program's graph: default deny, each service's
 * ingress from what config allows, egress to DNS, Supabase and Temporal only, and the switches.
 */
import { Capture, CapturedResource, reveal } from "../../../tools/capture";
import { captureStack } from "../../../tools/run";
import { rawConfig } from "../../fixtures";

const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const COMPONENT = "volteryde:workloads:NetworkPolicies";
/* eslint-disable @typescript-eslint/no-explicit-any */
const spec = (r: CapturedResource) => reveal(r.inputs) as Record<string, any>;
const policies = (c: Capture) => c.resources.filter((r) => r.type === POLICY);
const policy = (c: Capture, name: string) => {
  const found = policies(c).find((r) => spec(r).metadata.name === name);
  if (!found) throw new Error(`no NetworkPolicy ${name}`);
  return spec(found);
};
const kubernetesWith = (stack: string, fields: Record<string, unknown>) => ({ ...(rawConfig(stack).kubernetes as Record<string, unknown>), ...fields });

const DNS = {
  to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
  ports: [
    { protocol: "UDP", port: 53 },
    { protocol: "TCP", port: 53 },
  ],
};
const ANYWHERE = [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }];
const SERVICES = ["auth", "booking", "charging", "client-auth", "core", "fleet", "notifications", "payment", "telematics", "users"];

const captures: Record<string, Capture> = {};
beforeAll(async () => {
  captures.dev = await captureStack("dev");
  captures.prod = await captureStack("prod");
}, 60_000);

describe.each(["dev", "prod"])("%s", (stack) => {
  it("declares a default deny, one policy per service, one for the migrations and one for the workers", () => {
    const names = policies(captures[stack]).map((r) => spec(r).metadata.name).sort();
    expect(names).toEqual(["default-deny", "migrations", "temporal-workers", ...SERVICES].sort());
    const component = captures[stack].resources.find((r) => r.type === COMPONENT)!;
    for (const r of policies(captures[stack])) expect(r.parent).toBe(component.urn);
  });

  it("the namespace denies ingress and egress to every pod by default", () => {
    expect(policy(captures[stack], "default-deny").spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });

  it("the default deny is created after every allow (and deleted before them), so no pod is cut off in between", () => {
    const c = captures[stack];
    const deny = policies(c).find((r) => spec(r).metadata.name === "default-deny")!;
    const allows = policies(c).filter((r) => r !== deny);
    expect(allows).toHaveLength(12);
    expect([...deny.explicitDependencies].sort()).toEqual(allows.map((r) => r.urn).sort());
  });

  it("a service accepts its port from the ingress controller's namespace only, and reaches DNS and the transaction pooler", () => {
    expect(policy(captures[stack], "booking").spec).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/name": "booking", "app.kubernetes.io/instance": "booking" } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }], ports: [{ protocol: "TCP", port: 3000 }] }],
      egress: [DNS, { to: ANYWHERE, ports: [{ protocol: "TCP", port: 6543 }] }],
    });
  });

  it("migration pods (every Job) reach DNS and the session pooler (5432) only, and accept nothing", () => {
    expect(policy(captures[stack], "migrations").spec).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/component": "migration", "app.kubernetes.io/part-of": "volteryde" } },
      policyTypes: ["Egress"],
      egress: [DNS, { to: ANYWHERE, ports: [{ protocol: "TCP", port: 5432 }] }],
    });
  });

  it("workers reach DNS, Temporal (7233) and the transaction pooler, and accept nothing", () => {
    expect(policy(captures[stack], "temporal-workers").spec).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/name": "temporal-workers", "app.kubernetes.io/instance": "temporal-workers" } },
      policyTypes: ["Egress"],
      egress: [DNS, { to: ANYWHERE, ports: [{ protocol: "TCP", port: 7233 }] }, { to: ANYWHERE, ports: [{ protocol: "TCP", port: 6543 }] }],
    });
  });

  it("opens no port to AWS, the Kubernetes API or anything else: every egress port is 53, 5432, 6543 or 7233", () => {
    const ports = new Set(policies(captures[stack]).flatMap((r) => (spec(r).spec.egress ?? []).flatMap((e: any) => e.ports.map((p: any) => p.port))));
    expect([...ports].sort()).toEqual([53, 5432, 6543, 7233]);
  });
});

describe("switches and config", () => {
  it("restrictEgress false: ingress-only policies, no egress rule anywhere, no migration or worker policy", async () => {
    const c = await captureStack("dev", { overrides: { kubernetes: kubernetesWith("dev", { networkPolicies: { restrictEgress: false } }) } });
    expect(policies(c).map((r) => spec(r).metadata.name).sort()).toEqual(["default-deny", ...SERVICES].sort());
    expect(policy(c, "default-deny").spec).toEqual({ podSelector: {}, policyTypes: ["Ingress"] });
    for (const r of policies(c)) {
      expect(spec(r).spec.policyTypes).toEqual(["Ingress"]);
      expect(spec(r).spec.egress).toBeUndefined();
    }
  }, 60_000);

  it("enabled false: no NetworkPolicy and no component", async () => {
    const c = await captureStack("dev", { overrides: { kubernetes: kubernetesWith("dev", { networkPolicies: { enabled: false } }) } });
    expect(policies(c)).toEqual([]);
    expect(c.resources.filter((r) => r.type === COMPONENT)).toEqual([]);
  }, 60_000);

  it("a service that accepts other services and the workers: ingress from their pods, and egress for exactly those callers", async () => {
    const c = await captureStack("dev", {
      overrides: {
        services: { booking: { readsFrom: ["users"] }, notifications: { ingress: { namespaces: [], services: ["booking", "temporal-workers"] }, probe: { port: 8081 } } },
        kubernetes: kubernetesWith("dev", { networkPolicies: { databaseCidrs: ["52.67.0.0/16"], temporalCidrs: ["34.0.0.0/8"] } }),
      },
    });
    const toNotifications = { to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "notifications", "app.kubernetes.io/instance": "notifications" } } }], ports: [{ protocol: "TCP", port: 8081 }] };
    expect(policy(c, "notifications").spec.ingress).toEqual([
      {
        from: [
          { podSelector: { matchLabels: { "app.kubernetes.io/name": "booking", "app.kubernetes.io/instance": "booking" } } },
          { podSelector: { matchLabels: { "app.kubernetes.io/name": "temporal-workers", "app.kubernetes.io/instance": "temporal-workers" } } },
        ],
        ports: [{ protocol: "TCP", port: 8081 }],
      },
    ]);
    expect(policy(c, "booking").spec.egress).toEqual([DNS, { to: [{ ipBlock: { cidr: "52.67.0.0/16" } }], ports: [{ protocol: "TCP", port: 6543 }] }, toNotifications]);
    expect(policy(c, "temporal-workers").spec.egress).toEqual([
      DNS,
      { to: [{ ipBlock: { cidr: "34.0.0.0/8" } }], ports: [{ protocol: "TCP", port: 7233 }] },
      { to: [{ ipBlock: { cidr: "52.67.0.0/16" } }], ports: [{ protocol: "TCP", port: 6543 }] },
      toNotifications,
    ]);
    // Nobody else may call it, and the other services get no egress to it.
    expect(policy(c, "core").spec.egress).toHaveLength(2);
  }, 60_000);

  it("extra egress for an external API and a custom DNS location", async () => {
    const c = await captureStack("dev", {
      overrides: {
        services: { booking: { readsFrom: ["users"] }, payment: { egress: [{ cidrs: ["0.0.0.0/0"], ports: [443] }] } },
        kubernetes: kubernetesWith("dev", { networkPolicies: { dns: { namespace: "dns-system", podLabels: { app: "coredns" }, port: 5353 } } }),
      },
    });
    const egress = policy(c, "payment").spec.egress;
    expect(egress[0]).toEqual({
      to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "dns-system" } }, podSelector: { matchLabels: { app: "coredns" } } }],
      ports: [
        { protocol: "UDP", port: 5353 },
        { protocol: "TCP", port: 5353 },
      ],
    });
    expect(egress[2]).toEqual({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] });
    expect(policy(c, "auth").spec.egress).toHaveLength(2);
  }, 60_000);
});
