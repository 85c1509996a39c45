/**
 * Jest's Node.js environment, but in a vanilla V8 context (`vm.constants.DONT_CONTEXTIFY`): each
 * test file still gets a context, globals and module registry of its own, and jest installs them
 * exactly as before; only the context's global object is an ordinary one, without the property
 * interceptors `vm.createContext()` installs by default. Through those interceptors every global
 * lookup of every module (`Promise`, `Object`, `Error`, ...) is a call into Node.js
 * (nodejs/node#31658; vanilla contexts "speed up the global access": nodejs/node#54394, Node.js
 * 22.8 and 20.18; nodejs/node#62459 proposes them as createContext()'s default). The Pulumi SDK
 * does many per resource: a capture took ~40% longer under jest than in plain Node.js (dev,
 * ~330 ms against ~210 ms), and takes as long here as there.
 *
 * jest-environment-node creates its context in its constructor with `vm.createContext()` and no
 * argument (node_modules/jest-environment-node/build/index.js); this passes DONT_CONTEXTIFY
 * to that one call and puts the function back before the constructor returns.
 */
const vm = require("vm");
const { TestEnvironment } = require("jest-environment-node");

class VanillaContextEnvironment extends TestEnvironment {
  constructor(config, context) {
    const createContext = vm.createContext;
    vm.createContext = (contextObject) => createContext(contextObject ?? vm.constants.DONT_CONTEXTIFY);
    try {
      super(config, context);
    } finally {
      vm.createContext = createContext;
    }
  }
}

module.exports = VanillaContextEnvironment;
