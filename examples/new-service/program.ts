/**
 * A service team's own project: a Deployment in the platform's namespace that connects to the
 * service's schema with the credentials volteryde-infra created, found through the platform
 * stack's outputs (never by copying names or ARNs into this project's config).
 *
 *   pulumi config set platformStack acme/volteryde-infra/dev
 *   pulumi config set service notifications
 *   pulumi config set image ghcr.io/volteryde/notifications-digest:1.0.0
 *   pulumi up
 *
 * What the platform gives it: the namespace, the shared ConfigMap (transaction pooler host, port,
 * SSL), the service's schema and the Kubernetes Secret with DATABASE_USERNAME/DATABASE_PASSWORD
 * of the service's active runtime user. Its connections count against that login's CONNECTION
 * LIMIT, which budgets the platform's own pods plus `database.connectionHeadroom` (5 by
 * default): keep replicas x DATABASE_POOL_MAX below the headroom, or give the service more.
 */
import * as appsv1 from "@pulumi/kubernetes/apps/v1";
import * as networkingv1 from "@pulumi/kubernetes/networking/v1";
import { Provider as KubernetesProvider } from "@pulumi/kubernetes/provider";
import * as pulumi from "@pulumi/pulumi";
import { readPlatformOutputs, requireService } from "@volteryde/platform-outputs";

export interface ExampleOutputs {
  readonly deployment: pulumi.Output<string>;
  /** The platform's runtime user these pods log in as. */
  readonly activeUser: string;
}

const SERVICE_KEY = /^[a-z][a-z0-9-]{0,40}$/;
/** `<registry>/<name>:<tag>` or `...@sha256:<digest>`; a tag of `latest` is refused. */
const IMAGE = /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/;
const POOL_MAX = 2;

/** Reads and checks this project's config; throws naming the key before any resource exists. */
export function readConfig(config = new pulumi.Config()): { platformStack: string; service: string; image: string; kubeContext?: string } {
  const platformStack = config.require("platformStack");
  if (platformStack.split("/").length !== 3) {
    throw new Error(`platformStack must be <org>/volteryde-infra/<stack>, got "${platformStack}"`);
  }
  const service = config.require("service");
  if (!SERVICE_KEY.test(service)) throw new Error(`service must be a catalogue key such as notifications, got "${service}"`);
  const image = config.require("image");
  if (!IMAGE.test(image) || image.endsWith(":latest")) {
    throw new Error(`image must be <registry>/<name>:<release tag> or @sha256:<digest>, not latest or untagged; got "${image}"`);
  }
  return { platformStack, service, image, kubeContext: config.get("kubeContext") };
}

/**
 * Async: the platform's outputs are read and checked first, so a platform stack this project
 * cannot read (or a service it does not have) fails before anything is declared. Only the
 * StackReference is registered before that; it reads, it creates nothing.
 */
export async function main(): Promise<ExampleOutputs> {
  const cfg = readConfig();
  const platform = await readPlatformOutputs(new pulumi.StackReference("platform", { name: cfg.platformStack }));
  const service = requireService(platform, cfg.service);
  const provider = new KubernetesProvider("kubernetes", { context: cfg.kubeContext });
  const namespace = platform.kubernetes.namespace;
  const name = `${cfg.service}-digest`;
  const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "volteryde", "app.kubernetes.io/managed-by": "pulumi" };
  const fromAppSecret = (key: string) => ({ secretKeyRef: { name: service.secrets.kubernetesAppSecret, key } });

  const deployment = new appsv1.Deployment(
    name,
    {
      metadata: { name, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: {
            labels,
            // A rotation flips the active user and rewrites the Secret; env from a Secret is read
            // at start only, so the user name here rolls the pods on this project's next `up`.
            // The previous user stays valid until its own next rotation, so nothing fails between.
            annotations: { "volteryde.io/database-user": service.roles.activeUser },
          },
          spec: {
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: "digest",
                image: cfg.image,
                // DATABASE_HOST, _PORT, _NAME, _SSL, _SSL_MODE of the transaction pooler.
                envFrom: [{ configMapRef: { name: platform.kubernetes.configMap } }],
                env: [
                  { name: "DATABASE_SCHEMA", value: service.schema },
                  { name: "DATABASE_USERNAME", valueFrom: fromAppSecret("DATABASE_USERNAME") },
                  { name: "DATABASE_PASSWORD", valueFrom: fromAppSecret("DATABASE_PASSWORD") },
                  { name: "DATABASE_POOL_MAX", value: String(POOL_MAX) },
                ],
                resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
                securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
              },
            ],
            volumes: [{ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } }],
          },
        },
      },
    },
    { provider },
  );

  // The platform's default-deny policy selects every pod of the namespace: without this one the
  // pods could neither resolve names nor reach the pooler. DNS as the platform's default
  // (kube-dns in kube-system); the pooler by port, as NetworkPolicy cannot name hosts.
  new networkingv1.NetworkPolicy(
    name,
    {
      metadata: { name, namespace, labels },
      spec: {
        podSelector: { matchLabels: labels },
        policyTypes: ["Ingress", "Egress"],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
          { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }], ports: [{ protocol: "TCP", port: platform.database.runtimePort }] },
        ],
      },
    },
    { provider },
  );

  return { deployment: deployment.metadata.name, activeUser: service.roles.activeUser };
}
