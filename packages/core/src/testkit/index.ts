/**
 * The transport contract test kit: `@pipebus/core/testkit`. Runs under jest,
 * vitest and `node:test`; it imports none of them (the runner's functions are
 * passed in or found as globals).
 */
export { describeTransportContract } from './transport-contract.js';
export type { ContractCapabilities, ContractOptions, TransportPair } from './transport-contract.js';
export { describeRoutedTransportContract } from './routed-contract.js';
export type { RoutedContractOptions, RoutedTransportSet } from './routed-contract.js';
export type { RunnerTest, TestBody, TestRunner } from './runner.js';
