// volteryde-infra: `pulumi up` runs this file. Everything lives in program.ts so tests and the
// offline plan run the same code without this module's side effects.
import { main } from "./program";

const outputs = main();

/** The stack-output contract (components/outputs.ts, README "Stack outputs"). */
export const contractVersion = outputs.contractVersion;
export const environment = outputs.environment;
export const database = outputs.database;
export const services = outputs.services;
export const kubernetes = outputs.kubernetes;
export const platformSecrets = outputs.platformSecrets;
