/**
 * Every documented operation as a change preview, dev stack (the cases are in operations.ts).
 *
 * @slow about twenty captures of the whole stack
 */
import { operations } from "./operations";

operations("dev");
