import { MessageBus, silentLogger } from '@pipebus/core';
import { makeRuntimeDir, Pool, reaches, uniqueAddress, within } from './helpers.js';

// `waitForReady` over the real client (a unix socket, or a Windows named pipe
// under Wine): a request made while the client reconnects waits for the
// server to come back instead of failing at once. Events only, no sleeps.

const runtimeDir = makeRuntimeDir();
const pool = new Pool(runtimeDir);
afterEach(() => pool.closeAll());

function echoServer(address: string): MessageBus {
  const bus = new MessageBus(pool.server(address), { logger: silentLogger, name: 'server' });
  pool.buses(bus);
  bus.handle('echo', (payload: unknown) => payload);
  return bus;
}

describe('a request with waitForReady over a reconnecting named-pipe client', () => {
  it('waits while the client reconnects and is answered by the server that comes back', async () => {
    const address = uniqueAddress('waitready');
    const first = echoServer(address);
    await first.start();
    const transport = pool.client(address, { reconnect: { initialDelayMs: 5, maxDelayMs: 50 } });
    const client = new MessageBus(transport, { logger: silentLogger, name: 'client' });
    pool.buses(client);
    await expect(client.request('echo', 'before')).resolves.toBe('before');

    const reconnecting = reaches(transport, 'reconnecting');
    await first.close();
    await within("the client's state 'reconnecting'", reconnecting);
    // Without the option the request fails at once, as before, and the message names the option.
    await expect(within('a plain request while reconnecting', client.request('echo', 'plain'))).rejects.toMatchObject({
      code: 'TRANSPORT_CLOSED',
      message: expect.stringContaining('{ waitForReady: true }'),
    });

    const waiting = client.request('echo', 'waited', { waitForReady: true, timeout: 30_000 });
    expect(client.stats().pendingRequests).toBe(1);
    await echoServer(address).start();
    await expect(within('the waiting request to be answered by the new server', waiting)).resolves.toBe('waited');
    expect(transport.state).toBe('open');
  });
});
