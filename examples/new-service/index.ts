// `pulumi up` runs this file. Pulumi calls an exported function and awaits it; what it returns
// are the stack outputs. The program lives in program.ts so its test runs it without side effects.
import { main } from "./program";

export = main;
