// Core's routed-transport contract suite over a real nats-server: interests
// become subscriptions (queue groups included), `via` names the topic
// interest, and the server's "no responders" comes back as NO_HANDLER.
import { afterAll, beforeAll } from '@jest/globals';
import { describeRoutedTransportContract } from '@pipebus/core/testkit';
import { startNatsServer, type NatsServerHandle } from '@pipebus/test-support';
import { NatsTransport } from '@pipebus/transport-nats';

let server: NatsServerHandle | undefined;
beforeAll(async () => {
  server = await startNatsServer();
}, 60_000);
afterAll(() => server?.stop());

let n = 0;
describeRoutedTransportContract(
  'nats (a, b and c under one prefix)',
  () => {
    if (server === undefined) throw new Error('the nats-server did not start (see beforeAll)');
    const prefix = `routed.r${process.pid}x${n++}`;
    const make = (name: string): NatsTransport => new NatsTransport({ servers: server!.url, prefix, name });
    return { a: make('a'), b: make('b'), c: make('c') };
  },
  { noResponders: true, timeoutMs: 10_000 },
);
