/**
 * The Pulumi CLI's config rules (tools/preview/cliConfig.ts) on the committed stack files, and on
 * files that break each rule.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { checkStackConfig, looksLikeCiphertext } from "../../../tools/preview/cliConfig";
import { ROOT } from "../../../tools/stackConfig";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cli-config-"));
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it.each(["dev", "prod"])("%s: the CLI accepts the committed file; it only asks for the two secrets", (stack) => {
  expect(checkStackConfig(stack, ROOT)).toEqual([
    {
      level: "todo",
      key: "volteryde-infra:adminPassword",
      message: `Stack '${stack}' is missing configuration value 'volteryde-infra:adminPassword': set it with \`pulumi config set --secret adminPassword <value>\``,
    },
    {
      level: "todo",
      key: "volteryde-infra:temporalApiKey",
      message: `Stack '${stack}' is missing configuration value 'volteryde-infra:temporalApiKey': set it with \`pulumi config set --secret temporalApiKey <value>\``,
    },
  ]);
});

it("refuses what the CLI refuses: a declared key left unset, a placeholder ciphertext, a typed secret in plain text, a wrong type", () => {
  writeFileSync(
    join(dir, "Pulumi.bad.yaml"),
    [
      "config:",
      "  volteryde-infra:adminPassword: plain-text-password",
      "  volteryde-infra:temporalApiKey:",
      "    secure: v1:placeholder-set-with-pulumi-config-set-secret",
      "  volteryde-infra:protect: maybe",
      "  volteryde-infra:supabase: {projectRef: qwhdkrtmvzpalsuxnbeo}",
    ].join("\n"),
  );
  const errors = checkStackConfig("bad", dir).filter((f) => f.level === "error").map((f) => f.message);
  expect(errors).toEqual(
    expect.arrayContaining([
      "Stack 'bad' is missing configuration value 'volteryde-infra:adminUsername': Pulumi.yaml declares it without a default, so every stack file must set it",
      "Stack 'bad' is missing configuration value 'volteryde-infra:externalSecrets': Pulumi.yaml declares it without a default, so every stack file must set it",
      "Stack 'bad' with configuration key 'volteryde-infra:adminPassword' must be encrypted as it's secret",
      "Stack 'bad' with configuration key 'volteryde-infra:protect' must be of type 'boolean' (got string)",
      'volteryde-infra:temporalApiKey: the secure value "v1:placeholder-set-with-" is not a ciphertext, and the CLI decrypts every secret before it runs: remove it and set the value with `pulumi config set --secret`',
    ]),
  );
  expect(errors).toHaveLength(13);
});

it("tells a ciphertext from a placeholder", () => {
  expect(looksLikeCiphertext("v1:4Jb1Q0o2Xbl0Ygzn:Z0wYH7xkQmbz3Z4sb4QbJ6Ka0Jk=")).toBe(true);
  expect(looksLikeCiphertext("AAABAHs5eQ7uQ2k1Zt5mfJm2b8b0pY3w6cVQ")).toBe(true);
  expect(looksLikeCiphertext("v1:placeholder-set-with-pulumi-config-set-secret")).toBe(false);
  expect(looksLikeCiphertext("offline-placeholder")).toBe(false);
});

it("the offline plan fails, and says why, on a stack file the CLI would refuse", async () => {
  const { plan } = await import("../../../tools/plan");
  writeFileSync(
    join(dir, "Pulumi.dev.yaml"),
    readFileSync(join(ROOT, "Pulumi.dev.yaml"), "utf8") + "  volteryde-infra:adminPassword:\n    secure: v1:placeholder-set-with-pulumi-config-set-secret\n",
  );
  let report = "";
  const code = await plan({ stack: "dev", root: dir, out: join(dir, "out"), verify: false, write: (t) => (report += t) });
  expect(code).toBe(1);
  expect(report).toContain('Pulumi CLI would refuse: volteryde-infra:adminPassword: the secure value "v1:placeholder-set-with-" is not a ciphertext');
}, 60_000);
