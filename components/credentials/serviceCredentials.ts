/**
 * A service's generated passwords and their source of truth in AWS Secrets Manager.
 *
 *   <svc>-blue, <svc>-green   RandomPassword of the two alternating runtime users
 *   <svc>-migrator            RandomPassword of the migration user
 *   <svc>-app-secret          volteryde/<stack>/<svc>/app: the ACTIVE runtime user, transaction pooler (6543)
 *   <svc>-migrator-secret     volteryde/<stack>/<svc>/migrator: the migrator, session pooler or direct host (5432)
 *
 * Each rotation value is a `keepers` entry, so changing one regenerates exactly that password
 * (README "Rotation"). The app secret only ever carries the active user: bumping the idle user's
 * rotation value changes nothing any pod reads.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { SecretStorage, checkSecretStorage, storeJsonSecret } from "./awsSecret";
import { Endpoint, ServiceSettings } from "../config/configSchema";
import { CredentialKind, RUNTIME_USERS, RuntimeUser, awsSecretName, loginName, roleNames } from "../config/naming";

/** Letters and digits only: nothing that needs escaping in a connection URL, a shell or YAML. */
export const PASSWORD_LENGTH = 40;

export interface ServiceCredentialsArgs extends SecretStorage {
  /** The service, with its rotation settings. */
  readonly service: ServiceSettings;
  /** Stack name, part of every secret name. */
  readonly stack: string;
  /** Supabase project ref: Supavisor wants user names as `<role>.<ref>`. */
  readonly projectRef: string;
  /** Database name (`dbname` in the secrets). */
  readonly database: string;
  /** `sslmode` in the secrets and their URLs. */
  readonly sslMode: string;
  /** Transaction pooler: what the runtime secret points at. */
  readonly runtimeEndpoint: Endpoint;
  /** Session pooler or direct host: what the migration secret points at. */
  readonly adminEndpoint: Endpoint;
}

/** One set of credentials as stored in Secrets Manager: what delivery to Kubernetes needs. */
export interface StoredCredential {
  /** Login name as the endpoint expects it (`<role>.<ref>` on the pooler, `<role>` direct). */
  readonly username: string;
  /** Secret. */
  readonly password: pulumi.Output<string>;
  /** Where the credential connects. */
  readonly endpoint: Endpoint;
  /** Secrets Manager name, `volteryde/<stack>/<svc>/<kind>`. */
  readonly secretName: pulumi.Output<string>;
  readonly secretArn: pulumi.Output<string>;
  /**
   * Id of the secret's current value (changes whenever the value does); waits for the value to
   * be written, so a reader that takes it never reads a secret without a value.
   */
  readonly versionId: pulumi.Output<string>;
}

/** The JSON a credentials secret holds: AWS's shape for database secrets, plus schema, sslmode, url. */
export interface CredentialSecretValue {
  readonly engine: "postgres";
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly dbname: string;
  readonly schema: string;
  readonly sslmode: string;
  readonly url: string;
}

/** The keys of `CredentialSecretValue`, in the order they are written. */
export const CREDENTIAL_SECRET_KEYS = ["engine", "host", "port", "username", "password", "dbname", "schema", "sslmode", "url"] as const;

export class ServiceCredentials extends pulumi.ComponentResource {
  /** Secret passwords of the two runtime users and the migrator (ServiceDatabase sets them on the roles). */
  public readonly passwords: Readonly<Record<RuntimeUser | "migrator", pulumi.Output<string>>>;
  /** The runtime user the app secret carries. */
  public readonly activeUser: RuntimeUser;
  /** Runtime credentials (active user, transaction pooler). */
  public readonly app: StoredCredential;
  /** Migration credentials (session pooler or direct host). */
  public readonly migrator: StoredCredential;

  constructor(name: string, args: ServiceCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:credentials:ServiceCredentials", name, {}, opts);
    checkSecretStorage(`ServiceCredentials ${name}`, args);
    if (args.runtimeEndpoint.kind !== "transaction-pooler") {
      throw new Error(`ServiceCredentials ${name}: runtimeEndpoint must be the transaction pooler, got ${args.runtimeEndpoint.kind}`);
    }
    if (args.adminEndpoint.kind === "transaction-pooler") {
      throw new Error(`ServiceCredentials ${name}: adminEndpoint must be the session pooler or the direct host: migrations fail on the transaction pooler`);
    }
    const svc = args.service.service;
    const roles = roleNames(svc);

    // Names `${name}-<slot>` are a contract. The keeper is the slot's rotation value only, so a
    // role rename does not rotate a live password. Beware: the provider also replaces (and so
    // regenerates) a password when `length`, `special` or a `min*` setting changes; change them
    // only together with a rotation.
    const password = (slot: RuntimeUser | "migrator") =>
      new random.RandomPassword(
        `${name}-${slot}`,
        { length: PASSWORD_LENGTH, special: false, minLower: 2, minUpper: 2, minNumeric: 2, keepers: { rotation: args.service.rotation[slot] } },
        { parent: this },
      ).result;
    const [blue, green] = RUNTIME_USERS.map(password);
    this.passwords = Object.freeze({ blue, green, migrator: password("migrator") });
    this.activeUser = args.service.rotation.active;

    const store = (kind: CredentialKind, role: string, pw: pulumi.Output<string>, endpoint: Endpoint, description: string): StoredCredential => {
      const username = loginName(role, endpoint, args.projectRef);
      // The password is letters and digits (above), so the URL needs no escaping.
      const { secret, version } = storeJsonSecret(
        `${name}-${kind}-secret`,
        {
          name: awsSecretName(args.stack, svc.key, kind),
          description,
          tags: { Environment: args.stack, Service: svc.key, ManagedBy: "pulumi" },
          value: {
            engine: "postgres",
            host: endpoint.host,
            port: endpoint.port,
            username,
            password: pw,
            dbname: args.database,
            schema: svc.schema,
            sslmode: args.sslMode,
            url: pulumi.interpolate`postgresql://${username}:${pw}@${endpoint.host}:${endpoint.port}/${args.database}?sslmode=${args.sslMode}`,
          },
        },
        args,
        this,
      );
      return { username, password: pw, endpoint, secretName: secret.name, secretArn: secret.arn, versionId: version.versionId };
    };

    this.app = store(
      "app",
      roles.users[this.activeUser],
      this.passwords[this.activeUser],
      args.runtimeEndpoint,
      `${svc.displayName} runtime credentials (active login user, transaction pooler); managed by Pulumi`,
    );
    this.migrator = store(
      "migrator",
      roles.migrator,
      this.passwords.migrator,
      args.adminEndpoint,
      `${svc.displayName} migration credentials (${args.adminEndpoint.kind}); managed by Pulumi`,
    );

    this.registerOutputs({
      activeUser: this.activeUser,
      appSecretArn: this.app.secretArn,
      migratorSecretArn: this.migrator.secretArn,
    });
  }
}
