import type { MessageBus } from '@pipebus/core';
import type { NamedPipeServer } from '@pipebus/transport-namedpipe';

/**
 * Starts a service's bus, prints the `ready on PATH` line its parent waits
 * for, and closes the bus (then exits) on SIGINT or SIGTERM, so the socket or
 * pipe is released before the process goes.
 */
export async function serveUntilSignalled(bus: MessageBus): Promise<void> {
  await bus.start();
  console.log(`ready on ${(bus.transport as NamedPipeServer).path}`);
  const stop = (): void => {
    void bus.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
