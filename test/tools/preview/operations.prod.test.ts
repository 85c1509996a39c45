/**
 * Every documented operation as a change preview, prod stack (the cases are in operations.ts).
 *
 * @slow about twenty captures of the whole stack
 */
import { operations } from "./operations";

operations("prod");
