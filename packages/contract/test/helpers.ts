import { MessageBus, silentLogger, type Logger } from '@pipebus/core';
import { MockNetwork } from '@pipebus/transport-mock';

/** A server bus and a client bus over a mock named pipe. */
export async function busPair(): Promise<{ server: MessageBus; client: MessageBus; close(): Promise<void> }> {
  const network = new MockNetwork({ seed: 1 });
  const common = { clock: network.clock, logger: silentLogger };
  const server = new MessageBus(network.listen('svc'), { ...common, name: 'server' });
  const client = new MessageBus(network.connect('svc'), { ...common, name: 'client' });
  await server.start();
  await client.start();
  return {
    server,
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

/** A logger that keeps what it is told, to assert on what the server logged. */
export function recordingLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const keep = (message: string): void => void lines.push(message);
  return { lines, debug: keep, info: keep, warn: keep, error: keep };
}

/** What `promise` rejected with (fails the test if it resolved). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, the promise resolved');
}
