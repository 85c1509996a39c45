/**
 * What makes a provider answer "replace" for exactly the resource types this program declares,
 * and whether the replacement deletes first. Each row cites the provider source it was read in
 * (snapshots read for this table: pulumi/pulumi-kubernetes 94977969 (~4.32; diff.go unchanged
 * since 2026-02), cyrilgdn/terraform-provider-postgresql ff936b95 (v1.26), terraform-provider-aws
 * secret.go 00c21ced and secret_version.go 0042e8ea, terraform-provider-random ad788e23,
 * pulumi/pulumi-terraform-bridge 59de6c66). The change preview applies it; `test/tools/preview`
 * tests its rows. A type missing here is refused by the preview rather than guessed.
 */

/** How a replacement is ordered when the program sets no `deleteBeforeReplace`. */
export type ReplaceOrder =
  /** Kubernetes: delete first when the object keeps its fixed `metadata.name` (pulumi-kubernetes provider.go, Diff: `deleteBeforeReplace := len(replaces) > 0 && metadata.IsNamed(...) && !metadata.IsAutonamed(...) && newInputs.GetName() == oldLive.GetName()`). */
  | "kubernetes-name"
  /** Bridged: delete first when the auto-named `name` input is set by the program (pulumi-terraform-bridge pkg/tfbridge/provider.go `nameRequiresDeleteBeforeReplace`). */
  | "bridged-name"
  /** Create the replacement first (the engine's default, pulumi/pulumi step_generator.go). */
  | "create-first";

export interface ForceNewRule {
  /** Input paths (dotted, from the resource's inputs) whose change replaces the resource. */
  readonly paths: readonly string[];
  /** Paths that replace only while a provider flag is off (`enableConfigMapMutable`, `enableSecretMutable`). */
  readonly unlessMutable?: { readonly flag: "enableConfigMapMutable" | "enableSecretMutable"; readonly paths: readonly string[] };
  readonly order: ReplaceOrder;
  /** Where this was read. */
  readonly source: string;
}

const K8S_META = ["metadata.name", "metadata.namespace"];
const K8S_DIFF = "pulumi-kubernetes provider/pkg/provider/diff.go (forceNewProperties, metadataForceNewProperties)";

