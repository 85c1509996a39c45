/**
 * A service's database credentials in its namespace: two Kubernetes Secrets, each with
 * exactly DATABASE_USERNAME and DATABASE_PASSWORD (the variables the services' NestJS config reads):
 *
 *   <svc>-database            the active runtime user, for the service's pods
 *   <svc>-database-migrator   the migrator, for the service's migration Job only
 *
 * Written directly (`kubernetes`) or materialised by External Secrets Operator from the service's
 * Secrets Manager secrets (`external-secrets`); same names and keys either way (secretDelivery.ts).
 * A Secret holds one service's credentials and nothing else: no shared secret, no admin password.
 */
import * as pulumi from "@pulumi/pulumi";
import { ServiceDefinition } from "../config/catalogue";
import { CredentialKind, kubernetesSecretName } from "../config/naming";
import { DeliveredKey, DeliverySettings, checkDelivery, deliverSecret } from "./secretDelivery";

/** Keys of every credentials Secret, and the property of the AWS secret JSON each comes from. */
export const CREDENTIAL_KEYS = { DATABASE_USERNAME: "username", DATABASE_PASSWORD: "password" } as const;

/** Annotation on an ExternalSecret naming the login it carries (non-secret; shows a flip in `kubectl`). */
export const LOGIN_ANNOTATION = "volteryde.io/login";

/** One credential as the delivery needs it. */
export interface CredentialSource {
  /**
   * Login name as the endpoint expects it. Pass it as an Output of the database role so the Secret
   * waits for the role (and its password) to exist.
   */
  readonly username: pulumi.Input<string>;
  /** Secret. Used in `kubernetes` mode only. */
  readonly password: pulumi.Input<string>;
  /** Secrets Manager secret name (`remoteRef.key`). */
  readonly secretName: pulumi.Input<string>;
  /** Secrets Manager version id of the current value. */
  readonly versionId: pulumi.Input<string>;
}

export interface ServiceSecretsArgs {
  /** The service (names and labels). */
  readonly service: ServiceDefinition;
  /** Runtime credentials: the active user on the transaction pooler. */
  readonly app: CredentialSource;
  /** Migration credentials. */
  readonly migrator: CredentialSource;
  /** Delivery mode, namespace and (external-secrets) store. */
  readonly delivery: DeliverySettings;
}

export class ServiceSecrets extends pulumi.ComponentResource {
  /** Name of the Secret the service's pods read; an Output of the declared Secret/ExternalSecret. */
  public readonly appSecretName: pulumi.Output<string>;
  /** Name of the Secret the migration Job reads; an Output of the declared Secret/ExternalSecret. */
  public readonly migratorSecretName: pulumi.Output<string>;
  /** The keys both Secrets hold. */
  public readonly keys: readonly string[] = Object.keys(CREDENTIAL_KEYS);

  constructor(name: string, args: ServiceSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:credentials:ServiceSecrets", name, {}, opts);
    checkDelivery(`ServiceSecrets ${name}`, args.delivery);
    const svc = args.service;

    const deliver = (kind: CredentialKind, source: CredentialSource) => {
      const keys: DeliveredKey[] = [
        { key: "DATABASE_USERNAME", value: source.username, property: CREDENTIAL_KEYS.DATABASE_USERNAME },
        { key: "DATABASE_PASSWORD", value: pulumi.secret(source.password), property: CREDENTIAL_KEYS.DATABASE_PASSWORD },
      ];
      return deliverSecret(
        `${name}-${kind}`,
        args.delivery,
        {
          secretName: kubernetesSecretName(svc.key, kind),
          labels: {
            "app.kubernetes.io/name": svc.key,
            "app.kubernetes.io/component": kind === "app" ? "database-credentials" : "migration-credentials",
            "app.kubernetes.io/part-of": "volteryde",
            "app.kubernetes.io/managed-by": "pulumi",
          },
          keys,
          awsSecretName: source.secretName,
          awsVersionId: source.versionId,
          // Through the username, the ExternalSecret also waits for the database role.
          annotations: { [LOGIN_ANNOTATION]: source.username },
        },
        this,
      );
    };
    this.appSecretName = deliver("app", args.app);
    this.migratorSecretName = deliver("migrator", args.migrator);

    this.registerOutputs({ appSecretName: this.appSecretName, migratorSecretName: this.migratorSecretName });
  }
}
