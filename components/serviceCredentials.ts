/**
 * STUB (issue #4 fills it in): generated passwords for a service's login roles and their copies in
 * AWS Secrets Manager.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Endpoint, ServiceSettings } from "./configSchema";
import { RUNTIME_USERS, RuntimeUser } from "./naming";

export interface ServiceCredentialsArgs {
  /** The service, with its rotation settings. */
  readonly service: ServiceSettings;
  /** Stack name, part of every secret name. */
  readonly stack: string;
  readonly projectRef: string;
  readonly database: string;
  readonly sslMode: string;
  /** Transaction pooler: what the runtime secret points at. */
  readonly runtimeEndpoint: Endpoint;
  /** Session pooler or direct host: what the migration secret points at. */
  readonly adminEndpoint: Endpoint;
  /** Customer-managed KMS key for the secrets. @default the AWS managed key */
  readonly kmsKeyArn?: string;
  readonly recoveryWindowInDays: number;
  /** protect + retainOnDelete the secrets. */
  readonly protect: boolean;
}

export class ServiceCredentials extends pulumi.ComponentResource {
  /** Secret passwords of the two runtime users and the migrator. */
  public readonly passwords: Readonly<Record<RuntimeUser | "migrator", pulumi.Output<string>>>;

  constructor(name: string, args: ServiceCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("volteryde:credentials:ServiceCredentials", name, {}, opts);
    const make = (slot: RuntimeUser | "migrator") =>
      new random.RandomPassword(`${name}-${slot}`, { length: 32, special: false, keepers: { rotation: args.service.rotation[slot] } }, { parent: this }).result;
    this.passwords = Object.freeze({
      blue: make(RUNTIME_USERS[0]),
      green: make(RUNTIME_USERS[1]),
      migrator: make("migrator"),
    });
    this.registerOutputs({});
  }
}
