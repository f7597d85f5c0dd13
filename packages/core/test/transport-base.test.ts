import { describe, expect, it } from '@jest/globals';
import { firstValueFrom } from 'rxjs';
import { BusError, Transport } from '../src/index.js';
import type { PeerId, TransportCapabilities } from '../src/index.js';

/** A transport whose start() waits until the test lets it finish. */
class GatedTransport extends Transport {
  readonly capabilities: TransportCapabilities;
  release: () => void = () => {};
  sent: Array<{ frame: Uint8Array; to?: PeerId }> = [];
  constructor(capabilities: Partial<TransportCapabilities> = {}) {
    super();
    this.capabilities = { duplex: true, broadcast: false, maxFrameSize: 16, reliable: true, ordered: true, ...capabilities };
  }
  protected doStart(): Promise<void> {
    return new Promise((resolve) => (this.release = resolve));
  }
  protected async doSend(frame: Uint8Array, to?: PeerId): Promise<void> {
    this.sent.push(to === undefined ? { frame } : { frame, to });
  }
  protected async doClose(): Promise<void> {}
}

describe('Transport base class', () => {
  it('replays closed to a subscriber that arrives after close()', async () => {
    const t = new GatedTransport();
    t.release();
    const starting = t.start();
    t.release();
    await starting;
    await t.close();
    await expect(firstValueFrom(t.state$)).resolves.toBe('closed');
  });

  it('rejects a start() that was still waiting when close() came', async () => {
    const t = new GatedTransport();
    const starting = t.start();
    const closing = t.close();
    t.release();
    await closing;
    await expect(starting).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    expect(t.state).toBe('closed');
  });

  it('validates send() once for every transport', async () => {
    const t = new GatedTransport();
    await expect(t.send(new Uint8Array(1))).rejects.toThrow(/not started yet/);
    const starting = t.start();
    t.release();
    await starting;
    await expect(t.send('text' as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(t.send(new Uint8Array(17))).rejects.toMatchObject({ code: 'FRAME_TOO_LARGE' });
    await expect(t.send(new Uint8Array(1), '')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await t.send(new Uint8Array(16), 'peer-1');
    expect(t.sent).toHaveLength(1);
    await t.close();
    await expect(t.send(new Uint8Array(1))).rejects.toBeInstanceOf(BusError);
    await expect(t.send(new Uint8Array(1))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
  });

  it('refuses a destination on a one-way transport with NOT_SUPPORTED', async () => {
    const t = new GatedTransport({ duplex: false, broadcast: true });
    const starting = t.start();
    t.release();
    await starting;
    await expect(t.send(new Uint8Array(1), 'someone')).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    await t.close();
  });

  it('makes close() idempotent and completes frames$', async () => {
    const t = new GatedTransport();
    let completed = false;
    t.frames$.subscribe({ complete: () => (completed = true) });
    await Promise.all([t.close(), t.close()]);
    expect(completed).toBe(true);
    await expect(t.start()).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
  });
});
