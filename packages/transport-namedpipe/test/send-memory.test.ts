import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { BusError } from '@pipebus/core';
import { PipeLink } from '../src/link/pipe-link.js';
import { emptyStats } from '../src/link/pipe-stats.js';
import { filter, firstValueFrom } from 'rxjs';
import { makeRuntimeDir, Pool, socketPair, uniqueAddress, within } from './helpers.js';

// What a queue of sends to a peer that never reads costs in heap, measured
// from the process's own counters after a full GC.
v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const undo of cleanup.splice(0)) undo();
});

/** Our end of a socket pair whose far end never reads. */
async function stuckPair(): Promise<net.Socket> {
  const pair = await socketPair('mem', { pauseOnConnect: true });
  cleanup.push(pair.close);
  return pair.ours;
}

function heap(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

describe('send queue memory', () => {
  it('a peer that never reads costs at most maxPendingSendBytes of heap (plus slack), and sends beyond it fail BUSY', async () => {
    const socket = await stuckPair();
    const limit = 4 * 1024 * 1024;
    // Slack: the socket's own buffer (64 KiB here), the 100 k settled promises awaiting GC
    // between turns, and heap noise. Without the per-frame charge the same run grows by ~200 MB.
    const slack = 2 * 1024 * 1024;
    const l = new PipeLink(socket, { raw: false, maxFrameSize: 1 << 20, maxPendingSendBytes: limit, pauseReadsWhenBlocked: false, label: 'stuck' }, emptyStats(), { onFrame: () => {}, onClose: () => {} });
    const before = heap();
    const codes = new Set<string>();
    let busy = 0;
    let taken = 0;
    const count = 300_000;
    for (let i = 0; i < count; i++) {
      l.send(new Uint8Array(16)).then(
        () => taken++,
        (e: BusError) => {
          busy++;
          codes.add(e.code);
        },
      );
      // Let rejections settle now and then, as a real sender's loop would; no timing is involved.
      if (i % 10_000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setImmediate(resolve));
    const grown = heap() - before;
    const waiting = count - busy - taken;
    expect(grown).toBeLessThan(limit + slack);
    expect(waiting).toBeGreaterThan(1000);
    expect(busy).toBeGreaterThan(count / 2);
    expect([...codes]).toEqual(['BUSY']);
  }, 60_000);

  it('a relay server broadcasting to a subscriber that never reads drops it within the bound, and keeps its heap', async () => {
    const pool = new Pool(makeRuntimeDir());
    cleanup.push(() => void pool.closeAll());
    const address = uniqueAddress('relay');
    const limit = 2 * 1024 * 1024;
    const server = pool.server(address, { maxPendingSendBytes: limit });
    await server.start();
    const connected = firstValueFrom(server.peers$.pipe(filter((e) => e.type === 'connected')));
    const stuck = net.connect(server.path); // never reads
    stuck.pause();
    stuck.on('error', () => undefined);
    cleanup.push(() => stuck.destroy());
    await within('the subscriber to connect', connected);
    const gone = firstValueFrom(server.peers$.pipe(filter((e) => e.type === 'disconnected')));
    const before = heap();
    let peak = 0;
    for (let i = 0; i < 200_000 && server.peers.length > 0; i++) {
      void server.send(new Uint8Array(16)).catch(() => undefined);
      if (i % 5_000 === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        peak = Math.max(peak, heap() - before);
      }
    }
    const event = await within('the stuck subscriber to be dropped', gone);
    expect(event.reason).toMatch(/not reading/);
    expect(server.stats().floodDrops).toBe(1);
    // Counting frame bytes only, the same run held ~70 MB before the drop.
    expect(peak).toBeLessThan(limit + 2 * 1024 * 1024);
  }, 60_000);
});
