import { operations } from "./operations";

operations("dev");
