import { MockNetwork } from '@pipebus/transport-mock';
import type { MockTransport } from '@pipebus/transport-mock';
import { MessageBus, msgpackCodec, silentLogger } from '@pipebus/core';
import { INTEREST_HELLO, Kind, decodeMessageFrame } from '@pipebus/core/transport-kit';
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


const codecs = new Map([[msgpackCodec.id, msgpackCodec]]);

/** True for a client's interest announcement, which every (re)connect of a client bus sends. */
export function isAnnouncement(frame: Uint8Array): boolean {
  if (frame[0] !== 0x10) return false;
  const envelope = decodeMessageFrame(frame, codecs);
  return envelope.kind === Kind.Hello && envelope.name === INTEREST_HELLO;
}

/** Traffic (or frames) without the clients' interest announcements: what a test of calls looks at. */
export function withoutAnnouncements<T extends Uint8Array | { readonly data: Uint8Array }>(entries: readonly T[]): T[] {
  return entries.filter((entry) => !isAnnouncement(entry instanceof Uint8Array ? entry : entry.data));
}

/** Event topics in the frames the server sent to the client `to`. */
export function eventsTo(network: MockNetwork, to: MockTransport): string[] {
  return network
    .framesBetween('svc', to.id)
    .map((t) => decodeMessageFrame(t.data, codecs))
    .filter((e) => e.kind === Kind.Event)
    .map((e) => e.name);
}
