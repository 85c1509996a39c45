/**
 * A module loaded on first use: a Proxy that stands for `load()`'s exports and calls it when any
 * of them is read, listed, tested or (`callable`) called. Nothing else changes: every use sees the
 * real module. `esModule`, when given, answers `__esModule` without loading: TypeScript's
 * `__importStar` and `__importDefault` helpers read it at import. It must be the real module's
 * own value (a test compares them).
 */
module.exports = function lazyModule(load, options = {}) {
  const answersEsModule = Object.hasOwn(options, "esModule");
  let real;
  const loaded = () => (real ??= load());
  // An arrow function when the exports are called: it has no `prototype`, whose non-configurable
  // descriptor the Proxy's ownKeys would otherwise have to report.
  return new Proxy(options.callable ? () => undefined : {}, {
    get: (_, key) => (key === "__esModule" && answersEsModule ? options.esModule : loaded()[key]),
    has: (_, key) => key in loaded(),
    ownKeys: () => Reflect.ownKeys(loaded()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Object.getOwnPropertyDescriptor(loaded(), key);
      return d && { ...d, configurable: true };
    },
    apply: (_, self, args) => Reflect.apply(loaded(), self, args),
  });
};
