/**
 * The namespaced SecretStore that External Secrets Operator reads this stack's secrets through,
 * when config names no existing ClusterSecretStore. Least privilege on both sides:
 *
 *   <name>-role             IAM role that only this namespace's ServiceAccount can assume (IRSA:
 *                           `sub` and `aud` conditions on the cluster's OIDC issuer)
 *   <name>-policy           inline policy: secretsmanager:GetSecretValue and DescribeSecret on
 *                           exactly this stack's secrets, kms:Decrypt on its key when one is set
 *   <name>-service-account  ServiceAccount annotated with the role; ESO requests its token
 *   <name>-store            SecretStore (AWS Secrets Manager, region, jwt auth via that account)
 *
 * Policy documents are built with `pulumi.jsonStringify`, not `aws.iam.getPolicyDocument`: a
 * provider function call is a hidden network round trip in every preview.
 */
// The submodule, not the package root (which loads every AWS service module): components/providers.ts.
import * as iam from "@pulumi/aws/iam";
import * as apiextensions from "@pulumi/kubernetes/apiextensions";
import * as corev1 from "@pulumi/kubernetes/core/v1";
import * as pulumi from "@pulumi/pulumi";
import { KMS_KEY_ARN } from "../config/configSchema";
import { EXTERNAL_SECRET_API_VERSION, SecretStoreRef } from "./secretDelivery";

/** Names of the Kubernetes objects: stable, one store per namespace. */
export const STORE_NAME = "volteryde-aws-secrets-manager";
export const SERVICE_ACCOUNT_NAME = "volteryde-external-secrets";

export interface ExternalSecretsStoreArgs {
  /** Namespace of the ServiceAccount and SecretStore (an Output of the Namespace when created). */
  readonly namespace: pulumi.Input<string>;
  /** AWS region of the secrets. */
  readonly region: string;
  /** ARN of the cluster's IAM OIDC provider, `arn:aws:iam::<account>:oidc-provider/<issuer host and path>`. */
  readonly oidcProviderArn: string;
  /**
   * Names of every Secrets Manager secret the store may read: this stack's, and no other. The
   * policy names them by ARN as `<name>-??????` (AWS appends 6 random characters to a secret's
   * ARN; `??????` matches exactly that, so no other secret whose name merely starts the same).
   * Names rather than the ARN Outputs: the platform secrets are delivered through this store, so
   * waiting on their ARNs would be a cycle, and waiting on every service's ARN would make every
   * ExternalSecret wait on every other service.
   */
  readonly secretNames: readonly string[];
  /** Key the secrets are encrypted with, as a key ARN (not an alias). @default the AWS managed key (no kms statement) */
  readonly kmsKeyArn?: string;
  /** Tags of the IAM role. @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

export interface OidcProvider {
  /** `aws`, `aws-cn` or `aws-us-gov`. */
  readonly partition: string;
  /** Account of the provider, and so of the role (IRSA trusts a provider of the role's account). */
  readonly account: string;
  /** Issuer host and path, no scheme: the prefix of the trust policy's condition keys. */
  readonly issuer: string;
}

/** What an IAM OIDC provider ARN stands for; throws when it is not one. */
export function parseOidcProviderArn(oidcProviderArn: string): OidcProvider {
  const match = /^arn:(aws[a-z-]*):iam::([0-9]{12}):oidc-provider\/(.+)$/.exec(oidcProviderArn);
  if (!match) throw new Error(`not an IAM OIDC provider ARN: ${oidcProviderArn}`);
  return { partition: match[1], account: match[2], issuer: match[3] };
}

/** The policy resource that matches exactly the secret named `name` (not `name-other`). */
export function secretArnPattern(oidc: OidcProvider, region: string, name: string): string {
  return `arn:${oidc.partition}:secretsmanager:${region}:${oidc.account}:secret:${name}-??????`;
}

export class ExternalSecretsStore extends pulumi.ComponentResource {
  /** What ExternalSecrets reference: kind SecretStore, name as an Output of the store. */
  public readonly storeRef: SecretStoreRef;
  public readonly roleArn: pulumi.Output<string>;
  public readonly serviceAccountName: pulumi.Output<string>;

