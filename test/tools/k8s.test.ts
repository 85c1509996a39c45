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
    for (const kind of ["apps/v1/Deployment", "batch/v1/Job", "v1/ConfigMap", "v1/Service"]) expect(k).toContain(kind);
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
  const index = (suffix: string) => files.findIndex((f) => f.file.includes(suffix));
  for (const svc of SERVICES) expect(index(`-job-${svc.key}-migrate-`)).toBeLessThan(index(`-deployment-${svc.key}.yaml`));
});

describe("the validator catches what is wrong", () => {
  const base = () => structuredClone(manifests(captures.get("dev/kubernetes")!).map((m) => m.object)) as K8sObject[];
  const esBase = () => structuredClone(manifests(captures.get("prod/external-secrets")!).map((m) => m.object)) as K8sObject[];
  const one = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
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
        one(all, "ExternalSecret", "booking-database").spec.secretStoreRef.name = "vault";
        return all;
      },
      /secretStoreRef: SecretStore vault is not declared/,
    ],
    [
      "an ExternalSecret without the Ready await",
      () => {
        const all = esBase();
        delete one(all, "ExternalSecret", "booking-database").metadata.annotations["pulumi.com/waitFor"];
        return all;
      },
      /lacks pulumi.com\/waitFor/,
    ],
    [
      "an ExternalSecret that breaks ESO's CRD schema",
      () => {
        const all = esBase();
        delete one(all, "ExternalSecret", "booking-database").spec.data[0].remoteRef;
        return all;
      },
      /ExternalSecret\/booking-database: schema: .*remoteRef/,
    ],
    [
      "a kind the validator has no schema for",
      () => [...base(), { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "volteryde-dev" } }],
      /no schema for example.com\/v1 Widget/,
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
