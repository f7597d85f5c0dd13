// Core's transport contract suite, unchanged, over a real nats-server: two
// NatsTransports under a fresh subject prefix per case, so that cases never
// hear each other.
import { describeTransportContract } from '@pipebus/core/testkit';
import { NatsTransport } from '@pipebus/transport-nats';
import { natsFixture } from './helpers.js';

const fixture = natsFixture();

let n = 0;
describeTransportContract(
  'nats (a and b under one prefix)',
  () => {
    const prefix = `contract.c${process.pid}x${n++}`;
    return { a: new NatsTransport({ servers: fixture.server.url, prefix, name: 'a' }), b: new NatsTransport({ servers: fixture.server.url, prefix, name: 'b' }) };
  },
  { capabilities: { duplex: true, broadcast: true, reliable: true, ordered: true }, timeoutMs: 10_000 },
);
