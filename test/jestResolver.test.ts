/**
 * The jest resolver (test/jestResolver.cjs) hands the SDK a lazily loaded TypeScript: it must be
 * the real compiler on use, so the SDK's closure serialisation, the one user, works as before.
 */
import * as pulumi from "@pulumi/pulumi";

it("gives the SDK a TypeScript that is the real compiler on use", async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const shim = require("@pulumi/pulumi/typescript-shim");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const real = require("typescript");
  expect(shim.version).toBe(real.version);
  expect(shim.version).toMatch(/^5\./);
  const file = shim.createSourceFile("x.ts", "const answer = 42;", shim.ScriptTarget.ES2022);
  expect(file.statements[0].kind).toBe(real.SyntaxKind.VariableStatement);
  const serialized = await pulumi.runtime.serializeFunction(() => 6 * 7);
  expect(serialized.text).toContain("6 * 7");
});
