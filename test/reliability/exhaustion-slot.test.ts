import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { filter, firstValueFrom, scan } from 'rxjs';
import { MessageBus, silentLogger } from '@pipebus/core';
import { MailslotTransport } from '@pipebus/transport-mailslot';
import { forkTs, nextMessage } from '@pipebus/test-support';
import { MB, isWindows } from './support/victim.js';
import { within } from './support/within.js';

/**
 * Reassembly under attack over real mailslots (424-byte frames, the domain
 * broadcast's size): a hostile process floods first fragments that claim
 * 16 MiB each while an honest process sends 200 fragmented messages. The
 * listener's reassembler must deliver every honest message and hold no more
 * than its per-sender share for the flooder, by its own counters.
 * POSIX only: a Windows mailslot does not say who sent a datagram, so there
 * every sender shares one quota (SECURITY.md).
 */
const FLOODER = path.join(__dirname, 'fixtures', 'fragment-flooder.ts');
const FRAME = 424;
const posixOnly = isWindows ? it.skip : it;
jest.setTimeout(120_000);

let runtimeDir = '';
beforeAll(() => {
  runtimeDir = isWindows ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'pb-reasm-'));
});
afterAll(() => {
  if (runtimeDir !== '') fs.rmSync(runtimeDir, { recursive: true, force: true });
});

describe('exhaustion: reassembly over mailslots', () => {
  posixOnly('an honest sender gets 200/200 through a flood of 16 MiB first fragments; the flooder holds at most its share (POSIX: senders are told apart by kernel pid)', async () => {
    const address = `mailslot://reasm-${process.pid}`;
    // The defaults: 16 MiB + 8 KiB per sender, 64 MiB and 1024 partials in all, 256 partials per sender.
    const perSender = 16 * MB + 8 * 1024;
    const slot = new MailslotTransport({ address, runtimeDir, mode: 'read', frameSize: FRAME, logger: silentLogger });
    const listener = new MessageBus(slot, { logger: silentLogger });
    const honest = new MessageBus(new MailslotTransport({ address, runtimeDir, mode: 'write', frameSize: FRAME, logger: silentLogger }), { logger: silentLogger });
    const all = firstValueFrom(listener.subscribe('honest.>').pipe(scan((n) => n + 1, 0), filter((n) => n === 200)));
    await listener.start();
    await honest.start();
    const flooder = forkTs(FLOODER, [slot.path, String(FRAME), '20000']);
    try {
      await within('the flooder starting', nextMessage(flooder, (m): m is { type: 'started' } => (m as { type?: string })?.type === 'started'));
      const done = nextMessage(flooder, (m): m is { type: 'done'; sent: number } => (m as { type?: string })?.type === 'done');
      let largest = 0;
      let held = 0;
      const payload = new Uint8Array(2000).fill(7);
      for (let i = 0; i < 200; i++) {
        await honest.publish(`honest.${i}`, payload);
        const r = listener.stats().reassembly;
        largest = Math.max(largest, r.largestSenderBytes);
        held = Math.max(held, r.bufferedBytes);
      }
      await within('all 200 honest messages', all, 60_000);
      const { sent } = await within('the flood ending', done, 60_000);
      const r = listener.stats().reassembly;
      console.log(`reassembly under a flood of ${sent} first fragments claiming 16 MiB each (${(sent * FRAME / MB).toFixed(1)} MB): honest 200/200; largest sender held at most ${(largest / MB).toFixed(2)} MB (share ${(perSender / MB).toFixed(2)} MB, 256 partials); all senders at most ${(held / MB).toFixed(2)} MB; evicted ${r.evicted}`);
      expect(largest).toBeLessThanOrEqual(perSender);
      expect(held).toBeLessThanOrEqual(64 * MB);
    } finally {
      flooder.kill('SIGKILL');
      await Promise.all([honest.close(), listener.close()]);
    }
  });
});
