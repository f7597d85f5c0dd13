import { MockNetwork } from '@pipebus/transport-mock';
import type { MockTransport } from '@pipebus/transport-mock';
import { MessageBus, silentLogger } from '@pipebus/core';
import type { MessageBusOptions } from '@pipebus/core';

/** A server bus and a client bus over a mock named pipe, on virtual time. */
export interface BusPair {
  network: MockNetwork;
  server: MessageBus;
  client: MessageBus;
  serverTransport: MockTransport;
  clientTransport: MockTransport;
  close(): Promise<void>;
}

export async function busPair(options: MessageBusOptions = {}, network = new MockNetwork({ seed: 1 })): Promise<BusPair> {
  const serverTransport = network.listen('svc');
  const clientTransport = network.connect('svc');
  const common = { clock: network.clock, logger: silentLogger, ...options };
  const server = new MessageBus(serverTransport, { ...common, name: 'server' });
  const client = new MessageBus(clientTransport, { ...common, name: 'client' });
  await server.start();
  await client.start();
  return {
    network,
    server,
    client,
    serverTransport,
    clientTransport,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

/** Lets every queued microtask and immediate run, without moving virtual time. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

