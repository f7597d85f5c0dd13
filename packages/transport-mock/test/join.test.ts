import { describe, expect, it } from '@jest/globals';
import { MAILSLOT_CAPABILITIES, MockNetwork } from '@pipebus/transport-mock';
import { bytes, record } from './helpers.js';

describe('MockNetwork join (mailslot-style groups)', () => {
  it('delivers every frame to every other member, never back to the sender', async () => {
    const network = new MockNetwork();
    const [x, y, z] = [network.join('events'), network.join('events'), network.join('events')];
    const [atX, atY, atZ] = [record(x), record(y), record(z)];
    await Promise.all([x.start(), y.start(), z.start()]);
    await x.send(bytes(7));
    await network.clock.advance(0);
    expect(atX.bytes()).toEqual([]);
    expect(atY.bytes()).toEqual([[7]]);
    expect(atZ.bytes()).toEqual([[7]]);
    expect(atY.frames[0]!.peer.id).toBe(x.id);
    expect(network.framesBetween(x.id).map((t) => t.to)).toEqual([y.id, z.id]);
  });

  it('reports mailslot capabilities and rejects a frame above 424 bytes', async () => {
    const network = new MockNetwork();
    const member = network.join('events');
    await member.start();
    expect(member.capabilities).toEqual(MAILSLOT_CAPABILITIES);
    await expect(member.send(new Uint8Array(425))).rejects.toMatchObject({ code: 'FRAME_TOO_LARGE' });
  });

  it('rejects a send addressed to one peer with NOT_SUPPORTED', async () => {
    const network = new MockNetwork();
    const [x, y] = [network.join('events'), network.join('events')];
    await Promise.all([x.start(), y.start()]);
    await expect(x.send(bytes(1), y.id)).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
  });

  it('stops delivering to a member that closed, and keeps groups per address', async () => {
    const network = new MockNetwork();
    const [x, y] = [network.join('events'), network.join('events')];
    const other = network.join('audit');
    const atOther = record(other);
    await Promise.all([x.start(), y.start(), other.start()]);
    await y.close();
    await x.send(bytes(1));
    await network.clock.advance(0);
    expect(network.traffic).toEqual([]);
    expect(atOther.frames).toEqual([]);
  });

  it('refuses network.disconnect of a group: mailslots have no links to cut', async () => {
    const network = new MockNetwork();
    await network.join('events').start();
    await expect(network.disconnect('events')).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    await expect(network.disconnect('nothing-here')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
