// The policy pack `pulumi preview --policy-pack policy` runs (PulumiPolicy.yaml). Constructing a
// PolicyPack serves it to the engine, so this file only does that; the rules are in policies.ts.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("volteryde-infra", { policies });
