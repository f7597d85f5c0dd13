import { describe, expect, it } from '@jest/globals';
import type { TransportState } from '@pipebus/core';
import { MockNetwork, type ConnectOptions } from '@pipebus/transport-mock';
import { bytes, record } from './helpers.js';

async function pipe(options: ConnectOptions = {}) {
  const network = new MockNetwork();
  const server = network.listen('orders');
  const client = network.connect('orders', options);
  const atServer = record(server);
  const atClient = record(client);
  const states: TransportState[] = [];
  client.state$.subscribe((s) => states.push(s));
  await server.start();
  await client.start();
  return { network, server, client, atServer, atClient, states };
}

describe('disconnect and reconnect', () => {
  it('closes a client without reconnect when its listener is disconnected, with peer events on both sides', async () => {
    const { network, client, atServer, atClient, states } = await pipe();
    await network.disconnect('orders');
    expect(atServer.peers.map((e) => e.type)).toEqual(['connected', 'disconnected']);
    expect(atServer.peers[1]).toMatchObject({ peer: { id: client.id }, reason: "network.disconnect('orders')" });
    expect(atClient.peers.map((e) => e.type)).toEqual(['connected', 'disconnected']);
    expect(states).toEqual(['idle', 'connecting', 'open', 'closed']);
    await expect(client.send(bytes(1))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
  });

  it('parks a reconnecting client until restore(), then reopens it with peer events on both sides', async () => {
    const { network, server, client, atServer, atClient, states } = await pipe({ reconnect: true });
    await network.disconnect('orders');
    expect(client.state).toBe('reconnecting');
    await expect(client.send(bytes(1))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await expect(server.send(bytes(1), client.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await network.clock.advance(1_000); // nothing heals by itself
    expect(client.state).toBe('reconnecting');
    await network.restore('orders');
    expect(states).toEqual(['idle', 'connecting', 'open', 'reconnecting', 'open']);
    expect(atServer.peers.map((e) => `${e.type} ${e.peer.id}`)).toEqual([`connected ${client.id}`, `disconnected ${client.id}`, `connected ${client.id}`]);
    expect(atClient.peers.map((e) => e.type)).toEqual(['connected', 'disconnected', 'connected']);
    await client.send(bytes(2));
    await network.clock.advance(0);
    expect(atServer.bytes()).toEqual([[2]]);
  });

  it('disconnects one client by peer id and leaves the others connected', async () => {
    const { network, server, client } = await pipe({ reconnect: true });
    const other = network.connect('orders');
    await other.start();
    await network.disconnect(client.id);
    expect(server.peers.map((p) => p.id)).toEqual([other.id]);
    expect([client.state, other.state]).toEqual(['reconnecting', 'open']);
    await network.restore(client.id);
    expect(client.state).toBe('open');
  });

  it('loses frames in flight on a severed link and records them as dropped', async () => {
    const { network, client, atServer } = await pipe();
    network.setFaults({ delay: 10 });
    await client.send(bytes(1));
    await network.disconnect('orders');
    await network.clock.advance(10);
    expect(atServer.frames).toEqual([]);
    expect(network.traffic[0]).toMatchObject({ fate: 'dropped', dropReason: 'severed', faults: ['delayed'] });
  });

  it('disconnects every client when the listener closes; a new listener brings reconnecting clients back', async () => {
    const { network, server, client, atClient } = await pipe({ reconnect: true });
    const plain = network.connect('orders');
    await plain.start();
    await server.close();
    expect([client.state, plain.state]).toEqual(['reconnecting', 'closed']);
    expect(atClient.peers.at(-1)).toMatchObject({ type: 'disconnected', reason: 'listener closed' });
    const replacement = network.listen('orders');
    const atReplacement = record(replacement);
    await replacement.start();
    expect(client.state).toBe('open');
    expect(atReplacement.peers).toEqual([{ type: 'connected', peer: expect.objectContaining({ id: client.id }) }]);
  });

  it('lets a restarted listener lift an earlier disconnect of its address', async () => {
    const { network, server, client } = await pipe({ reconnect: true });
    await network.disconnect('orders');
    await server.close();
    await network.listen('orders').start();
    expect(client.state).toBe('open');
  });

  it('records dropPeer and disconnects that client, which reconnects at once if it may', async () => {
    const { network, server, client, atServer } = await pipe({ reconnect: true });
    const plain = network.connect('orders');
    await plain.start();
    server.dropPeer(plain.id, 'sent garbage');
    server.dropPeer(client.id, 'sent garbage too');
    server.dropPeer('ghost#1', 'unknown peers are recorded too');
    await network.clock.advance(0);
    expect(server.dropped).toEqual([
      { peer: plain.id, reason: 'sent garbage' },
      { peer: client.id, reason: 'sent garbage too' },
      { peer: 'ghost#1', reason: 'unknown peers are recorded too' },
    ]);
    expect(plain.state).toBe('closed');
    expect(client.state).toBe('open');
    expect(atServer.peers.filter((e) => e.peer.id === client.id).map((e) => [e.type, e.reason])).toEqual([
      ['connected', undefined],
      ['disconnected', 'sent garbage too'],
      ['connected', undefined],
    ]);
  });

  it("reports 'disconnected' on the listener when a client closes", async () => {
    const { client, atServer } = await pipe();
    await client.close();
    expect(atServer.peers.at(-1)).toMatchObject({ type: 'disconnected', peer: { id: client.id }, reason: 'client closed' });
  });
});
