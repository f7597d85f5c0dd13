export { MessageBus } from './message-bus.js';
export type { BusEvent, BusStats, HandleOptions, PublishOptions, RequestOptions, SubscribeOptions } from './message-bus.js';
export type { Handler, HandlerContext } from './handler-context.js';
export type { MessageContext, MessageKindName, Middleware, MiddlewareSet } from './middleware.js';
export type { MessageBusOptions, ReassemblyOptions } from './options.js';
export { consoleLogger, silentLogger } from './logger.js';
export type { Logger } from './logger.js';
