/**
 * The demo's publisher process: sends each event once to every member of the
 * mailslot group (one datagram per member). Args: ADDRESS RUNTIME_DIR.
 */
import { MessageBus, silentLogger } from '@pipebus/core';
import { MailslotTransport } from '@pipebus/transport-mailslot';
import { EVENTS } from './plan.js';

const [address = 'mailslot://demo', runtimeDir] = process.argv.slice(2);
const transport = new MailslotTransport({ address, mode: 'write', ...(runtimeDir !== undefined && { runtimeDir }), logger: silentLogger });
const bus = new MessageBus(transport, { name: 'publisher', logger: silentLogger });
await bus.start();
for (const { topic, payload } of EVENTS) {
  await bus.publish(topic, payload);
  // A group writer takes the frame into this tick's batch at once and writes the batch (surveying
  // the group) as the tick ends: read the count after that.
  await new Promise((resolve) => setImmediate(resolve));
  const n = transport.stats().listeners;
  // Subscribers leave once they have their events, so later events reach fewer.
  console.log(`published ${topic} to the ${n} member${n === 1 ? '' : 's'} still in the group`);
}
await bus.close();
