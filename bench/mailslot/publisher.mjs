// Publisher of bench/mailslot (and of pipebus-mailslot in bench/pubsub): a
// MessageBus over a write-only MailslotTransport in a group.
//   node publisher.mjs ADDRESS SIZE LISTENERS FRAMESIZE WARM_MS DURATION_MS WINDOW
// The phases are runPublisher's (../pubsub/child.mjs); the result line adds
// what the transport counted while the measured messages went out.
import { MessageBus, silentLogger } from '@pipebus/core';
import { MailslotTransport } from '@pipebus/transport-mailslot';
import { onStop, runPublisher } from '../pubsub/child.mjs';

const [address, sizeText, listenersText, frameSizeText, warmText, durationText, windowText] = process.argv.slice(2);
const listeners = Number(listenersText);
const payload = new Uint8Array(Number(sizeText)).fill(7);
const transport = new MailslotTransport({ address, mode: 'write', frameSize: Number(frameSizeText), logger: silentLogger });
const bus = new MessageBus(transport, { logger: silentLogger, localDelivery: false });
onStop(() => bus.close());
await bus.start();

let before;
let cpu;
await runPublisher({
  warmMs: Number(warmText),
  durationMs: Number(durationText),
  // Several publishes in flight, each awaited; the transport sends them one after the other.
  window: Number(windowText),
  publish: (topic) => bus.publish(topic, payload),
  // The group registry is a directory the writer re-reads when it changes; a
  // message on a topic nobody counts shows how many listeners it writes to.
  prepare: async () => {
    const deadline = Date.now() + 10_000;
    do {
      await bus.publish('hello', 0);
      if (Date.now() > deadline) throw new Error(`the publisher sees ${transport.stats().listeners} of ${listeners} listeners`);
    } while (transport.stats().listeners < listeners);
  },
  begin: () => {
    before = { ...transport.stats(), ...bus.stats() };
    cpu = process.cpuUsage();
  },
  report: (published) => {
    const after = { ...transport.stats(), ...bus.stats() };
    const { user, system } = process.cpuUsage(cpu);
    return {
      // The bus sends an unfragmented message as one frame, not counted in fragmentsOut.
      fragmentsPerMessage: (after.fragmentsOut - before.fragmentsOut) / published || 1,
      // Datagrams the kernel took, and EAGAIN retries: a listener's queue (net.unix.max_dgram_qlen) was full.
      datagrams: after.deliveries - before.deliveries,
      sendRetries: after.sendRetries - before.sendRetries,
      cpuSeconds: { user: user / 1e6, system: system / 1e6 },
    };
  },
});
