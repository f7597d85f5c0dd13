// Buses over NatsTransport against one real nats-server, for the tests of
// this package: each cluster gets a prefix of its own, so tests never hear
// each other, and every bus is closed after its test.
import { MessageBus, silentLogger, type MessageBusOptions } from '@pipebus/core';
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { startNatsServer, type NatsServerHandle } from '@pipebus/test-support';
import { NatsTransport, type NatsTransportOptions } from '@pipebus/transport-nats';
import { filter, firstValueFrom, take, toArray } from 'rxjs';

let n = 0;

/** `count` started buses under a fresh prefix, each having heard of every other. */
export async function cluster(
  server: NatsServerHandle,
  count: number,
  into: Closable[],
  options: { transport?: Partial<NatsTransportOptions>; bus?: MessageBusOptions } = {},
): Promise<MessageBus[]> {
  const prefix = `t.p${process.pid}x${n++}`;
  const made: MessageBus[] = [];
  for (let i = 0; i < count; i++) {
    const transport = new NatsTransport({ servers: server.url, prefix, name: `bus${i}`, ...options.transport });
    const bus = new MessageBus(transport, { logger: silentLogger, name: `bus${i}`, ...options.bus });
    into.push(bus);
    made.push(bus);
  }
  // Each start says hello and every earlier bus answers: after the last start, all know all.
  const known = made.map((bus) => firstValueFrom(bus.transport.peers$.pipe(filter((e) => e.type === 'connected'), take(count - 1), toArray())));
  for (const bus of made) await bus.start();
  if (count > 1) await Promise.all(known);
  return made;
}

/** Resolves once the server has `bus`'s subscriptions: its handle() and subscribe() are reachable from the others. */
export function ready(...buses: MessageBus[]): Promise<unknown> {
  return Promise.all(buses.map((bus) => nats(bus).flush()));
}

export function nats(bus: MessageBus): NatsTransport {
  return bus.transport as NatsTransport;
}

/** Something a test opened and the fixture closes after it: a bus, a transport, a raw connection. */
export interface Closable {
  close(): Promise<unknown>;
}

/**
 * A nats-server for one test file (started before its tests, stopped after
 * them; options as `startNatsServer` takes them), and a list of what each
 * test opened, closed after it whatever the outcome.
 */
export function natsFixture(options: Parameters<typeof startNatsServer>[0] = {}): { readonly server: NatsServerHandle; readonly open: Closable[] } {
  let server: NatsServerHandle | undefined;
  const open: Closable[] = [];
  beforeAll(async () => {
    server = await startNatsServer(options);
  }, 60_000);
  afterAll(() => server?.stop());
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((c) => c.close()));
  });
  return {
    get server(): NatsServerHandle {
      if (server === undefined) throw new Error('the nats-server did not start (see beforeAll)');
      return server;
    },
    open,
  };
}
