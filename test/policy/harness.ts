/**
 * Runs the pack's policies on a captured graph the way the engine calls them: each resource
 * validation on every custom resource with its inputs and options, each stack validation once on
 * all resources with their outputs, parents and dependencies; config per policy merged over its
 * schema's defaults. Unlike the engine it also passes `retainOnDelete`, which the capture records.
 */
import type { PolicyPackConfig, PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { CapturedPolicyOptions } from "../../policy/policies";
import { Capture, CapturedResource, reveal } from "../../tools/capture";

export interface Violation {
  readonly policy: string;
  /** `type name` of the resource, or undefined for the stack. */
  readonly resource?: string;
  readonly message: string;
}

export interface PackResult {
  readonly violations: Violation[];
  /** `policy: reason` of the policies that declared themselves not applicable. */
  readonly notApplicable: string[];
}

class NotApplicable extends Error {}

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

function configFor(policy: AnyPolicy, config: PolicyPackConfig): Record<string, unknown> {
  const defaults = Object.fromEntries(
    Object.entries(policy.configSchema?.properties ?? {})
      .filter(([, schema]) => typeof schema === "object" && schema !== null && "default" in schema)
      .map(([key, schema]) => [key, (schema as { default: unknown }).default]),
  );
  const given = config[policy.name];
  return { ...defaults, ...(typeof given === "object" ? given : {}) };
}

function options(r: CapturedResource): CapturedPolicyOptions {
  return {
    protect: r.options.protect,
    ignoreChanges: [...r.options.ignoreChanges],
    deleteBeforeReplace: r.options.deleteBeforeReplace,
    retainOnDelete: r.options.retainOnDelete,
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [...r.options.additionalSecretOutputs],
    parent: r.parent,
  };
}

const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason ?? "");
};
const typeToken = (cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType;

/** Policy resources of the stack validations: outputs as props, the graph as references. */
function policyResources(resources: readonly CapturedResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const list = resources.map((r) => {
    const pr = {
      type: r.type,
      props: reveal(r.custom ? r.outputs : r.inputs) as Record<string, unknown>,
      urn: r.urn,
      name: r.name,
      opts: options(r),
      dependencies: [] as PolicyResource[],
      propertyDependencies: {} as Record<string, PolicyResource[]>,
      isType: (cls: unknown) => typeToken(cls) === r.type,
      asType: (cls: unknown) => (typeToken(cls) === r.type ? pr.props : undefined),
    } as unknown as PolicyResource & { parent?: PolicyResource };
    byUrn.set(r.urn, pr);
    return pr;
  });
  resources.forEach((r, i) => {
    const pr = list[i] as PolicyResource & { parent?: PolicyResource };
    pr.parent = r.parent ? byUrn.get(r.parent) : undefined;
    pr.dependencies.push(...r.dependencies.map((u) => byUrn.get(u)).filter((d): d is PolicyResource => d !== undefined));
    for (const [key, urns] of Object.entries(r.propertyDependencies)) {
      pr.propertyDependencies[key] = urns.map((u) => byUrn.get(u)).filter((d): d is PolicyResource => d !== undefined);
    }
  });
  return list;
}

export async function runPolicies(policies: readonly AnyPolicy[], resources: readonly CapturedResource[], config: PolicyPackConfig = {}): Promise<PackResult> {
  const violations: Violation[] = [];
  const na: string[] = [];
  const stackTags: ReadonlyMap<string, string> = new Map();
  for (const policy of policies) {
    const getConfig = <T extends object>() => configFor(policy, config) as T;
    try {
      if (!("validateStack" in policy)) {
        const given = policy.validateResource;
        const validations = given === undefined ? [] : Array.isArray(given) ? given : [given];
        for (const r of resources.filter((x) => x.custom)) {
          const args: ResourceValidationArgs = {
            type: r.type,
            props: reveal(r.inputs) as Record<string, unknown>,
            urn: r.urn,
            name: r.name,
            opts: options(r),
            stackTags,
            isType: (cls) => typeToken(cls) === r.type,
            asType: ((cls: unknown) => (typeToken(cls) === r.type ? reveal(r.inputs) : undefined)) as ResourceValidationArgs["asType"],
            getConfig,
            notApplicable,
          };
          for (const validate of validations) {
            await validate(args, (message) => violations.push({ policy: policy.name, resource: `${r.type} ${r.name}`, message }));
          }
        }
      } else {
        const all = policyResources(resources);
        const byUrn = new Map(all.map((p) => [p.urn, p]));
        await policy.validateStack({ resources: all, stackTags, getConfig, notApplicable }, (message: string, urn?: string) =>
          violations.push({ policy: policy.name, resource: urn ? `${byUrn.get(urn)?.type} ${byUrn.get(urn)?.name}` : undefined, message }),
        );
      }
    } catch (err) {
      if (!(err instanceof NotApplicable)) throw err;
      na.push(`${policy.name}: ${err.message}`);
    }
  }
  return { violations, notApplicable: na };
}

export function runOnCapture(policies: readonly AnyPolicy[], c: Capture, config: PolicyPackConfig = {}): Promise<PackResult> {
  return runPolicies(policies, c.resources, config);
}
