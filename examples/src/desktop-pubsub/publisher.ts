/** A desktop process publishing events to every listener of the mailslot group. */
import { MessageBus } from '@pipebus/core';
import { MailslotTransport } from '@pipebus/transport-mailslot';
import { FRAME_SIZE, PUBLISHED } from './topics.js';

const address = process.argv[2] ?? 'mailslot://desktop';
const bus = new MessageBus(new MailslotTransport({ address, mode: 'write', frameSize: FRAME_SIZE }), { name: 'publisher' });
await bus.start();
for (const { topic, payload } of PUBLISHED) {
  await bus.publish(topic, payload);
  console.log(`published ${topic}`);
}
await bus.close();
