/**
 * The pipebus tour: request/response, a streamed response, pub/sub with
 * wildcards, fragmentation and the errors a caller meets, over the in-memory
 * mock transport (so it runs anywhere). Run it with `pnpm demo:tour`; `pnpm demo`
 * shows the same bus between real processes (examples/src/demo/).
 */
import { BusError, MessageBus, silentLogger, systemClock } from '@pipebus/core';
import { MockNetwork } from '@pipebus/transport-mock';
import { interval, map, take, toArray, lastValueFrom } from 'rxjs';

const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const section = (title: string): void => console.log(`\n${bold(`== ${title}`)}`);
const show = (label: string, value: unknown): void => console.log(`  ${label.padEnd(34)} ${typeof value === 'string' ? value : JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Set ? [...v] : v instanceof Map ? Object.fromEntries(v) : v))}`);

async function main(): Promise<void> {
  // Real time for the demo; tests use the network's virtual clock instead.
  const network = new MockNetwork();
  const options = { clock: systemClock, logger: silentLogger };
  const server = new MessageBus(network.listen('demo'), { ...options, name: 'server' });
  const client = new MessageBus(network.connect('demo'), { ...options, name: 'client' });

  server.handle('math.add', ({ a, b }: { a: number; b: number }) => a + b);
  server.handle('users.get', async (id: number) => ({ id, name: `user-${id}`, since: new Date(Date.UTC(2024, 0, id)), tags: new Set(['a', 'b']) }));
  server.handle('clock.ticks', (n: number) => interval(50).pipe(take(n), map((i) => ({ tick: i + 1 }))));
  server.handle('fail', () => {
    throw Object.assign(new Error('the database is read-only'), { code: 'READ_ONLY' });
  });
  await server.start();
  await client.start();

  section('request / response');
  show("request('math.add', {a: 2, b: 40})", await client.request('math.add', { a: 2, b: 40 }));
  const user = await client.request<{ since: Date; tags: Set<string> }>('users.get', 7);
  show("request('users.get', 7)", `${JSON.stringify(user)}  (since is a ${user.since.constructor.name}, tags a ${user.tags.constructor.name})`);

  section('a streamed response (handler returns an Observable)');
  const ticks = await lastValueFrom(client.request$<{ tick: number }>('clock.ticks', 4).pipe(toArray()));
  show("request$('clock.ticks', 4)", ticks);

  section('pub/sub with wildcards (* = one token, > = the rest)');
  const seen: string[] = [];
  for (const pattern of ['orders.*', 'orders.>', 'orders.*.created', '>']) {
    server.subscribe(pattern).subscribe((e) => seen.push(`${pattern.padEnd(16)} <- ${e.topic}`));
  }
  for (const topic of ['orders.new', 'orders.eu.created', 'billing.paid']) await client.publish(topic, { topic });
  await new Promise((resolve) => setImmediate(resolve));
  for (const line of seen.sort()) console.log(`  ${line}`);

  section('fragmentation over a 424-byte, mailslot-like link');
  const a = new MessageBus(network.join('events'), options);
  const b = new MessageBus(network.join('events'), options);
  await a.start();
  await b.start();
  const got = new Promise<number>((resolve) => b.subscribe<Uint8Array>('blob').subscribe((e) => resolve(e.payload.byteLength)));
  const before = network.traffic.length;
  await a.publish('blob', new Uint8Array(64 * 1024).fill(7));
  show('published 65536 bytes, received', `${await got} bytes in ${network.traffic.length - before} frames of <= 424 bytes`);

  section('errors a caller can act on');
  for (const [label, call] of [
    ["request('nobody.home')", () => client.request('nobody.home')],
    ["request('fail')", () => client.request('fail')],
    ["request('clock.ticks', 100, {timeout: 20})", () => client.request('clock.ticks', 100, { timeout: 20 })],
    ["subscribe('a.>.b')", async () => client.subscribe('a.>.b')],
  ] as const) {
    try {
      await call();
      show(label, 'unexpectedly succeeded');
    } catch (error) {
      show(label, BusError.is(error) ? `${error.code}: ${error.message}` : String(error));
    }
  }

  section('counters');
  const s = client.stats();
  show('client', { requestsSent: s.requestsSent, requestsTimedOut: s.requestsTimedOut, eventsPublished: s.eventsPublished });
  show('receiver of the fragmented blob', b.stats().reassembly);

  await Promise.all([client.close(), server.close(), a.close(), b.close()]);
  console.log('\nDone.');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
