/**
 * The shared secrets the guide lists, each in its own Secrets Manager secret and its own
 * Kubernetes Secret, so a pod gets exactly the ones it needs:
 *
 *   JWT_SECRET        generated (RandomPassword, keeper `secrets.jwtRotation`);
 *                     `volteryde/<stack>/platform/jwt-secret` -> Secret `volteryde-jwt-secret`;
 *                     for the services in `secrets.jwtServices` only: it is a symmetric signing
 *                     key, whoever holds it can mint tokens
 *   TEMPORAL_API_KEY  from `pulumi config set --secret temporalApiKey`;
 *                     `volteryde/<stack>/platform/temporal-api-key` -> Secret `volteryde-temporal-api-key`;
 *                     for the Temporal workers only
 *
 * The guide's single `volteryde-secrets` shared both with every pod. Which Deployment mounts which
 * Secret is the workloads' business; `jwtServices` says where JWT_SECRET belongs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { SecretStorage, checkSecretStorage, storeJsonSecret } from "./awsSecret";
import { platformKubernetesSecretName, platformSecretName } from "../config/naming";
import { DeliverySettings, checkDelivery, deliverSecret } from "./secretDelivery";

/** Ids of the platform secrets: suffix of the AWS name (`platformSecretName`) and the Kubernetes one. */
export const PLATFORM_SECRET_IDS = { jwt: "jwt-secret", temporalApiKey: "temporal-api-key" } as const;

/** Generated JWT_SECRET length: 64 letters and digits, about 380 bits, more than HS256's 256. */
export const JWT_SECRET_LENGTH = 64;

export interface PlatformSecretsArgs extends SecretStorage {
  /** Stack name, part of every secret name. */
  readonly stack: string;
  /** Rotation value of JWT_SECRET: changing it regenerates the key (and logs every user out). */
  readonly jwtRotation: string;
  /** Keys of the (enabled) services whose pods get JWT_SECRET. */
  readonly jwtServices: readonly string[];
  /** Temporal Cloud API key (secret). */
  readonly temporalApiKey: pulumi.Input<string>;
  /** Delivery mode, namespace and (external-secrets) store. */
  readonly delivery: DeliverySettings;
}

/** One platform secret: where it is stored and which Kubernetes Secret carries it. */
export interface PlatformSecret {
  /** Environment variable and key in the Kubernetes Secret (and in the AWS secret's JSON). */
  readonly key: string;
  readonly secretArn: pulumi.Output<string>;
  /** Secrets Manager version id of the current value (non-secret; changes with the value). */
  readonly versionId: pulumi.Output<string>;
  /** Name of the Kubernetes Secret; an Output of the declared Secret/ExternalSecret. */
  readonly kubernetesSecretName: pulumi.Output<string>;
}

export class PlatformSecrets extends pulumi.ComponentResource {
  /** JWT_SECRET: mount only into the pods of `jwtServices`. */
  public readonly jwt: PlatformSecret;
  /** TEMPORAL_API_KEY: mount only into the Temporal workers. */
  public readonly temporalApiKey: PlatformSecret;
  /** Services whose pods get JWT_SECRET. */
  public readonly jwtServices: readonly string[];

  constructor(name: string, args: PlatformSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:credentials:PlatformSecrets", name, {}, opts);
    checkDelivery(`PlatformSecrets ${name}`, args.delivery);
    checkSecretStorage(`PlatformSecrets ${name}`, args);
    this.jwtServices = Object.freeze([...args.jwtServices]);

    const declare = (suffix: string, key: string, value: pulumi.Input<string>, description: string): PlatformSecret => {
      // JSON keyed by the variable name, like the credentials secrets, so ESO reads a property.
      const { secret, version } = storeJsonSecret(
        `${name}-${suffix}`,
        { name: platformSecretName(args.stack, suffix), description, tags: { Environment: args.stack, Service: "platform", ManagedBy: "pulumi" }, value: { [key]: value } },
        args,
        this,
        // Removed by no documented operation (rotation replaces the version, not the Secret).
        true,
      );
      const kubernetesSecretName = deliverSecret(
        `${name}-${suffix}`,
        args.delivery,
        {
          secretName: platformKubernetesSecretName(suffix),
          labels: { "app.kubernetes.io/component": suffix, "app.kubernetes.io/part-of": "volteryde", "app.kubernetes.io/managed-by": "pulumi" },
          keys: [{ key, value: pulumi.secret(value), property: key }],
          awsSecretName: secret.name,
          awsVersionId: version.versionId,
        },
        this,
      );
      return { key, secretArn: secret.arn, versionId: version.versionId, kubernetesSecretName };
    };

    const jwt = new random.RandomPassword(
      `${name}-${PLATFORM_SECRET_IDS.jwt}`,
      { length: JWT_SECRET_LENGTH, special: false, keepers: { rotation: args.jwtRotation } },
      { parent: this },
    );
    this.jwt = declare(PLATFORM_SECRET_IDS.jwt, "JWT_SECRET", jwt.result, "JWT_SECRET: key that signs user tokens; managed by Pulumi");
    this.temporalApiKey = declare(
      PLATFORM_SECRET_IDS.temporalApiKey,
      "TEMPORAL_API_KEY",
      pulumi.secret(args.temporalApiKey),
      "TEMPORAL_API_KEY: Temporal Cloud API key of the workers (from Pulumi config); managed by Pulumi",
    );

    this.registerOutputs({
      jwtSecretArn: this.jwt.secretArn,
      temporalApiKeySecretArn: this.temporalApiKey.secretArn,
      jwtServices: this.jwtServices,
    });
  }
}
