// Core's transport contract suite, unchanged, over a real nats-server: two
// NatsTransports under a fresh subject prefix per case, so that cases never
// hear each other.
import { afterAll, beforeAll } from '@jest/globals';
import { describeTransportContract } from '@pipebus/core/testkit';
import { startNatsServer, type NatsServerHandle } from '@pipebus/test-support';
import { NatsTransport } from '@pipebus/transport-nats';

let server: NatsServerHandle | undefined;
beforeAll(async () => {
  server = await startNatsServer();
}, 60_000);
afterAll(() => server?.stop());

let n = 0;
describeTransportContract(
  'nats (a and b under one prefix)',
  () => {
    if (server === undefined) throw new Error('the nats-server did not start (see beforeAll)');
    const prefix = `contract.c${process.pid}x${n++}`;
    return { a: new NatsTransport({ servers: server.url, prefix, name: 'a' }), b: new NatsTransport({ servers: server.url, prefix, name: 'b' }) };
  },
  { capabilities: { duplex: true, broadcast: true, reliable: true, ordered: true }, timeoutMs: 10_000 },
);
