import type { InboundFrame, PeerEvent, Transport } from '@pipebus/core';

/** Everything a transport receives, gathered as it arrives. */
export interface Received {
  readonly frames: InboundFrame[];
  readonly peers: PeerEvent[];
  /** The received frames' bytes as plain arrays, for readable expectations. */
  bytes(): number[][];
}

/** Subscribes to a transport's frames and peer events (before start, so nothing is missed). */
export function record(transport: Transport): Received {
  const frames: InboundFrame[] = [];
  const peers: PeerEvent[] = [];
  transport.frames$.subscribe((f) => frames.push(f));
  transport.peers$.subscribe((e) => peers.push(e));
  return { frames, peers, bytes: () => frames.map((f) => Array.from(f.data)) };
}

/** Shorthand for a small frame. */
export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}