  constructor(name: string, args: ExternalSecretsStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:credentials:ExternalSecretsStore", name, {}, opts);
    let oidc: OidcProvider;
    try {
      oidc = parseOidcProviderArn(args.oidcProviderArn);
    } catch {
      throw new Error(`ExternalSecretsStore ${name}: oidcProviderArn must be an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer>), got ${args.oidcProviderArn}; set externalSecrets.oidcProviderArn`);
    }
    // IAM matches kms:Decrypt against the key's ARN: a statement naming an alias ARN grants nothing
    // (AWS KMS guide, "Specifying KMS keys in IAM policy statements"), so ESO would fail on
    // AccessDenied. Secrets Manager itself accepts an alias; this policy cannot.
    if (args.kmsKeyArn !== undefined && !KMS_KEY_ARN.test(args.kmsKeyArn)) {
      throw new Error(`ExternalSecretsStore ${name}: kmsKeyArn must be a key ARN (arn:aws:kms:<region>:<account>:key/<id>), got ${args.kmsKeyArn}; an IAM policy cannot grant kms:Decrypt through an alias. Set secrets.kmsKeyArn to the key's ARN`);
    }
    if (args.secretNames.length === 0) {
      throw new Error(`ExternalSecretsStore ${name}: secretNames is empty; the store would read nothing`);
    }
    const issuer = oidc.issuer;

    const role = new iam.Role(
      `${name}-role`,
      {
        description: "External Secrets Operator: reads this stack's Secrets Manager secrets; managed by Pulumi",
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Federated: args.oidcProviderArn },
              Action: "sts:AssumeRoleWithWebIdentity",
              // Both conditions: `sub` pins the one ServiceAccount, `aud` the token's audience (STS).
              Condition: {
                StringEquals: {
                  [`${issuer}:sub`]: pulumi.interpolate`system:serviceaccount:${args.namespace}:${SERVICE_ACCOUNT_NAME}`,
                  [`${issuer}:aud`]: "sts.amazonaws.com",
                },
              },
            },
          ],
        }),
        ...(args.tags ? { tags: { ...args.tags } } : {}),
      },
      { parent: this },
    );

    const statements: unknown[] = [
      {
        Sid: "ReadThisStacksSecrets",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        Resource: [...new Set(args.secretNames)].sort().map((n) => secretArnPattern(oidc, args.region, n)),
      },
    ];
    if (args.kmsKeyArn) {
      statements.push({
        Sid: "DecryptThroughSecretsManager",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: args.kmsKeyArn,
        // Only when Secrets Manager asks on the role's behalf, not for direct use of the key.
        Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${args.region}.amazonaws.com` } },
      });
    }
    const policy = new iam.RolePolicy(
      `${name}-policy`,
      { role: role.name, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }) },
      { parent: this },
    );

    const serviceAccount = new corev1.ServiceAccount(
      `${name}-service-account`,
      {
        metadata: {
          name: SERVICE_ACCOUNT_NAME,
          namespace: args.namespace,
          annotations: { "eks.amazonaws.com/role-arn": role.arn },
          labels: { "app.kubernetes.io/part-of": "volteryde", "app.kubernetes.io/managed-by": "pulumi" },
        },
        // ESO asks the API server for a token of this account (TokenRequest); no pod mounts it.
        automountServiceAccountToken: false,
      },
      { parent: this },
    );

    const store = new apiextensions.CustomResource(
      `${name}-store`,
      {
        apiVersion: EXTERNAL_SECRET_API_VERSION,
        kind: "SecretStore",
        metadata: {
          name: STORE_NAME,
          namespace: args.namespace,
          labels: { "app.kubernetes.io/part-of": "volteryde", "app.kubernetes.io/managed-by": "pulumi" },
        },
        spec: {
          provider: {
            aws: {
              service: "SecretsManager",
              region: args.region,
              auth: { jwt: { serviceAccountRef: { name: serviceAccount.metadata.name } } },
            },
          },
        },
      },
      // The store reads nothing until the role's policy exists, and no input carries that
      // dependency: without it the first ExternalSecrets fail (and back off) on AccessDenied.
      { parent: this, dependsOn: [policy] },
    );

    this.storeRef = { name: store.metadata.name, kind: "SecretStore" };
    this.roleArn = role.arn;
    this.serviceAccountName = serviceAccount.metadata.name;
    this.registerOutputs({ storeName: store.metadata.name, roleArn: this.roleArn, serviceAccountName: this.serviceAccountName });
  }
}
