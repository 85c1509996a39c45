/**
 * How one Kubernetes Secret reaches the namespace, by `secretsDelivery`:
 *
 *   kubernetes        a `v1/Secret` written by the Kubernetes provider (the value passes through
 *                     Pulumi state, encrypted as a secret)
 *   external-secrets  an External Secrets Operator `ExternalSecret` that materialises a Secret of
 *                     the same name and keys from AWS Secrets Manager: no secret value passes
 *                     through the Kubernetes provider at all
 *
 * Shared by ServiceSecrets and PlatformSecrets so both modes produce the same names and keys for
 * every Secret. Not a component: the callers own the resources (`parent`).
 */
import * as apiextensions from "@pulumi/kubernetes/apiextensions";
import * as corev1 from "@pulumi/kubernetes/core/v1";
import * as pulumi from "@pulumi/pulumi";

export type SecretsDelivery = "kubernetes" | "external-secrets";

/**
 * The ExternalSecret API. ESO v0.17 stopped serving `v1beta1` (external-secrets#4758); `v1` is
 * the same schema promoted, served since v0.16.
 */
export const EXTERNAL_SECRET_API_VERSION = "external-secrets.io/v1";

/**
 * The Kubernetes provider's await annotation. On a *new* ExternalSecret it holds the update until
 * ESO reports Ready, i.e. has written the Secret. On an *updated* one it returns at once: ESO's
 * status carries no observedGeneration, so the provider cannot tell the old Ready from a new one
 * (pulumi-kubernetes provider/pkg/await/condition). That is why a new value never updates an
 * ExternalSecret in place: its name carries the AWS version id (deliverSecret).
 */
export const WAIT_FOR_READY = { "pulumi.com/waitFor": "condition=Ready" } as const;

/** Annotation on an ExternalSecret carrying the AWS secret's version id (see deliverSecret). */
export const SOURCE_VERSION_ANNOTATION = "volteryde.io/aws-secret-version";

/** Where ExternalSecrets read from: a store this program created, or an existing one. */
export interface SecretStoreRef {
  readonly name: pulumi.Input<string>;
  readonly kind: "SecretStore" | "ClusterSecretStore";
}

/** The delivery settings every Secret of a stack shares. */
export interface DeliverySettings {
  readonly mode: SecretsDelivery;
  /** Namespace of the Secrets (an Output of the Namespace resource when the program creates it). */
  readonly namespace: pulumi.Input<string>;
  /** external-secrets only: the store to read from. */
  readonly store?: SecretStoreRef;
  /** external-secrets only: how often ESO re-reads AWS. @default "1h" */
  readonly refreshInterval?: string;
}

/** One key of the Secret. */
export interface DeliveredKey {
  /** Key in the Kubernetes Secret: the environment variable the pods read. */
  readonly key: string;
  /** kubernetes mode: the value (secret or not). Never read in external-secrets mode. */
  readonly value: pulumi.Input<string>;
  /** external-secrets mode: property of the JSON in the AWS secret. */
  readonly property: string;
}

export interface DeliveredSecret {
  /** Name of the Kubernetes Secret (and of the ExternalSecret that writes it). */
  readonly secretName: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly keys: readonly DeliveredKey[];
  /** external-secrets mode: the AWS secret's name (`remoteRef.key`). */
  readonly awsSecretName: pulumi.Input<string>;
  /** external-secrets mode: the AWS secret's current version id. */
  readonly awsVersionId: pulumi.Input<string>;
  /** Extra non-secret annotations (external-secrets mode). @default none */
  readonly annotations?: Readonly<Record<string, pulumi.Input<string>>>;
}

/** The part of an AWS version id (a UUID) that names an ExternalSecret: 8 lower-case hex characters. */
export function versionSuffix(versionId: string): string {
  const hex = versionId.toLowerCase().replace(/[^0-9a-f]/g, "");
  if (hex.length < 8) throw new Error(`an AWS secret version id has at least 8 hex digits, got ${JSON.stringify(versionId)}`);
  return hex.slice(0, 8);
}

/** Checks the delivery settings; throws a message that names the component. */
export function checkDelivery(owner: string, d: DeliverySettings): void {
  if (d.mode !== "kubernetes" && d.mode !== "external-secrets") {
    throw new Error(`${owner}: delivery.mode must be "kubernetes" or "external-secrets", got ${String(d.mode)}`);
  }
  if (d.mode === "external-secrets" && !d.store) {
    throw new Error(`${owner}: external-secrets delivery needs delivery.store (a SecretStore or ClusterSecretStore to read from)`);
  }
  if (d.mode === "kubernetes" && d.store) {
    throw new Error(`${owner}: delivery.store is only used with external-secrets delivery; remove it or set mode "external-secrets"`);
  }
}

/**
 * Declares the Secret (or the ExternalSecret that writes it) as a child of `parent` named
 * `resourceName`, and returns its name as an Output of the declared resource, so whoever mounts
 * it waits for it (and, through `pulumi.com/waitFor`, for ESO to have written it).
 *
 * kubernetes: the Secret keeps its fixed name and is updated in place (the provider's
 * `enableSecretMutable`); the provider writes it before anything that reads it starts, and the
 * readers roll on their rollout checksum.
 *
 * external-secrets: the name is `<secretName>-<first 8 characters of the AWS version id>`, so a
 * new value (a flipped user, a rotated migrator, a new JWT_SECRET or Temporal key) is a new
 * ExternalSecret, which the provider awaits until ESO has written it; the readers' pod templates
 * name the new Secret, so none can start with the old value. The old ExternalSecret (and the
 * Secret it owns) is deleted after its readers moved on: the engine creates a replacement
 * before it deletes the old one when the names differ.
 */
export function deliverSecret(
  resourceName: string,
  delivery: DeliverySettings,
  secret: DeliveredSecret,
  parent: pulumi.Resource,
): pulumi.Output<string> {
  if (delivery.mode === "kubernetes") {
    const created = new corev1.Secret(
      resourceName,
      {
        metadata: { name: secret.secretName, namespace: delivery.namespace, labels: { ...secret.labels } },
        type: "Opaque",
        // The provider marks all of stringData secret; values that are secret stay so too.
        stringData: Object.fromEntries(secret.keys.map((k) => [k.key, k.value])),
      },
      { parent },
    );
    return created.metadata.name;
  }
  const store = delivery.store!;
  const name = pulumi.interpolate`${secret.secretName}-${pulumi.output(secret.awsVersionId).apply(versionSuffix)}`;
  const external = new apiextensions.CustomResource(
    resourceName,
    {
      apiVersion: EXTERNAL_SECRET_API_VERSION,
      kind: "ExternalSecret",
      metadata: {
        name,
        namespace: delivery.namespace,
        labels: { ...secret.labels },
        annotations: {
          ...WAIT_FOR_READY,
          // The whole version id, for `kubectl describe` (the name carries only its start).
          [SOURCE_VERSION_ANNOTATION]: secret.awsVersionId,
          ...(secret.annotations ?? {}),
        },
      },
      spec: {
        refreshInterval: delivery.refreshInterval ?? "1h",
        secretStoreRef: { name: store.name, kind: store.kind },
        // Owner: the Secret goes when its ExternalSecret goes; same name as the ExternalSecret,
        // so the returned name (metadata.name of the ExternalSecret) is the Secret's name too.
        target: { name, creationPolicy: "Owner" },
        data: secret.keys.map((k) => ({ secretKey: k.key, remoteRef: { key: secret.awsSecretName, property: k.property } })),
      },
    },
    { parent },
  );
  return external.metadata.name;
}
