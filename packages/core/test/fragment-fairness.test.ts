import { describe, expect, it } from '@jest/globals';
import type { Clock, TimerHandle } from '../src/clock/index.js';
import { FRAGMENT_HEADER_SIZE, Fragmenter, FrameReassembler } from '../src/transport-kit/index.js';
import { readFragmentHeader } from '../src/fragment/fragment-header.js';
import { firstFragment, patternBytes } from '@pipebus/test-support';

/** A clock whose time never moves: nothing expires during these tests. */
const stillClock: Clock = {
  now: () => 0,
  setTimeout: (): TimerHandle => ({}),
  clearTimeout: () => {},
};

const MiB = 1024 * 1024;

/** A first fragment (index 0 of 424-byte frames) announcing a message of `total` bytes. */
const claim = (senderId: number, sequence: number, total: number): Uint8Array => firstFragment(senderId, sequence, total);

describe('FrameReassembler fairness between senders', () => {
  it('reads the hand-written claim these tests send as core writes its own headers', () => {
    // test-support spells the wire out from the specification; this ties the two together.
    const frame = claim(7, 9, 5000);
    expect(readFragmentHeader(frame)).toEqual({ senderId: 7, sequence: 9, index: 0, count: Math.ceil(5000 / (424 - FRAGMENT_HEADER_SIZE)), total: 5000 });
    expect(frame[0]).toBe(0x11);
  });

  it('delivers an honest sender 200/200 while another claims 16 MiB per first fragment, within its per-sender bound', () => {
    const r = new FrameReassembler({ clock: stillClock });
    const perSender = 16 * MiB + 8192; // the default: maxMessageSize 16 MiB + its bookkeeping
    const fragmenter = new Fragmenter();
    let hostileSequence = 0;
    let delivered = 0;
    let mostHeld = 0;
    for (let m = 0; m < 200; m++) {
      const message = patternBytes(2000, m + 1);
      for (const fragment of fragmenter.split(message, 424)) {
        for (let k = 0; k < 5; k++) {
          // Plain checks, not expect(): this loop runs 5,000 times.
          if (r.push(claim(0xbad, hostileSequence++, 16 * MiB), 'hostile') !== undefined) throw new Error('a claim completed');
          mostHeld = Math.max(mostHeld, r.stats().largestSenderBytes);
        }
        const out = r.push(fragment, 'honest');
        if (out !== undefined) {
          expect(out).toEqual(message);
          delivered++;
        }
      }
    }
    expect(delivered).toBe(200);
    const stats = r.stats();
    // Memory grew with what the hostile sender really sent, not with its claims:
    // at most 256 partials (its share of 1024) of one 4 KiB block + 5 KiB of bookkeeping.
    expect(mostHeld).toBeLessThanOrEqual(perSender);
    expect(stats.bufferedBytes).toBeLessThanOrEqual(256 * (4096 + 5200));
    expect(stats.pendingMessages).toBeLessThanOrEqual(256);
    expect(stats.evicted).toBe(5_000 - 256);
    r.close();
  });

  it('evicts only the sender over its share, even when the global bound is reached', () => {
    const r = new FrameReassembler({ clock: stillClock, maxMessageSize: 1000, maxBufferedBytes: 4000, maxBufferedBytesPerSender: 2000, maxPendingMessages: 8, maxPendingMessagesPerSender: 4 });
    const honest = new Fragmenter().split(patternBytes(900), 424);
    r.push(honest[0]!, 'honest');
    // Three hostile identities, each filling its own share.
    for (let i = 0; i < 100; i++) r.push(claim(i, i, 1000), `hostile-${i % 3}`);
    expect(r.stats().pendingMessages).toBeLessThanOrEqual(8);
    expect(r.stats().bufferedBytes).toBeLessThanOrEqual(4000);
    // The honest message was never evicted: its last fragments complete it.
    expect(r.push(honest[1]!, 'honest')).toBeUndefined();
    expect(r.push(honest[2]!, 'honest')).toEqual(patternBytes(900));
  });

  it('holds memory in proportion to the fragments received, not to the announced total', () => {
    const r = new FrameReassembler({ clock: stillClock });
    r.push(claim(1, 1, 16 * MiB), 'peer');
    // One 4 KiB block and one bit per announced fragment.
    expect(r.stats().bufferedBytes).toBe(4096 + Math.ceil(Math.ceil((16 * MiB) / 406) / 8));
  });

  it('forgets a sender\'s partial messages when asked (its link is gone)', () => {
    const r = new FrameReassembler({ clock: stillClock });
    r.push(claim(1, 1, 5000), 'gone');
    r.push(claim(1, 2, 5000), 'stays');
    r.forgetSender('gone');
    expect(r.stats()).toMatchObject({ pendingMessages: 1, senders: 1 });
  });

  it('validates the per-sender options against the global ones, naming the range', () => {
    expect(() => new FrameReassembler({ maxMessageSize: 1000, maxBufferedBytes: 4000, maxBufferedBytesPerSender: 1000 })).toThrow(
      /maxBufferedBytesPerSender must be an integer from 1125 up to 4000/,
    );
    expect(() => new FrameReassembler({ maxPendingMessages: 8, maxPendingMessagesPerSender: 9 })).toThrow(/maxPendingMessagesPerSender must be a positive integer up to 8/);
    expect(() => new FrameReassembler({ maxMessageSize: 1000, maxBufferedBytes: 1000 })).toThrow(/maxBufferedBytes must be at least 1125/);
  });
});

describe('a sender with many peer ids (one process, a socket name per message)', () => {
  it('has one share per owner: many sources of one owner cannot evict another owner\'s message', () => {
    const r = new FrameReassembler({ clock: stillClock, maxMessageSize: 1000, maxBufferedBytes: 4000, maxBufferedBytesPerSender: 2000, maxPendingMessages: 8, maxPendingMessagesPerSender: 4 });
    const honest = new Fragmenter().split(patternBytes(900), 424);
    r.push(honest[0]!, 'honest', 'process 1');
    for (let i = 0; i < 100; i++) r.push(claim(1, i, 1000), `sybil-${i}`, 'process 2');
    // Process 2's share (2000 bytes) holds one 1000-byte claim at a time, whatever its names.
    expect(r.stats()).toMatchObject({ pendingMessages: 2, senders: 2 });
    expect(r.push(honest[1]!, 'honest', 'process 1')).toBeUndefined();
    expect(r.push(honest[2]!, 'honest', 'process 1')).toEqual(patternBytes(900));
    // A departing peer id takes only its own partials out of its owner's share.
    r.push(claim(1, 100, 1000), 'sybil-100', 'process 2');
    r.push(claim(2, 1, 900), 'other', 'process 2');
    r.forgetSender('sybil-100');
    expect(r.stats()).toMatchObject({ pendingMessages: 1, senders: 1 });
  });
});
