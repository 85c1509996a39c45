/** The TypeScript compiler, loaded on first use (test/jestResolver.cjs says why). */
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
