import { operations } from "./operations";

operations("prod");
