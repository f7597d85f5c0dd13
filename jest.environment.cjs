// jest's node environment runs tests in a vm context but hands them the outer
// realm's Uint8Array (for Buffer). The other typed arrays stay the context's
// own, so `new Float64Array() instanceof TypedArray` is false for libraries
// (msgpackr) that take TypedArray from Uint8Array. Node has one realm: give
// the tests the same, so codec tests see what production sees.
const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = [
  'Int8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'ArrayBuffer', 'DataView',
];

class OneRealmEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = OneRealmEnvironment;
