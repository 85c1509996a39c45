/**
 * Every Kubernetes object the program registers, both stacks and both delivery modes, against the
 * Kubernetes OpenAPI schemas (kubernetes-models) and ESO's CRD schema, plus the cross-object checks;
 * and proof that the validator catches broken objects.
 */
import { SERVICES } from "../../components/config/catalogue";
import { Capture } from "../../tools/capture";
import { K8sObject, MASK, manifestFiles, manifests, validateObjects } from "../../tools/k8s/manifests";
import { captureStack } from "../../tools/run";

const OIDC = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.sa-east-1.amazonaws.com/id/ABC";
const CASES: [string, string, Record<string, unknown>][] = [
  ["dev", "kubernetes", {}],
  ["dev", "external-secrets", { secretsDelivery: "external-secrets", externalSecrets: { oidcProviderArn: OIDC } }],
  ["prod", "external-secrets", {}],
  ["prod", "kubernetes", { secretsDelivery: "kubernetes", externalSecrets: undefined }],
  ["prod", "external-secrets with a ClusterSecretStore", { externalSecrets: { clusterSecretStore: "aws-secrets-manager" } }],
  ["dev", "kubernetes with an autoscaled service", { services: { booking: { readsFrom: ["users"], autoscaling: { minReplicas: 2, maxReplicas: 6 } } } }],
];

const captures = new Map<string, Capture>();
beforeAll(async () => {
  for (const [stack, mode, overrides] of CASES) captures.set(`${stack}/${mode}`, await captureStack(stack, { overrides }));
}, 120_000);

const kinds = (objects: K8sObject[]) => [...new Set(objects.map((o) => `${o.apiVersion}/${o.kind}`))].sort();

describe.each(CASES.map(([stack, mode]) => [`${stack}/${mode}`]))("%s", (label) => {
  it("every object is valid against its schema and the cross-object checks", () => {
    const objects = manifests(captures.get(label)!).map((m) => m.object);
    expect(objects.length).toBeGreaterThan(40);
    expect(validateObjects(objects)).toEqual([]);
  });

  it("declares the kinds its delivery mode needs, and nothing that carries a secret in external-secrets mode", () => {
    const objects = manifests(captures.get(label)!).map((m) => m.object);
    const k = kinds(objects);
    for (const kind of ["apps/v1/Deployment", "batch/v1/Job", "v1/ConfigMap", "v1/Service", "networking.k8s.io/v1/NetworkPolicy"]) expect(k).toContain(kind);
    expect(objects.filter((o) => o.kind === "NetworkPolicy")).toHaveLength(13);
    expect(k.includes("autoscaling/v2/HorizontalPodAutoscaler")).toBe(label.includes("autoscaled"));
    if (label.startsWith("prod")) {
      const deployments = objects.filter((o) => o.kind === "Deployment");
      expect(deployments).toHaveLength(11);
      for (const d of deployments) expect(d.spec.template.spec.topologySpreadConstraints).toHaveLength(2);
    }
    if (label.includes("external-secrets")) {
      expect(k).not.toContain("v1/Secret");
      expect(objects.filter((o) => o.kind === "ExternalSecret")).toHaveLength(2 * SERVICES.length + 2);
      expect(JSON.stringify(objects)).not.toContain(MASK);
      expect(k.includes("external-secrets.io/v1/SecretStore")).toBe(!label.includes("ClusterSecretStore"));
    } else {
      expect(k).not.toContain("external-secrets.io/v1/ExternalSecret");
      expect(objects.filter((o) => o.kind === "Secret")).toHaveLength(2 * SERVICES.length + 2);
    }
  });
});

