/**
 * The force-new table (tools/preview/forceNew.ts): every resource type the program declares has
 * a row, and the rows say what the providers' sources say (expected values written out here).
 */
import { FORCE_NEW, forceNewPaths } from "../../../tools/preview/forceNew";
import { Capture } from "../../../tools/capture";
import { captureWith } from "../../fixtures";

const captures: Capture[] = [];
beforeAll(async () => {
  captures.push(await captureWith("dev"), await captureWith("prod"));
  // The HorizontalPodAutoscaler is declared only with `autoscaling`.
  captures.push(await captureWith("prod", { services: { booking: { autoscaling: { minReplicas: 2, maxReplicas: 4 } } } }));
}, 60_000);

it("has a row, with its provider source, for every custom resource type both stacks declare", () => {
  const types = [...new Set(captures.flatMap((c) => c.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:")).map((r) => r.type)))].sort();
  expect(types).toHaveLength(21);
  for (const t of types) expect({ t, source: FORCE_NEW[t]?.source.length > 20 }).toEqual({ t, source: true });
});

it.each([
  ["aws:secretsmanager/secretVersion:SecretVersion", ["secretString"], ["secretString"]],
  ["aws:secretsmanager/secretVersion:SecretVersion", ["versionStages"], []],
  ["aws:secretsmanager/secret:Secret", ["name", "kmsKeyId", "recoveryWindowInDays", "tags.Service"], ["name"]],
  ["random:index/randomPassword:RandomPassword", ["keepers.rotation", "length"], ["keepers.rotation", "length"]],
  ["postgresql:index/role:Role", ["name", "password", "connectionLimit", "roles"], []],
  ["postgresql:index/schema:Schema", ["name", "owner", "dropCascade"], []],
  ["postgresql:index/schema:Schema", ["database"], ["database"]],
  ["postgresql:index/grant:Grant", ["privileges"], []],
  ["postgresql:index/grant:Grant", ["role", "objects"], ["role", "objects"]],
  ["postgresql:index/defaultPrivileges:DefaultPrivileges", ["privileges", "owner"], ["owner"]],
  ["aws:iam/rolePolicy:RolePolicy", ["policy"], []],
  ["aws:iam/role:Role", ["assumeRolePolicy", "path"], ["path"]],
  ["kubernetes:batch/v1:Job", ["spec.template.spec.containers[0].image", "spec.backoffLimit"], ["spec.template.spec.containers[0].image"]],
  ["kubernetes:apps/v1:Deployment", ["spec.template.spec.containers[0].image", "spec.replicas"], []],
  ["kubernetes:apps/v1:Deployment", ["spec.selector.matchLabels.app"], ["spec.selector.matchLabels.app"]],
  ["kubernetes:policy/v1:PodDisruptionBudget", ["spec.minAvailable", "spec.selector.matchLabels.app"], []],
  ["kubernetes:core/v1:Service", ["spec.type", "spec.ports[0].port"], []],
  ["kubernetes:core/v1:Service", ["spec.clusterIP"], ["spec.clusterIP"]],
  ["kubernetes:external-secrets.io/v1:ExternalSecret", ["metadata.name", "spec.data[0].remoteRef.key"], ["metadata.name"]],
  ["kubernetes:networking.k8s.io/v1:NetworkPolicy", ["spec.ingress", "metadata.namespace"], ["metadata.namespace"]],
] as const)("%s: of %j, %j force a replacement", (type, changed, expected) => {
  expect(forceNewPaths(type, changed)).toEqual(expected);
});

it("ConfigMap data and Secret data replace unless the Kubernetes provider makes them mutable; a Secret's type always replaces", () => {
  const cm = "kubernetes:core/v1:ConfigMap";
  const secret = "kubernetes:core/v1:Secret";
  expect(forceNewPaths(cm, ["data.DATABASE_HOST"])).toEqual(["data.DATABASE_HOST"]);
  expect(forceNewPaths(cm, ["data.DATABASE_HOST"], { enableConfigMapMutable: true })).toEqual([]);
  expect(forceNewPaths(secret, ["stringData", "type"])).toEqual(["stringData", "type"]);
  expect(forceNewPaths(secret, ["stringData", "type"], { enableSecretMutable: true })).toEqual(["type"]);
});

it("refuses a type it has no row for, rather than guessing", () => {
  expect(() => forceNewPaths("aws:kms/key:Key", ["description"])).toThrow("no force-new rule for aws:kms/key:Key");
});
