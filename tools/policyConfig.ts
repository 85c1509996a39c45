/**
 * The policy pack's config for a stack, from the stack's validated config (never a second copy
 * of it): which environment the prod rules see and the KMS key `secrets.kmsKeyArn` gives.
 * `npx tsx tools/policyConfig.ts --stack prod > policy-config.json`, then
 * `pulumi preview --policy-pack policy --policy-pack-config policy-config.json`.
 */
import { Command } from "commander";
import { PROJECT, Settings, parseSettings } from "../components/config/configSchema";
import type { EnvironmentConfig } from "../policy/policies";
import { readStackConfig } from "./stackConfig";

/** The policies whose config says which environment they check. */
export const ENVIRONMENT_POLICIES = ["secretsmanager-prod-recovery-and-kms", "retain-data-in-prod"] as const;

export function policyPackConfig(settings: Pick<Settings, "stack" | "secrets">): Record<string, EnvironmentConfig> {
  const config: EnvironmentConfig = { environment: settings.stack, ...(settings.secrets.kmsKeyArn ? { kmsKeyArn: settings.secrets.kmsKeyArn } : {}) };
  return Object.fromEntries(ENVIRONMENT_POLICIES.map((name) => [name, config]));
}

/** A stack's settings from Pulumi.<stack>.yaml (secure values are not needed and left out). */
export function stackSettings(stack: string, root?: string): Settings {
  const { config, secretKeys } = readStackConfig(stack, root);
  const raw: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(config)) {
    if (secretKeys.includes(key) || !key.startsWith(`${PROJECT}:`)) continue;
    try {
      raw[key.slice(PROJECT.length + 1)] = JSON.parse(text);
    } catch {
      raw[key.slice(PROJECT.length + 1)] = text;
    }
  }
  return parseSettings(stack, raw);
}

if (require.main === module) {
  const opts = new Command().name("policyConfig").requiredOption("-s, --stack <name>", "stack whose Pulumi.<stack>.yaml to read").parse().opts<{ stack: string }>();
  process.stdout.write(JSON.stringify(policyPackConfig(stackSettings(opts.stack)), null, 2) + "\n");
}
