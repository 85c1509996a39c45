/**
 * The path previews and ups take (the workflows set PULUMI_NODEJS_TRANSPILE_ONLY=true): the
 * program loaded by @pulumi/pulumi's language-host entry and its own ts-node, not by jest or
 * tools/register.cjs, registers the stack and exports the output contract, for both stacks.
 *
 * @slow two language-host processes, the first with a cold ts-node cache
 */
import { loadUnderHost } from "../../tools/loader/hostLoad";
import { tempDir } from "../tempDirs";

describe("the program under the Pulumi language host, transpile-only", () => {
  // One temporary folder: dev starts cold, as on a CI runner (ts-node compiles every file), and
  // prod reads the cache dev left (ts-node's other path), for less CPU than two cold starts.
  let tmpdir: string;
  beforeAll(() => {
    tmpdir = tempDir("host-load-");
  });

  it.each(["dev", "prod"])("%s loads and exports the stack outputs", async (stack) => {
    const result = await loadUnderHost(stack, { typeCheck: false, tmpdir });
    expect(result.outputs).toEqual(["contractVersion", "database", "environment", "kubernetes", "platformSecrets", "services"]);
    // Everything the offline plan captures for the stack, plus the root Stack resource.
    expect(result.resources).toBe(stack === "dev" ? 358 : 387);
  });
});
