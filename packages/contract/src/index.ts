/**
 * `@pipebus/contract`: typed service contracts over a pipebus `MessageBus`.
 * One definition gives a typed client, typed handlers, Standard Schema
 * validation at the boundary and typed errors, with no code generation.
 *
 * @example
 * ```ts
 * const Inventory = contract('inventory', { version: '1.0.0' }, {
 *   reserve: rpc({ input: Reserve, output: Reserved, errors: { OUT_OF_STOCK: OutOfStock } }),
 *   ping: rpc<string, number>(),
 * });
 * implement(serverBus, Inventory, { reserve: async (req) => ..., ping: (s) => s.length });
 * await client(clientBus, Inventory).reserve({ sku: 'A', qty: 1 });
 * ```
 */
export { contract } from './contract.js';
export type { Contract, ContractOptions, ContractShape, EventKeys, MethodKeys } from './contract.js';
export { event, rpc, stream } from './methods.js';
export type { CallDefinition, CallTypes, CallTypesOf, ContractMember, ErrorType, ErrorTypes, EventMember, EventTypes, RpcMethod, StreamMethod } from './methods.js';
export { implement } from './implement.js';
export type { ContractHandlers, ImplementOptions, MemberHandler } from './implement.js';
export { client } from './client.js';
export type { ClientMethod, ClientOptions, ContractClient, ContractEvent, ContractEvents } from './client.js';
export { ContractError, contractError, isContractError } from './errors.js';
export type { ErrorCodes } from './errors.js';
export type { ContractPattern, ContractTopic, EmitPayload, MatchesPattern, MatchingPatterns, OnPayload } from './topics.js';
export { describeBus, describeRemote } from './describe.js';
export type { BusDescription, ContractDescription, DescribeOptions, DescribeRequest, ErrorDescription, MemberDescription, SchemaDescription, WireSchemaDescription } from './description.js';
export { checkContract } from './versions.js';
export type { ContractCheck } from './versions.js';
export { isStandardSchema } from './schema.js';
export type { ContractIssue, StandardSchemaV1 } from './schema.js';
export { typed } from './schema.js';
export type { Typed } from './schema.js';
