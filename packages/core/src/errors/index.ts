export { BusError, BusErrorCodes, invalidArgument } from './bus-error.js';
export type { BusErrorCode, BusErrorOptions } from './bus-error.js';
export { checkKnownKeys, closestKey } from './known-keys.js';
