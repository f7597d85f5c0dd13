/**
 * The transport contract test kit: `@pipebus/core/testkit`. Needs jest
 * (`@jest/globals`), an optional peer dependency of `@pipebus/core`.
 */
export { describeTransportContract } from './transport-contract.js';
export type { ContractCapabilities, ContractOptions, TransportPair } from './transport-contract.js';
