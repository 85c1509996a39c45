/**
 * The jest resolver (test/jestResolver.cjs) hands the SDK stand-ins for the modules the program
 * never uses (tools/lazy/index.cjs): each must be the real module on use, so the SDK's closure
 * serialisation and Automation API work as before, and must answer what the SDK reads at import
 * as the real module would.
 */
import * as pulumi from "@pulumi/pulumi";
import { join } from "path";
import { types } from "util";

/* eslint-disable @typescript-eslint/no-require-imports */
it("gives the SDK a TypeScript that is the real compiler on use", async () => {
  const shim = require("@pulumi/pulumi/typescript-shim");
  const real = require("typescript");
  expect(types.isProxy(shim)).toBe(true);
  expect(shim.version).toBe(real.version);
  expect(shim.version).toMatch(/^5\./);
  const file = shim.createSourceFile("x.ts", "const answer = 42;", shim.ScriptTarget.ES2022);
  expect(file.statements[0].kind).toBe(real.SyntaxKind.VariableStatement);
  const serialized = await pulumi.runtime.serializeFunction(() => 6 * 7);
  expect(serialized.text).toContain("6 * 7");
});

it("gives it an Automation API that is the real one on use", () => {
  const real = require("@pulumi/pulumi/automation");
  expect(types.isProxy(pulumi.automation)).toBe(true);
  expect(pulumi.automation.LocalWorkspace).toBe(real.LocalWorkspace);
  expect(Object.keys(pulumi.automation).sort()).toEqual(Object.keys(real).sort());
  expect("LocalWorkspace" in pulumi.automation).toBe(true);
});

it("answers __esModule as each real module does, and calls through to a module that is a function", () => {
  const { DEFERRED } = require("../tools/lazy/index.cjs") as { DEFERRED: [string, string, string][] };
  expect(DEFERRED.map(([request]) => request)).toEqual(["typescript", "./automation", "normalize-package-data"]);
  const real: Record<string, unknown> = {
    typescript: require("typescript"),
    "./automation": require("@pulumi/pulumi/automation"),
    "normalize-package-data": require("normalize-package-data"),
  };
  for (const [request, , standIn] of DEFERRED) {
    const lazy = require(join(__dirname, "..", "tools", "lazy", standIn));
    expect([request, lazy.__esModule]).toEqual([request, (real[request] as { __esModule?: boolean }).__esModule]);
  }
  const normalize = require("../tools/lazy/normalizePackageData.cjs");
  const data = { name: "x", version: "1.0.0", _id: undefined };
  normalize(data);
  expect(data._id).toBe("x@1.0.0");
});
