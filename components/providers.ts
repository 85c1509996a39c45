/**
 * The three explicit providers, created once from config and handed to the platform through
 * `opts.providers`; no resource relies on an ambient default provider.
 */
// Submodules, not the package roots, for types too: @pulumi/aws's index loads all ~260 AWS
// service modules (0.2-0.4 s at every start; pulumi/pulumi#7653), @pulumi/kubernetes's ~100
// modules of API groups the program never uses; even a type-only import of a root puts all its
// declarations into every type check (the layering rule sdks-by-submodule).
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import { Provider as KubernetesProvider } from "@pulumi/kubernetes/provider";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PlatformConfig } from "./config/config";
import { providerConnections } from "./database/connectionBudget";

export interface Providers {
  readonly postgresql: postgresql.Provider;
  readonly aws: AwsProvider;
  readonly kubernetes: KubernetesProvider;
  /** Local only, but explicit too, so no resource of ours uses a default provider. */
  readonly random: random.Provider;
}

export function createProviders(config: PlatformConfig): Providers {
  const admin = config.adminEndpoint;
  const pg = new postgresql.Provider("supabase", {
    // The session pooler or the direct host on 5432. The transaction pooler (6543) breaks the
    // provider ("unnamed prepared statement does not exist"); config validation rejects it.
    host: admin.host,
    port: admin.port,
    database: config.database,
    username: config.adminUsername,
    password: config.credentials.adminPassword,
    // Supabase's `postgres` is not a superuser; with `true` the provider reads pg_shadow and fails.
    superuser: false,
    // The pooler's login is `<role>.<ref>`, the role `<role>`: deleting a role reassigns what it
    // owned to this name (cyrilgdn/terraform-provider-postgresql resource_postgresql_role.go,
    // REASSIGN OWNED BY ... TO database_username), which must be the real role.
    databaseUsername: config.adminRole,
    sslmode: config.sslMode,
    // verify-ca / verify-full check the server against the project's CA (config refuses them without it).
    ...(config.sslRootCertificate ? { sslrootcert: config.sslRootCertificate.path } : {}),
    // Supavisor's session mode admits pool-size clients per role; Pulumi's parallelism must not exceed it.
    maxConnections: providerConnections(config),
    connectTimeout: 15,
  });
  const awsProvider = new AwsProvider("aws", {
    region: config.awsRegion,
    defaultTags: { tags: { ManagedBy: "pulumi", Project: "volteryde", Environment: config.stack } },
  });
  const kube = new KubernetesProvider("kubernetes", {
    namespace: config.kubernetes.namespace,
    ...(config.kubernetes.context ? { context: config.kubernetes.context } : {}),
    enableServerSideApply: true,
    // Without these a changed ConfigMap or Secret (fixed names here) is deleted and created again
    // (pulumi-kubernetes provider/pkg/provider/diff.go: data is force-new unless mutable), and a
    // pod starting in the gap fails with CreateContainerConfigError. Updated in place, the pod
    // templates' rollout checksum (podTemplate.ts) rolls the pods that read them.
    enableConfigMapMutable: true,
    enableSecretMutable: true,
  });
  return { postgresql: pg, aws: awsProvider, kubernetes: kube, random: new random.Provider("random") };
}

export function providerList(p: Providers): pulumi.ProviderResource[] {
  return [p.postgresql, p.aws, p.kubernetes, p.random];
}
