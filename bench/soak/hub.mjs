// The hub of the soak: a MessageBus over NamedPipeServer that echoes requests
// and relays every event from one client to the others.
//   node --expose-gc hub.mjs ADDRESS
// Prints "ready"; on stdin, "mem" prints {rssBytes, heapUsedBytes} after a GC.
import { MessageBus, silentLogger } from '@pipebus/core';
import { NamedPipeServer } from '@pipebus/transport-namedpipe';
import { serveMemoryCommands } from './memory.mjs';

const [address] = process.argv.slice(2);
const bus = new MessageBus(new NamedPipeServer({ address, logger: silentLogger }), { logger: silentLogger, relay: true, localDelivery: false });
bus.handle('echo', (value) => value);
await bus.start();
serveMemoryCommands(() => ({ stats: bus.stats() }), () => bus.close());
process.stdout.write('ready\n');
