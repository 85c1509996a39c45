/**
 * The policy pack on the graph each stack really declares (the capture the offline plan reads),
 * with the pack config the workflows pass for that stack (tools/policyConfig.ts).
 */
import { dataBearing, policies } from "../../policy/policies";
import { Capture } from "../../tools/capture";
import { policyPackConfig, stackSettings } from "../../tools/policyConfig";
import { captureStack } from "../../tools/run";
import { PackResult, runOnCapture } from "./harness";

const STACKS = ["dev", "prod"] as const;
const captures: Record<string, Capture> = {};
const results: Record<string, PackResult> = {};

beforeAll(async () => {
  for (const stack of STACKS) {
    captures[stack] = await captureStack(stack);
    results[stack] = await runOnCapture(policies, captures[stack], policyPackConfig(stackSettings(stack)));
  }
});

it("gives the prod rules the environment and the key of each stack's config", () => {
  expect(policyPackConfig(stackSettings("prod"))).toEqual({
    "secretsmanager-prod-recovery-and-kms": { environment: "prod", kmsKeyArn: "arn:aws:kms:sa-east-1:123456789012:key/3f2b6a4c-8d1e-4c7a-9b5f-0e6d2a1c7b94" },
    "retain-data-in-prod": { environment: "prod", kmsKeyArn: "arn:aws:kms:sa-east-1:123456789012:key/3f2b6a4c-8d1e-4c7a-9b5f-0e6d2a1c7b94" },
  });
  expect(policyPackConfig(stackSettings("dev"))).toEqual({
    "secretsmanager-prod-recovery-and-kms": { environment: "dev" },
    "retain-data-in-prod": { environment: "dev" },
  });
});

describe.each(STACKS)("the %s stack", (stack) => {
  it("passes the whole pack", () => {
    expect(results[stack].violations).toEqual([]);
    expect(results[stack].notApplicable).toEqual([]);
  });

  it("declares every Grant and DefaultPrivileges delete-before-replace (the pack's rule has something to check)", () => {
    const privileges = captures[stack].resources.filter((r) => r.type === "postgresql:index/grant:Grant" || r.type === "postgresql:index/defaultPrivileges:DefaultPrivileges");
    expect(privileges.length).toBe(stack === "dev" ? 63 + 41 : 71 + 45);
    expect(privileges.filter((r) => !r.options.deleteBeforeReplace)).toEqual([]);
  });
});

it("checks prod's data-bearing resources with the retainOnDelete the capture records", () => {
  const found = dataBearing(
    captures.prod.resources.map((r) => ({ ...r, props: r.inputs, opts: r.options, propertyDependencies: {}, dependencies: [] }) as never),
  );
  const count = (what: string) => found.filter((d) => d.what === what).length;
  expect([count("schema"), count("schema owner role"), count("Secrets Manager secret")]).toEqual([10, 10, 22]);
  for (const d of found) expect({ name: d.resource.name, retainOnDelete: (d.resource.opts as { retainOnDelete?: boolean }).retainOnDelete }).toEqual({ name: d.resource.name, retainOnDelete: true });
});
