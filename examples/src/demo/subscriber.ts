/**
 * A demo subscriber process: joins the mailslot group, prints each event
 * matching its pattern, and exits once it got the number it expects.
 * Args: ADDRESS RUNTIME_DIR NAME PATTERN EXPECTED.
 */
import { MessageBus, silentLogger } from '@pipebus/core';
import { MailslotTransport } from '@pipebus/transport-mailslot';

const [address = 'mailslot://demo', runtimeDir, name = 'subscriber', pattern = '>', expectedText = '0'] = process.argv.slice(2);
const expected = Number(expectedText);
const bus = new MessageBus(new MailslotTransport({ address, mode: 'read', ...(runtimeDir !== undefined && { runtimeDir }), logger: silentLogger }), { name, logger: silentLogger });
let received = 0;
const done = new Promise<void>((resolve) => {
  bus.subscribe(pattern).subscribe((event) => {
    console.log(`got ${event.topic} ${JSON.stringify(event.payload)}`);
    if (++received === expected) resolve();
  });
});
await bus.start();
console.log(`ready: '${pattern}' on ${address}`);
await done;
await bus.close();
console.log(`done: ${received} events`);
