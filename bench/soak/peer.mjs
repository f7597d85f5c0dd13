// A client of the soak's hub.
//   node --expose-gc peer.mjs subscriber ADDRESS         counts the events relayed to it; "mem" adds {events}
//   node --expose-gc peer.mjs sender ADDRESS COUNT EVERY   COUNT requests (256 in flight) and COUNT events;
//       every EVERY of each it prints a checkpoint line {at, rssBytes, heapUsedBytes, ms}, and at the end
//       {done, requests, events, wrongAnswers, ms}
import { MessageBus, silentLogger } from '@pipebus/core';
import { NamedPipeClient } from '@pipebus/transport-namedpipe';
import { serveMemoryCommands, settledMemory } from './memory.mjs';

const [mode, address, countText, everyText] = process.argv.slice(2);
const bus = new MessageBus(new NamedPipeClient({ address, logger: silentLogger, connectTimeout: 10_000 }), { logger: silentLogger });

if (mode === 'subscriber') {
  let events = 0;
  bus.subscribe('soak.>').subscribe(() => events++);
  await bus.start();
  serveMemoryCommands(() => ({ events }), () => bus.close());
  process.stdout.write('ready\n');
} else {
  const count = Number(countText);
  const every = Number(everyText);
  await bus.start();
  const started = performance.now();
  const WINDOW = 256;
  let wrongAnswers = 0;
  let events = 0;
  const inFlight = new Set();
  for (let i = 1; i <= count; i++) {
    const call = bus.request('echo', i, { timeout: 30_000 }).then((answer) => {
      if (answer !== i) wrongAnswers++;
      inFlight.delete(call);
    });
    inFlight.add(call);
    if (inFlight.size >= WINDOW) await Promise.race(inFlight);
    await bus.publish('soak.tick', i);
    events++;
    if (i % every === 0) {
      await Promise.all(inFlight);
      process.stdout.write(`${JSON.stringify({ at: i, ...settledMemory(), ms: performance.now() - started })}\n`);
    }
  }
  await Promise.all(inFlight);
  process.stdout.write(`${JSON.stringify({ done: true, requests: count, events, wrongAnswers, ms: performance.now() - started })}\n`);
  await bus.close();
}
