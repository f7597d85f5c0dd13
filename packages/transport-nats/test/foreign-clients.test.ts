// Other NATS clients may publish on our subjects. What has no reply-to of ours
// is counted and dropped by the transport; what claims a peer id but is not a
// pipebus frame gets that (self-declared) id rejected by the bus and dropped
// by the transport. Neither costs the bus its service to honest peers.
import { describe, expect, it } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import { MessageBus, silentLogger } from '@pipebus/core';
import { NatsTransport } from '@pipebus/transport-nats';
import { filter, firstValueFrom } from 'rxjs';
import { natsFixture } from './helpers.js';

const fixture = natsFixture();

describe('NatsTransport and messages from other NATS clients', () => {
  it('counts and drops strangers, rejects a forged peer that sends garbage, and keeps serving', async () => {
    const prefix = `foreign.f${process.pid}`;
    const serviceTransport = new NatsTransport({ servers: fixture.server.url, prefix, name: 'svc' });
    const service = new MessageBus(serviceTransport, { logger: silentLogger });
    const client = new MessageBus(new NatsTransport({ servers: fixture.server.url, prefix, name: 'cli' }), { logger: silentLogger });
    const stranger = await connect({ servers: fixture.server.url });
    try {
      service.handle('echo', (p) => p);
      await service.start();
      const heard = firstValueFrom(client.transport.peers$.pipe(filter((e) => e.type === 'connected')));
      await client.start();
      await heard;

      // No reply-to, and a reply-to outside our inboxes: not ours.
      stranger.publish(`${prefix}.all`, Uint8Array.of(1, 2, 3));
      stranger.publish(`${prefix}.all`, Uint8Array.of(1, 2, 3), { reply: '_INBOX.whatever' });
      stranger.publish(`${prefix}.in.${serviceTransport.peerId}.d`, new Uint8Array(64));
      // A forged id with bytes that are no pipebus frame (wire version 0).
      const dropped = firstValueFrom(serviceTransport.peers$.pipe(filter((e) => e.type === 'disconnected' && e.peer.id === 'forged')));
      stranger.publish(`${prefix}.all`, Uint8Array.of(0x00, 0xff), { reply: `${prefix}.in.forged.d` });
      await dropped;
      stranger.publish(`${prefix}.all`, Uint8Array.of(0x00, 0xff), { reply: `${prefix}.in.forged.d` });

      // The honest client is still served; its request travels after everything above (one server, in order per publisher, and the stranger flushed first).
      await stranger.flush();
      expect(await client.request('echo', { ok: true })).toEqual({ ok: true });
      await client.ping({ to: serviceTransport.peerId });
      // The bus told the forged peer why it was rejected: nobody listens on its inbox, and the server says so.
      expect(serviceTransport.stats()).toMatchObject({ foreignMessages: 3, bannedMessages: 1, noResponders: 1 });
      expect(service.stats().unsupportedVersion).toBe(1);
    } finally {
      await Promise.allSettled([client.close(), service.close(), stranger.close()]);
    }
  });
});
