// Core's routed-transport contract suite over a real nats-server: interests
// become subscriptions (queue groups included), `via` names the topic
// interest, and the server's "no responders" comes back as NO_HANDLER.
import { describeRoutedTransportContract } from '@pipebus/core/testkit';
import { NatsTransport } from '@pipebus/transport-nats';
import { natsFixture } from './helpers.js';

const fixture = natsFixture();

let n = 0;
describeRoutedTransportContract(
  'nats (a, b and c under one prefix)',
  () => {
    const prefix = `routed.r${process.pid}x${n++}`;
    const make = (name: string): NatsTransport => new NatsTransport({ servers: fixture.server.url, prefix, name });
    return { a: make('a'), b: make('b'), c: make('c') };
  },
  { noResponders: true, timeoutMs: 10_000 },
);
