/**
 * The jest environment (test/jestEnvironment.cjs) runs test files in a vanilla V8 context: its
 * global object is the context object itself, as `vm.constants.DONT_CONTEXTIFY` makes it, where
 * jest's own Node.js environment has a contextified one. Everything else is jest's.
 */
import * as vm from "vm";
import { TestEnvironment as NodeEnvironment } from "jest-environment-node";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VanillaContextEnvironment: typeof NodeEnvironment = require("./jestEnvironment.cjs");

/** The two arguments jest passes to an environment, with only what the Node.js one reads. */
const config = { projectConfig: { testEnvironmentOptions: {}, globals: {}, fakeTimers: {} }, globalConfig: {} } as unknown as ConstructorParameters<typeof NodeEnvironment>[0];
const context = { console, docblockPragmas: {}, testPath: __filename } as unknown as ConstructorParameters<typeof NodeEnvironment>[1];

it("gives each test file a context of its own whose global is the context object, not a contextified sandbox", async () => {
  const createContext = vm.createContext;
  const env = new VanillaContextEnvironment(config, context);
  const other = new VanillaContextEnvironment(config, context);
  const stock = new NodeEnvironment(config, context);
  try {
    const ctx = env.getVmContext()!;
    expect(vm.runInContext("globalThis", ctx)).toBe(ctx);
    expect(vm.runInContext("globalThis", stock.getVmContext()!)).not.toBe(stock.getVmContext());
    // Isolated as before: a global set in one file's context is not in another's, nor here.
    vm.runInContext("globalThis.leak = 1", ctx);
    expect(vm.runInContext("typeof leak", other.getVmContext()!)).toBe("undefined");
    expect("leak" in globalThis).toBe(false);
    // jest's globals are installed as in its own environment.
    expect(vm.runInContext("[typeof process.env, typeof setTimeout, typeof Buffer, Error.stackTraceLimit]", ctx)).toEqual(["object", "function", "function", 100]);
    // The constructor puts vm.createContext back.
    expect(vm.createContext).toBe(createContext);
  } finally {
    await Promise.all([env.teardown(), other.teardown(), stock.teardown()]);
  }
});
