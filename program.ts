/**
 * The program, importable without side effects: read config, create the providers, build the
 * platform, return the stack outputs. `index.ts` calls `main()`; the offline plan and the tests
 * run the same `main()` under mocks.
 */
import { Platform } from "./components/platform";
import { PlatformConfig, loadConfig } from "./components/config/config";
import { ConfigError } from "./components/config/configSchema";
import { ConnectionBudget, budgetInput, connectionBudget } from "./components/database/connectionBudget";
import { ROLLING_UPDATE } from "./components/workloads/podTemplate";
import { createProviders, providerList } from "./components/providers";
import { StackOutputs, stackOutputs } from "./components/outputs";

/** The connection budget of a validated config, with the surge the Deployments' rollout adds. */
export function stackBudget(config: PlatformConfig): ConnectionBudget {
  return connectionBudget(budgetInput(config, { surgePods: ROLLING_UPDATE.rollingUpdate.maxSurge }));
}

export function main(): StackOutputs {
  // Config and budget first: a mistake throws here, before any resource (even a provider) is registered.
  const config = loadConfig();
  const budget = stackBudget(config);
  if (budget.problems.length) throw new ConfigError(budget.problems);
  return build(config, budget);
}

/** Providers, platform and outputs for a config; `main()` has checked its budget. */
export function build(config: PlatformConfig, budget: ConnectionBudget): StackOutputs {
  const providers = createProviders(config);
  const platform = new Platform("volteryde", { config, connectionBudget: budget }, { providers: providerList(providers) });
  return stackOutputs(config, platform);
}
