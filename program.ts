/**
 * The program, importable without side effects: read config, create the providers, build the
 * platform, return the stack outputs. `index.ts` calls `main()`; the offline plan and the tests
 * run the same `main()` under mocks.
 */
import { Platform } from "./components/platform";
import { loadConfig } from "./components/config/config";
import { createProviders, providerList } from "./components/providers";
import { StackOutputs, stackOutputs } from "./components/outputs";

export function main(): StackOutputs {
  // Config first: a mistake throws here, before any resource (even a provider) is registered.
  const config = loadConfig();
  const providers = createProviders(config);
  const platform = new Platform("volteryde", { config }, { providers: providerList(providers) });
  return stackOutputs(config, platform);
}
