/** Hand-made captured resources for tests of the tools that read a capture (graph, SQL). */
import { Capture, CapturedResource } from "../tools/capture";

/** A custom resource `urn:<name>` that depends on `urn:<dep>` for each of `deps`. */
export function handmade(name: string, deps: string[] = [], extra: Partial<CapturedResource> = {}): CapturedResource {
  return {
    urn: `urn:${name}`,
    type: "test:index:Thing",
    name,
    custom: true,
    inputs: {},
    outputs: {},
    dependencies: deps.map((d) => `urn:${d}`),
    propertyDependencies: {},
    explicitDependencies: [],
    options: { protect: false, retainOnDelete: false, deleteBeforeReplace: false, ignoreChanges: [], replaceOnChanges: [], additionalSecretOutputs: [], aliases: [] },
    ...extra,
  };
}

export const handmadeCapture = (resources: CapturedResource[]): Capture => ({ project: "p", stack: "s", resources, outputs: {} });
