/**
 * A Secrets Manager secret with a JSON value, stored the way every secret of this program is:
 * name, description, the stack's customer-managed key when set, its recovery window, tags, and
 * retainOnDelete in protected stacks. Shared by ServiceCredentials and PlatformSecrets.
 *
 * Never `protect` on a version: its `secretString` is force-new (terraform-provider-aws
 * secret_version.go), so every new value replaces it, and the engine refuses to replace a
 * protected resource (pulumi/pulumi pkg/resource/deploy/step_generator.go): rotation would fail.
 * Not a component: the caller owns both resources (`parent`).
 */
// The submodule, not the package root (which loads every AWS service module): components/providers.ts.
import * as secretsmanager from "@pulumi/aws/secretsmanager";
import * as pulumi from "@pulumi/pulumi";

/** What every secret of a stack shares. */
export interface SecretStorage {
  /** Customer-managed KMS key. @default the AWS managed key `aws/secretsmanager` */
  readonly kmsKeyArn?: string;
  /** Days Secrets Manager keeps a deleted secret: 0 (delete at once) or 7 to 30. */
  readonly recoveryWindowInDays: number;
  /** Keep the secrets: retainOnDelete (and `lock` protects the Secret itself). */
  readonly protect: boolean;
}

const RECOVERY_WINDOW = /^(0|[7-9]|[12][0-9]|30)$/;

/** Checks the storage settings; throws a message that names the component and the config key. */
export function checkSecretStorage(owner: string, storage: SecretStorage): void {
  if (!RECOVERY_WINDOW.test(String(storage.recoveryWindowInDays))) {
    throw new Error(`${owner}: recoveryWindowInDays must be 0 or 7 to 30, got ${storage.recoveryWindowInDays}; set secrets.recoveryWindowInDays`);
  }
}

export interface JsonSecret {
  /** Secrets Manager name. */
  readonly name: string;
  readonly description: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The value, written as JSON and kept secret. */
  readonly value: Readonly<Record<string, pulumi.Input<unknown>>>;
}

/**
 * Declares `<resourceName>` (the Secret) and `<resourceName>-version` (its value). With `lock`
 * (for a secret no documented operation deletes) a protected stack also `protect`s the Secret,
 * so `pulumi destroy` or a rename without an alias stops there.
 */
export function storeJsonSecret(
  resourceName: string,
  secret: JsonSecret,
  storage: SecretStorage,
  parent: pulumi.Resource,
  lock = false,
): { readonly secret: secretsmanager.Secret; readonly version: secretsmanager.SecretVersion } {
  const opts = { parent, retainOnDelete: storage.protect };
  const stored = new secretsmanager.Secret(
    resourceName,
    {
      name: secret.name,
      description: secret.description,
      ...(storage.kmsKeyArn ? { kmsKeyId: storage.kmsKeyArn } : {}),
      recoveryWindowInDays: storage.recoveryWindowInDays,
      tags: { ...secret.tags },
    },
    { ...opts, protect: storage.protect && lock },
  );
  const version = new secretsmanager.SecretVersion(
    `${resourceName}-version`,
    // pulumi.secret: the SDK would mark it anyway; this keeps it secret if that ever changes.
    { secretId: stored.id, secretString: pulumi.secret(pulumi.jsonStringify(secret.value)) },
    opts,
  );
  return { secret: stored, version };
}
