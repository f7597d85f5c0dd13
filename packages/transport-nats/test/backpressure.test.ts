// nats.js buffers publishes without bound. Past maxUnconfirmedBytes the
// transport's send() resolves only once the server confirmed it read what
// came before (a flush), so a producer that awaits its sends waits for the
// link; below it, sends are taken at once (FRAME_TAKEN).
import { describe, expect, it } from '@jest/globals';
import { FRAME_TAKEN } from '@pipebus/core';
import { NatsTransport } from '@pipebus/transport-nats';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { natsFixture } from './helpers.js';

const fixture = natsFixture();

describe('NatsTransport backpressure', () => {
  it('takes sends at once up to maxUnconfirmedBytes, then makes them wait for the server, and delivers all', async () => {
    const prefix = `bp.b${process.pid}`;
    const a = new NatsTransport({ servers: fixture.server.url, prefix, name: 'a' });
    const b = new NatsTransport({ servers: fixture.server.url, prefix, name: 'b', maxUnconfirmedBytes: 100_000 });
    try {
      await a.start();
      const heard = firstValueFrom(b.peers$.pipe(filter((e) => e.type === 'connected')));
      await b.start();
      await heard;
      const arriving = firstValueFrom(a.frames$.pipe(take(10), toArray()));
      const sends = Array.from({ length: 10 }, (_, i) => b.send(new Uint8Array(30_000).fill(i)));
      // 30 000, 60 000, 90 000 bytes: taken; 120 000 passes the mark, and every send after it waits too.
      expect(sends.map((p) => p === FRAME_TAKEN)).toEqual([true, true, true, false, false, false, false, false, false, false]);
      await Promise.all(sends);
      // Confirmed: the count starts again.
      expect(b.send(new Uint8Array(30_000)) === FRAME_TAKEN).toBe(true);
      expect((await arriving).map((f) => f.data[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      await Promise.allSettled([b.close(), a.close()]);
    }
  });
});
