// Listener of bench/mailslot (and of pipebus-mailslot in bench/pubsub): a
// MessageBus over a read-only MailslotTransport in a group, subscribed to
// bench.> the way users subscribe. It counts each message with its decoded
// payload (the bus decoded it).
//   node listener.mjs ADDRESS FRAMESIZE
// Prints "ready" once its slot is registered, "warm" after the warm-up, then
// one JSON line {received, firstAt, lastAt, …} when bench.end arrives.
import { MessageBus, silentLogger } from '@pipebus/core';
import { MailslotTransport } from '@pipebus/transport-mailslot';
import { onStop, tally } from '../pubsub/child.mjs';

const [address, frameSizeText] = process.argv.slice(2);
const transport = new MailslotTransport({ address, mode: 'read', frameSize: Number(frameSizeText), logger: silentLogger });
const bus = new MessageBus(transport, { logger: silentLogger });
// What the listener can see of drops and of its reader loop, for the loss analysis.
const t = tally({
  extra: () => {
    const { oversizeDropped, framesReceived, readerLoop } = transport.stats();
    const { expired, evicted } = bus.stats().reassembly;
    const { user, system } = process.cpuUsage();
    return { framesReceived, readerWaits: readerLoop.waits, oversizeDropped, expired, evicted, cpuSeconds: { user: user / 1e6, system: system / 1e6 } };
  },
});
bus.subscribe('bench.>').subscribe((event) => t.topic(event.topic, event.payload));
onStop(() => bus.close());
await bus.start();
console.log('ready');
