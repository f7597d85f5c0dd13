import type { MessageBus } from '@pipebus/core';

/**
 * Starts a service's bus, prints the `ready on WHERE` line its parent waits
 * for (`where`, else the pipe's path), and closes the bus (then exits) on
 * SIGINT or SIGTERM, so the socket, pipe or NATS connection is released
 * before the process goes.
 */
export async function serveUntilSignalled(bus: MessageBus, where?: string): Promise<void> {
  await bus.start();
  console.log(`ready on ${where ?? (bus.transport as { readonly path?: string }).path}`);
  const stop = (): void => {
    void bus.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
