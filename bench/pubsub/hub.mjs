// The relay hub of bench/pubsub's pipebus-hub system: a NamedPipeServer bus
// with `relay: true` and no subscriptions of its own. The publisher and every
// subscriber are its clients; it forwards each event to the clients whose
// subscriptions match (interest routing, on by default).
//   node hub.mjs ADDRESS
// Prints "ready" once clients can connect.
import { MessageBus, silentLogger } from '@pipebus/core';
import { NamedPipeServer } from '@pipebus/transport-namedpipe';
import { onStop } from './child.mjs';

const [address] = process.argv.slice(2);
const bus = new MessageBus(new NamedPipeServer({ address, logger: silentLogger }), { logger: silentLogger, relay: true });
onStop(() => bus.close());
await bus.start();
console.log('ready');