it("renders one YAML file per object, secrets masked but their keys readable", () => {
  const files = manifestFiles(manifests(captures.get("dev/kubernetes")!));
  expect(files).toHaveLength(manifests(captures.get("dev/kubernetes")!).length);
  expect(files[0].file).toMatch(/^01-namespace-volteryde-dev\.yaml$/);
  const secret = files.find((f) => f.file.endsWith("-secret-booking-database.yaml"))!;
  expect(secret.yaml).toContain('DATABASE_PASSWORD: "[secret]"');
  expect(secret.yaml).toContain('DATABASE_USERNAME: "[secret]"');
  // Jobs before the Deployments that wait for them.
  // Each file present exactly once (a missing one, index -1, would pass a plain `<`).
  const index = (suffix: string) => {
    const found = files.flatMap((f, i) => (f.file.includes(suffix) ? [i] : []));
    expect([suffix, found.length]).toEqual([suffix, 1]);
    return found[0];
  };
  expect(SERVICES).toHaveLength(10);
  for (const svc of SERVICES) expect(index(`-job-${svc.key}-migrate-`)).toBeLessThan(index(`-deployment-${svc.key}.yaml`));
});

describe("the validator catches what is wrong", () => {
  const base = () => structuredClone(manifests(captures.get("dev/kubernetes")!).map((m) => m.object)) as K8sObject[];
  const esBase = () => structuredClone(manifests(captures.get("prod/external-secrets")!).map((m) => m.object)) as K8sObject[];
  const hpaBase = () => structuredClone(manifests(captures.get("dev/kubernetes with an autoscaled service")!).map((m) => m.object)) as K8sObject[];
  const job = (objects: K8sObject[], key: string) => objects.find((o) => o.kind === "Job" && o.metadata.name.startsWith(`${key}-migrate-`))!;
  const spread = (o: K8sObject) => o.spec.template.spec.topologySpreadConstraints;
  const ingressPort = (o: K8sObject) => o.spec.ingress[0].ports[0];
  const egressPeer = (o: K8sObject) => o.spec.egress[1].to[0];
  const one = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  /** An ExternalSecret by the Secret's base name: its own name carries `-<8 hex digits of the AWS version>`. */
  const externalSecret = (objects: K8sObject[], base: string) => {
    const found = objects.filter((o) => o.kind === "ExternalSecret" && new RegExp(`^${base}-[0-9a-f]{8}$`).test(o.metadata.name));
    expect(found).toHaveLength(1);
    return found[0];
  };
  const container = (o: K8sObject) => o.spec.template.spec.containers[0];

  const mutations: [string, () => K8sObject[], RegExp][] = [
    [
      "a selector that does not match the pods",
      () => {
        const all = base();
        one(all, "Deployment", "booking").spec.selector.matchLabels["app.kubernetes.io/name"] = "bookings";
        return all;
      },
      /Deployment\/booking: spec.selector.matchLabels does not match/,
    ],
    [
      "a Secret that lacks a key the pods read",
      () => {
        const all = base();
        delete one(all, "Secret", "booking-database").stringData.DATABASE_PASSWORD;
        return all;
      },
      /reads key DATABASE_PASSWORD, which Secret booking-database does not hold/,
    ],
    [
      "a reference to a Secret that is not declared",
      () => {
        const all = base();
        container(one(all, "Deployment", "fleet")).env.find((e: K8sObject) => e.name === "DATABASE_PASSWORD").valueFrom.secretKeyRef.name = "volteryde-secrets";
        return all;
      },
      /reads Secret volteryde-secrets, which is not declared/,
    ],
    [
      "a missing ConfigMap",
      () => base().filter((o) => o.kind !== "ConfigMap"),
      /envFrom ConfigMap volteryde-config is not declared/,
    ],
    [
      "a probe on a port the container does not open",
      () => {
        const all = base();
        container(one(all, "Deployment", "core")).readinessProbe.httpGet.port = "metrics";
        return all;
      },
      /readinessProbe port metrics is not a container port/,
    ],
    [
      "a Service targeting a port the pods do not open",
      () => {
        const all = base();
        one(all, "Service", "core").spec.ports[0].targetPort = 8080;
        return all;
      },
      /targetPort 8080 is not a container port/,
    ],
    [
      "a Service selecting no pods",
      () => {
        const all = base();
        one(all, "Service", "users").spec.selector = { app: "nobody" };
        return all;
      },
      /Service\/users: its selector matches the pods of no Deployment/,
    ],
    [
      "a name that is not a DNS label",
      () => {
        const all = base();
        one(all, "Deployment", "auth").metadata.name = `Auth_${"x".repeat(70)}`;
        return all;
      },
      /is not a DNS-1123 label of at most 63 characters/,
    ],
    [
      "a label value over 63 characters",
      () => {
        const all = base();
        one(all, "Deployment", "auth").metadata.labels["app.kubernetes.io/version"] = "v".repeat(64);
        return all;
      },
      /label app.kubernetes.io\/version=.*at most 63/,
    ],
    [
      "a field of the wrong type (schema)",
      () => {
        const all = base();
        one(all, "Deployment", "payment").spec.replicas = "three";
        return all;
      },
      /Deployment\/payment: schema: \/spec\/replicas must be integer/,
    ],
    [
      "a container without its required name (schema)",
      () => {
        const all = base();
        delete container(all.find((o) => o.kind === "Job" && o.metadata.name.startsWith("payment-migrate-"))!).name;
        return all;
      },
      /Job\/payment-migrate-[a-z0-9-]+: schema: \/spec\/template\/spec\/containers\/0 must have required property name/,
    ],
    [
      "a secret value in an annotation",
      () => {
        const all = base();
        one(all, "Deployment", "payment").metadata.annotations = { leaked: MASK };
        return all;
      },
      /annotation leaked carries a secret value/,
    ],
    [
      "an object in another namespace",
      () => {
        const all = base();
        one(all, "Service", "payment").metadata.namespace = "default";
        return all;
      },
      /namespace default is not the program's namespace/,
    ],
    [
      "an ExternalSecret reading from an undeclared SecretStore",
      () => {
        const all = esBase();
        externalSecret(all, "booking-database").spec.secretStoreRef.name = "vault";
        return all;
      },
      /secretStoreRef: SecretStore vault is not declared/,
    ],
    [
      "an ExternalSecret without the Ready await",
      () => {
        const all = esBase();
        delete externalSecret(all, "booking-database").metadata.annotations["pulumi.com/waitFor"];
        return all;
      },
      /lacks pulumi.com\/waitFor/,
    ],
    [
      "an ExternalSecret that breaks ESO's CRD schema",
      () => {
        const all = esBase();
        delete externalSecret(all, "booking-database").spec.data[0].remoteRef;
        return all;
      },
      /ExternalSecret\/booking-database-[0-9a-f]{8}: schema: .*remoteRef/,
    ],
    [
      "a kind the validator has no schema for",
      () => [...base(), { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "volteryde-dev" } }],
      /no schema for example.com\/v1 Widget/,
    ],
    // What the API server rejects although the schema allows it.
    [
      "a Service name that starts with a digit",
      () => {
        const all = base();
        one(all, "Service", "core").metadata.name = "1core";
        return all;
      },
      /Service\/1core: metadata.name 1core must start with a letter/,
    ],
    [
      "a label key whose prefix exceeds 253 characters",
      () => {
        const all = base();
        one(all, "Deployment", "auth").metadata.labels[`${"a".repeat(254)}/team`] = "payments";
        return all;
      },
      /Deployment\/auth: label key "a{254}\/team" is invalid/,
    ],
    [
      "annotations over 256 KiB",
      () => {
        const all = base();
        one(all, "Deployment", "payment").spec.template.metadata.annotations.notes = "x".repeat(256 * 1024);
        return all;
      },
      /Deployment\/payment: annotations of the pod template take 262\d{3} bytes; the API server allows 262144/,
    ],
    [
      "a container name that is not a DNS label",
      () => {
        const all = base();
        container(job(all, "fleet")).name = "Migrate_1";
        return all;
      },
      /Job\/fleet-migrate-.*: container name "Migrate_1" is not a DNS-1123 label/,
    ],
    [
      "two containers with one name",
      () => {
        const all = base();
        const d = one(all, "Deployment", "booking");
        d.spec.template.spec.containers.push({ ...structuredClone(container(d)), ports: [] });
        return all;
      },
      /Deployment\/booking: container name booking is used twice in the pod/,
    ],
    [
      "a port name longer than 15 characters",
      () => {
        const all = base();
        container(one(all, "Deployment", "users")).ports[0].name = "http-for-the-users-api";
        return all;
      },
      /Deployment\/users: container users: port name "http-for-the-users-api" is not an IANA_SVC_NAME/,
    ],
    [
      "one port name on two ports",
      () => {
        const all = base();
        container(one(all, "Deployment", "users")).ports.push({ name: "http", containerPort: 3001, protocol: "TCP" });
        return all;
      },
      /Deployment\/users: container users: port name http is used twice in the pod/,
    ],
    [
      "a container port above 65535",
      () => {
        const all = base();
        container(one(all, "Deployment", "users")).ports[0].containerPort = 70000;
        return all;
      },
      /Deployment\/users: container users: containerPort 70000 is not between 1 and 65535/,
    ],
    [
      "a CPU request above the CPU limit",
      () => {
        const all = base();
        container(one(all, "Deployment", "charging")).resources.requests.cpu = "2";
        return all;
      },
      /Deployment\/charging: container charging: cpu request 2 must be less than or equal to its limit 500m/,
    ],
    [
      "a memory request above the memory limit (binary units)",
      () => {
        const all = base();
        container(job(all, "charging")).resources.requests.memory = "1Gi";
        return all;
      },
      /Job\/charging-migrate-.*: container migrate: memory request 1Gi must be less than or equal to its limit 512Mi/,
    ],
    [
      "a liveness probe that needs two successes",
      () => {
        const all = base();
        container(one(all, "Deployment", "core")).livenessProbe.successThreshold = 2;
        return all;
      },
      /Deployment\/core: container core: livenessProbe.successThreshold must be 1, got 2/,
    ],
    [
      "a startup probe on a port number the container does not open",
      () => {
        const all = base();
        container(one(all, "Deployment", "core")).startupProbe.httpGet.port = 9999;
        return all;
      },
      /Deployment\/core: container core: startupProbe port 9999 is not a container port/,
    ],
    [
      "an environment variable name with a space",
      () => {
        const all = base();
        container(one(all, "Deployment", "fleet")).env.push({ name: "FLEET API", value: "x" });
        return all;
      },
      /Deployment\/fleet: container fleet: env name "FLEET API" is not a valid environment variable name/,
    ],
    [
      "a Job whose pods restart in place",
      () => {
        const all = base();
        job(all, "auth").spec.template.spec.restartPolicy = "Always";
        return all;
      },
      /Job\/auth-migrate-.*: a Job's restartPolicy must be Never or OnFailure, got "Always"/,
    ],
    [
      "a Deployment whose pods do not restart",
      () => {
        const all = base();
        one(all, "Deployment", "auth").spec.template.spec.restartPolicy = "Never";
        return all;
      },
      /Deployment\/auth: a Deployment's restartPolicy must be Always, got "Never"/,
    ],
    [
      "a PodDisruptionBudget with both minAvailable and maxUnavailable",
      () => {
        const all = esBase();
        one(all, "PodDisruptionBudget", "booking").spec.minAvailable = 2;
        return all;
      },
      /PodDisruptionBudget\/booking: minAvailable and maxUnavailable cannot both be set/,
    ],
    [
      "a spread constraint with maxSkew 0",
      () => {
        const all = esBase();
        spread(one(all, "Deployment", "booking"))[0].maxSkew = 0;
        return all;
      },
      /Deployment\/booking: topologySpreadConstraint topology.kubernetes.io\/zone: maxSkew must be at least 1, got 0/,
    ],
    [
      "minDomains on a ScheduleAnyway constraint",
      () => {
        const all = esBase();
        spread(one(all, "Deployment", "booking"))[1].minDomains = 3;
        return all;
      },
      /Deployment\/booking: topologySpreadConstraint kubernetes.io\/hostname: minDomains is only allowed with whenUnsatisfiable DoNotSchedule/,
    ],
    [
      "two spread constraints on the same topology and mode",
      () => {
        const all = esBase();
        const d = one(all, "Deployment", "booking");
        spread(d).push(structuredClone(spread(d)[0]));
        return all;
      },
      /Deployment\/booking: topologySpreadConstraint topology.kubernetes.io\/zone: a second constraint with the same topologyKey and whenUnsatisfiable/,
    ],
    [
      "a matchLabelKeys key that is also in the labelSelector",
      () => {
        const all = esBase();
        spread(one(all, "Deployment", "booking"))[0].matchLabelKeys = ["app.kubernetes.io/name"];
        return all;
      },
      /matchLabelKeys key app.kubernetes.io\/name must not also be in labelSelector/,
    ],
    [
      "a spread constraint that counts other pods than the workload's",
      () => {
        const all = esBase();
        spread(one(all, "Deployment", "booking"))[0].labelSelector.matchLabels["app.kubernetes.io/name"] = "bookings";
        return all;
      },
      /Deployment\/booking: topologySpreadConstraint topology.kubernetes.io\/zone: labelSelector does not select the workload's own pods/,
    ],
    [
      "an autoscaler whose minimum exceeds its maximum",
      () => {
        const all = hpaBase();
        one(all, "HorizontalPodAutoscaler", "booking").spec.maxReplicas = 1;
        return all;
      },
      /HorizontalPodAutoscaler\/booking: maxReplicas 1 must not be less than minReplicas 2/,
    ],
    [
      "an autoscaler with a minimum of zero",
      () => {
        const all = hpaBase();
        one(all, "HorizontalPodAutoscaler", "booking").spec.minReplicas = 0;
        return all;
      },
      /HorizontalPodAutoscaler\/booking: minReplicas must be at least 1, got 0/,
    ],
    [
      "NetworkPolicy: an ipBlock that is not a CIDR",
      () => {
        const all = base();
        egressPeer(one(all, "NetworkPolicy", "booking")).ipBlock.cidr = "10.0.0.0/33";
        return all;
      },
      /NetworkPolicy\/booking: egress\[1\] peer 0: ipBlock.cidr "10.0.0.0\/33" is not a CIDR/,
    ],
    [
      "NetworkPolicy: an ipBlock with host bits set",
      () => {
        const all = base();
        egressPeer(one(all, "NetworkPolicy", "booking")).ipBlock.cidr = "10.0.0.1/8";
        return all;
      },
      /NetworkPolicy\/booking: egress\[1\] peer 0: ipBlock.cidr 10.0.0.1\/8 has bits set beyond the prefix length/,
    ],
    [
      "NetworkPolicy: an except outside its cidr",
      () => {
        const all = base();
        egressPeer(one(all, "NetworkPolicy", "booking")).ipBlock = { cidr: "10.0.0.0/8", except: ["192.168.0.0/16"] };
        return all;
      },
      /NetworkPolicy\/booking: egress\[1\] peer 0: except 192.168.0.0\/16 must be a strict subset of cidr 10.0.0.0\/8/,
    ],
    [
      "NetworkPolicy: an except equal to its cidr",
      () => {
        const all = base();
        egressPeer(one(all, "NetworkPolicy", "booking")).ipBlock = { cidr: "10.0.0.0/8", except: ["10.0.0.0/8"] };
        return all;
      },
      /except 10.0.0.0\/8 must be a strict subset of cidr 10.0.0.0\/8/,
    ],
    [
      "NetworkPolicy: a port above 65535",
      () => {
        const all = base();
        one(all, "NetworkPolicy", "booking").spec.egress[1].ports[0].port = 70000;
        return all;
      },
      /NetworkPolicy\/booking: egress\[1\].ports\[0\]: port 70000 is neither 1-65535 nor a port name/,
    ],
    [
      "NetworkPolicy: an endPort after a named port",
      () => {
        const all = base();
        Object.assign(ingressPort(one(all, "NetworkPolicy", "booking")), { port: "http", endPort: 3010 });
        return all;
      },
      /NetworkPolicy\/booking: ingress\[0\].ports\[0\]: endPort needs a numeric port/,
    ],
    [
      "NetworkPolicy: an endPort below its port",
      () => {
        const all = base();
        one(all, "NetworkPolicy", "payment").spec.egress[1].ports[0] = { protocol: "TCP", port: 6543, endPort: 5432 };
        return all;
      },
      /NetworkPolicy\/payment: egress\[1\].ports\[0\]: endPort 5432 is below port 6543/,
    ],
    // What the API server accepts but what fails, does nothing, or lies at run time.
    [
      "NetworkPolicy: admitting a port no selected pod serves",
      () => {
        const all = base();
        ingressPort(one(all, "NetworkPolicy", "booking")).port = 8080;
        return all;
      },
      /NetworkPolicy\/booking: ingress\[0\].ports\[0\]: admits port 8080, which no selected pod serves/,
    ],
    [
      "NetworkPolicy: a podSelector that selects no pods",
      () => {
        const all = base();
        one(all, "NetworkPolicy", "migrations").spec.podSelector.matchLabels["app.kubernetes.io/component"] = "migrations";
        return all;
      },
      /NetworkPolicy\/migrations: spec.podSelector selects the pods of no workload/,
    ],
    [
      "NetworkPolicy: a peer podSelector that selects no pods",
      () => {
        const all = base();
        one(all, "NetworkPolicy", "core").spec.ingress = [{ from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "bookings" } } }], ports: [{ protocol: "TCP", port: 3000 }] }];
        return all;
      },
      /NetworkPolicy\/core: ingress\[0\] peer 0: podSelector selects the pods of no workload in the namespace/,
    ],
    [
      "NetworkPolicy: egress rules on a policy that does not restrict egress",
      () => {
        const all = base();
        one(all, "NetworkPolicy", "booking").spec.policyTypes = ["Ingress"];
        return all;
      },
      /NetworkPolicy\/booking: has egress rules but policyTypes lacks Egress, so they are ignored/,
    ],
    [
      "an autoscaler for a Deployment that is not declared",
      () => {
        const all = hpaBase();
        one(all, "HorizontalPodAutoscaler", "booking").spec.scaleTargetRef.name = "bookings";
        return all;
      },
      /HorizontalPodAutoscaler\/booking: scaleTargetRef Deployment\/bookings is not declared/,
    ],
    [
      "an autoscaled Deployment that also fixes its replicas",
      () => {
        const all = hpaBase();
        one(all, "Deployment", "booking").spec.replicas = 3;
        return all;
      },
      /HorizontalPodAutoscaler\/booking: its target Deployment\/booking sets spec.replicas/,
    ],
    [
      "an autoscaler on CPU for pods without a CPU request",
      () => {
        const all = hpaBase();
        delete container(one(all, "Deployment", "booking")).resources.requests.cpu;
        return all;
      },
      /HorizontalPodAutoscaler\/booking: scales on cpu utilization, but container booking of Deployment\/booking requests no cpu/,
    ],
    [
      "an environment variable set twice",
      () => {
        const all = base();
        container(one(all, "Deployment", "notifications")).env.push({ name: "DATABASE_SCHEMA", value: "svc_core" });
        return all;
      },
      /Deployment\/notifications: container notifications: env DATABASE_SCHEMA is set twice/,
    ],
    [
      "a migration Job that reads the runtime ConfigMap under its 5432 override (the pooler's 6543 leaks in)",
      () => {
        const all = base();
        container(job(all, "booking")).envFrom = [{ configMapRef: { name: "volteryde-config" } }];
        return all;
      },
      /Job\/booking-migrate-.*: container migrate: env DATABASE_PORT hides key DATABASE_PORT of ConfigMap volteryde-config/,
    ],
    [
      "an object declared twice",
      () => {
        const all = base();
        return [...all, structuredClone(one(all, "Service", "fleet"))];
      },
      /Service\/fleet: declared twice/,
    ],
  ];

  it.each(mutations)("%s", (_what, mutate, expected) => {
    const problems = validateObjects(mutate()).map((p) => `${p.object}: ${p.message}`);
    expect(problems.some((p) => expected.test(p))).toBe(true);
  });
});
