/** One desktop process listening on a mailslot group: prints what matches its pattern. */
import { MessageBus } from '@pipebus/core';
import { MailslotTransport } from '@pipebus/transport-mailslot';
import { FRAME_SIZE } from './topics.js';

const [address = 'mailslot://desktop', name = 'subscriber', pattern = '>', countText = '0'] = process.argv.slice(2);
const expected = Number(countText);
const bus = new MessageBus(new MailslotTransport({ address, frameSize: FRAME_SIZE }), { name });
let received = 0;
const done = new Promise<void>((resolve) => {
  bus.subscribe(pattern).subscribe((event) => {
    received++;
    const text = JSON.stringify(event.payload);
    console.log(`${event.topic} ${text.length > 60 ? `${text.slice(0, 57)}...(${text.length} chars)` : text}`);
    if (received === expected) resolve();
  });
});
await bus.start();
console.log(`ready, listening to '${pattern}'`);
if (expected > 0) await done;
await bus.close();
