import { describe, expect, it } from '@jest/globals';
import { MockNetwork, NAMED_PIPE_CAPABILITIES } from '@pipebus/transport-mock';
import { bytes, record } from './helpers.js';

describe('MockNetwork listen/connect', () => {
  it('connects a client, giving each side the other as a peer with a fake pid', async () => {
    const network = new MockNetwork();
    const server = network.listen('orders');
    const client = network.connect('orders', { name: 'web', pid: 4242 });
    const atServer = record(server);
    const atClient = record(client);
    await server.start();
    await client.start();
    expect(client.id).toMatch(/^web#\d+$/);
    expect(atServer.peers).toEqual([{ type: 'connected', peer: { id: client.id, pid: 4242, address: 'orders' } }]);
    expect(atClient.peers).toEqual([{ type: 'connected', peer: { id: 'server:orders', pid: server.pid, address: 'orders' } }]);
    expect(server.peers.map((p) => p.id)).toEqual([client.id]);
    expect(server.capabilities).toEqual({ ...NAMED_PIPE_CAPABILITIES, server: true });
    expect(client.capabilities).toEqual(NAMED_PIPE_CAPABILITIES);
  });

  it('delivers without time passing, as copies the sender may reuse', async () => {
    const network = new MockNetwork();
    const server = network.listen('orders');
    const client = network.connect('orders');
    const atServer = record(server);
    await server.start();
    await client.start();
    const buffer = bytes(1, 2, 3);
    await client.send(buffer);
    buffer[0] = 99; // reused by the sender
    await network.clock.advance(0);
    expect(atServer.bytes()).toEqual([[1, 2, 3]]);
    expect(atServer.frames[0]!.peer.id).toBe(client.id);
    expect(network.clock.now()).toBe(0);
    expect(network.traffic[0]).toMatchObject({ from: client.id, to: 'orders', size: 3, fate: 'delivered' });
  });

  it('sends to one client by peer id, or to every client without one', async () => {
    const network = new MockNetwork();
    const server = network.listen('orders');
    const one = network.connect('orders');
    const two = network.connect('orders');
    const atOne = record(one);
    const atTwo = record(two);
    await server.start();
    await Promise.all([one.start(), two.start()]);
    await server.send(bytes(1), two.id);
    await server.send(bytes(2));
    await network.clock.advance(0);
    expect(atOne.bytes()).toEqual([[2]]);
    expect(atTwo.bytes()).toEqual([[1], [2]]);
  });

  it('rejects a send to an unknown peer with NOT_FOUND', async () => {
    const network = new MockNetwork();
    const server = network.listen('orders');
    const client = network.connect('orders');
    await server.start();
    await client.start();
    await expect(server.send(bytes(1), 'ghost#9')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(client.send(bytes(1), 'ghost#9')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(client.send(bytes(1), 'server:orders')).resolves.toBeUndefined();
  });

  it('rejects a second listener on one address with ADDRESS_IN_USE, and accepts one after the first closed', async () => {
    const network = new MockNetwork();
    const first = network.listen('orders');
    await first.start();
    const second = network.listen('orders');
    await expect(second.start()).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
    expect(second.state).toBe('idle');
    await first.close();
    await expect(second.start()).resolves.toBeUndefined();
  });

  it('rejects connect with NOT_FOUND at once when nobody listens', async () => {
    const network = new MockNetwork();
    const client = network.connect('nobody');
    await expect(client.start()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(client.state).toBe('idle');
  });

  it('waits in virtual time for a listener that appears within waitMs', async () => {
    const network = new MockNetwork();
    const client = network.connect('late', { waitMs: 100 });
    const started = client.start();
    const server = network.listen('late');
    network.clock.setTimeout(() => void server.start(), 50);
    await network.clock.advance(50);
    await expect(started).resolves.toBeUndefined();
    expect(network.clock.now()).toBe(50);
    expect(client.state).toBe('open');
    expect(server.peers.map((p) => p.id)).toEqual([client.id]);
    expect(network.clock.pendingTimers).toBe(0); // the wait's timeout was cancelled
  });

  it('fails a waiting connect with NOT_FOUND when waitMs passes without a listener', async () => {
    const network = new MockNetwork();
    const client = network.connect('never', { waitMs: 100 });
    const started = client.start();
    let settled = false;
    started.catch(() => undefined).finally(() => (settled = true));
    await network.clock.advance(99);
    expect(settled).toBe(false);
    await network.clock.advance(1);
    await expect(started).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('rejects a waiting start with TRANSPORT_CLOSED when the client is closed meanwhile', async () => {
    const network = new MockNetwork();
    const client = network.connect('never', { waitMs: 100 });
    const started = client.start();
    await client.close();
    await expect(started).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    expect(network.clock.pendingTimers).toBe(0);
  });

  it('honours capability overrides, including maxFrameSize', async () => {
    const network = new MockNetwork();
    const server = network.listen('small', { capabilities: { maxFrameSize: 8 } });
    await server.start();
    expect(server.capabilities.maxFrameSize).toBe(8);
    await expect(server.send(new Uint8Array(9))).rejects.toMatchObject({ code: 'FRAME_TOO_LARGE' });
  });

  it('keeps networks apart: an address on one is unknown on another', async () => {
    const one = new MockNetwork();
    const two = new MockNetwork();
    await one.listen('orders').start();
    await expect(two.connect('orders').start()).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
