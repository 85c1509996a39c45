/**
 * The TypeScript compiler, loaded on first use. @pulumi/pulumi requires it at import for closure
 * serialisation (runtime/closure/parseFunction.js, through typescript-shim.js), which the program
 * never uses; the 9 MB compiler costs ~0.1 s per process and ~0.2 s per jest file. The command
 * lines' loader (tools/register.cjs) and jest's resolver (test/jestResolver.cjs) hand the SDK this
 * instead; any use loads the real one.
 */
let ts;
const real = () => (ts ??= require("typescript"));

module.exports = new Proxy(
  {},
  {
    get: (_, key) => real()[key],
    has: (_, key) => key in real(),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Object.getOwnPropertyDescriptor(real(), key);
      return d && { ...d, configurable: true };
    },
  },
);
