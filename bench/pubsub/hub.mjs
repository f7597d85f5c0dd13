// The relay hub of bench/pubsub's pipebus-hub system: a NamedPipeServer bus
// with `relay: true` and no subscriptions of its own. The publisher and every
// subscriber are its clients; it forwards each event to the clients whose
// subscriptions match (interest routing, on by default).
//   node hub.mjs ADDRESS
// Prints "ready" once clients can connect. PIPEBUS_BENCH_HUB_LOG=1 logs to
// stderr what it drops and why (a client that does not read is cut off).
import { MessageBus, consoleLogger, silentLogger } from '@pipebus/core';
import { NamedPipeServer } from '@pipebus/transport-namedpipe';
import { onStop } from './child.mjs';

const [address] = process.argv.slice(2);
const logger = process.env.PIPEBUS_BENCH_HUB_LOG === '1' ? consoleLogger : silentLogger;
const bus = new MessageBus(new NamedPipeServer({ address, logger }), { logger, relay: true });
onStop(() => bus.close());
await bus.start();
console.log('ready');
