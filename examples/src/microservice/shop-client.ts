/**
 * A client process: asks the inventory service over the named pipe, the way
 * one local microservice calls another, and prints what it gets.
 */
import { BusError, MessageBus } from '@pipebus/core';
import { NamedPipeClient } from '@pipebus/transport-namedpipe';
import { lastValueFrom, toArray } from 'rxjs';

const address = process.argv[2] ?? 'pipe://inventory';
// connectTimeout: wait for the service if it is still starting (WaitNamedPipe semantics).
const bus = new MessageBus(new NamedPipeClient({ address, connectTimeout: 5000 }), { name: 'shop' });

const changes: string[] = [];
bus.subscribe<{ item: string; count: number }>('inventory.*.changed').subscribe((e) => changes.push(`${e.topic} -> ${e.payload.count}`));

const show = (what: string, value: unknown): void => console.log(`${what.padEnd(38)} ${JSON.stringify(value)}`);
show("request('inventory.stock', 'tea')", await bus.request('inventory.stock', 'tea'));
show("request('inventory.reserve', 2 tea)", await bus.request('inventory.reserve', { item: 'tea', quantity: 2 }));
show("request$('inventory.report')", await lastValueFrom(bus.request$('inventory.report').pipe(toArray())));
for (const call of [() => bus.request('inventory.reserve', { item: 'coffee', quantity: 5 }), () => bus.request('inventory.stock', 'milk')]) {
  try {
    await call();
  } catch (error) {
    if (!BusError.is(error)) throw error;
    show(`refused: ${error.code} (${error.remoteCode ?? '-'})`, error.message);
  }
}
show('ping', `${(await bus.ping()).toFixed(3)} ms`);
show("events seen on 'inventory.*.changed'", changes);
await bus.close();