export const FORCE_NEW: Readonly<Record<string, ForceNewRule>> = {
  "random:index/randomPassword:RandomPassword": {
    // Every attribute carries RequiresReplace (keepers: RequiresReplaceIfValuesNotNull).
    paths: ["keepers", "length", "special", "upper", "lower", "numeric", "number", "minNumeric", "minUpper", "minLower", "minSpecial", "overrideSpecial"],
    order: "create-first",
    source: "terraform-provider-random internal/provider/resource_password.go (int64planmodifier.RequiresReplace, boolplanmodifier.RequiresReplace)",
  },
  "aws:secretsmanager/secret:Secret": {
    paths: ["name", "namePrefix"],
    order: "bridged-name",
    source: "terraform-provider-aws internal/service/secretsmanager/secret.go (name, name_prefix: ForceNew)",
  },
  "aws:secretsmanager/secretVersion:SecretVersion": {
    // Only version_stages is updated in place.
    paths: ["secretId", "secretString", "secretBinary", "secretStringWoVersion"],
    order: "create-first",
    source: "terraform-provider-aws internal/service/secretsmanager/secret_version.go (secret_string: ForceNew)",
  },
  "aws:iam/role:Role": {
    paths: ["name", "namePrefix", "path"],
    order: "bridged-name",
    source: "terraform-provider-aws internal/service/iam/role.go (name, name_prefix, path: ForceNew)",
  },
  "aws:iam/rolePolicy:RolePolicy": {
    paths: ["name", "namePrefix", "role"],
    order: "bridged-name",
    source: "terraform-provider-aws internal/service/iam/role_policy.go (name, name_prefix, role: ForceNew; policy: PutRolePolicy)",
  },
  "postgresql:index/grant:Grant": {
    // privileges is updated in place (revoke, then grant).
    paths: ["role", "database", "schema", "objectType", "objects", "columns", "withGrantOption"],
    order: "create-first",
    source: "cyrilgdn/terraform-provider-postgresql postgresql/resource_postgresql_grant.go (ForceNew on all but privileges)",
  },
  "postgresql:index/role:Role": {
    // A rename is ALTER ROLE ... RENAME TO.
    paths: [],
    order: "create-first",
    source: "cyrilgdn/terraform-provider-postgresql postgresql/resource_postgresql_role.go (no ForceNew attribute)",
  },
  "postgresql:index/schema:Schema": {
    // A rename is ALTER SCHEMA ... RENAME TO; the owner changes in place.
    paths: ["database"],
    order: "create-first",
    source: "cyrilgdn/terraform-provider-postgresql postgresql/resource_postgresql_schema.go (database: ForceNew)",
  },
  "postgresql:index/defaultPrivileges:DefaultPrivileges": {
    paths: ["role", "database", "owner", "schema", "objectType", "withGrantOption"],
    order: "create-first",
    source: "cyrilgdn/terraform-provider-postgresql postgresql/resource_postgresql_default_privileges.go (ForceNew on all but privileges)",
  },
  "kubernetes:core/v1:Namespace": { paths: K8S_META, order: "kubernetes-name", source: K8S_DIFF },
  "kubernetes:core/v1:ServiceAccount": { paths: K8S_META, order: "kubernetes-name", source: K8S_DIFF },
  "kubernetes:core/v1:ConfigMap": {
    paths: K8S_META,
    unlessMutable: { flag: "enableConfigMapMutable", paths: ["data", "binaryData"] },
    order: "kubernetes-name",
    source: `${K8S_DIFF}: .data, .binaryData unless enableConfigMapMutable`,
  },
  "kubernetes:core/v1:Secret": {
    paths: [...K8S_META, "type"],
    unlessMutable: { flag: "enableSecretMutable", paths: ["data", "stringData"] },
    order: "kubernetes-name",
    source: `${K8S_DIFF}: Secret .type always; .data, .stringData unless enableSecretMutable`,
  },
  "kubernetes:core/v1:Service": { paths: [...K8S_META, "spec.clusterIP"], order: "kubernetes-name", source: `${K8S_DIFF}: Service .spec.clusterIP` },
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": { paths: K8S_META, order: "kubernetes-name", source: K8S_DIFF },
  // policy/v1: only v1beta1's .spec is listed.
  "kubernetes:policy/v1:PodDisruptionBudget": { paths: K8S_META, order: "kubernetes-name", source: `${K8S_DIFF}: .spec only for policy/v1beta1` },
  "kubernetes:batch/v1:Job": {
    paths: [...K8S_META, "spec.completions", "spec.parallelism", "spec.selector", "spec.template"],
    order: "kubernetes-name",
    source: `${K8S_DIFF}: job = .spec.completions, .spec.parallelism, .spec.selector, .spec.template`,
  },
  "kubernetes:apps/v1:Deployment": { paths: [...K8S_META, "spec.selector"], order: "kubernetes-name", source: `${K8S_DIFF}: deployment = .spec.selector` },
  "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": { paths: K8S_META, order: "kubernetes-name", source: K8S_DIFF },
  "kubernetes:external-secrets.io/v1:ExternalSecret": { paths: K8S_META, order: "kubernetes-name", source: `${K8S_DIFF} (custom resources: metadata only)` },
  "kubernetes:external-secrets.io/v1:SecretStore": { paths: K8S_META, order: "kubernetes-name", source: `${K8S_DIFF} (custom resources: metadata only)` },
};

/** Provider flags that change what is force-new (the Kubernetes provider's mutable switches). */
export type ProviderFlags = Readonly<Partial<Record<"enableConfigMapMutable" | "enableSecretMutable", boolean>>>;

/** Whether `changed` (a dotted path) falls under `path` (equal to it, or below it). */
export function under(changed: string, path: string): boolean {
  return changed === path || changed.startsWith(`${path}.`) || changed.startsWith(`${path}[`);
}

/** The changed paths that force a replacement of a resource of `type`; throws for a type the table lacks. */
export function forceNewPaths(type: string, changed: readonly string[], flags: ProviderFlags = {}): string[] {
  const rule = FORCE_NEW[type];
  if (!rule) throw new Error(`no force-new rule for ${type}: add its row to tools/preview/forceNew.ts, with the provider source`);
  const paths = [...rule.paths, ...(rule.unlessMutable && !flags[rule.unlessMutable.flag] ? rule.unlessMutable.paths : [])];
  return changed.filter((c) => paths.some((p) => under(c, p)));
}
