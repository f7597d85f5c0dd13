/**
 * The write side's batches: the small frames a link sends in one tick,
 * copied behind their length prefixes into one buffer (see `PipeLink`), and
 * that buffer shared by the links that flush the very same frames next.
 */

/** The small frames of one tick, written as one buffer. */
export interface Batch {
  readonly frames: Uint8Array[];
  bytes: number;
}

/** Frames up to this size are copied behind their prefix into the tick's batch buffer. */
export const COALESCE_LIMIT = 16 * 1024;
/** A batch is written early once it holds this much, so one buffer never grows large. */
export const BATCH_LIMIT = 64 * 1024;

/**
 * The buffer the last link built for its batch, with that batch's frames,
 * until the microtasks of the turn that built it run. A broadcast or a relay
 * sends the same frames, in the same order, to every peer, and their links
 * flush one after the other: the next link whose batch holds the very same
 * frames writes this buffer too instead of copying them again (the hub's
 * profile had the copy at 13% of its time, once per peer per frame).
 */
let lastBuilt: { readonly frames: readonly Uint8Array[]; readonly buffer: Buffer } | undefined;
const forgetLastBuilt = (): void => {
  lastBuilt = undefined;
};

/** Whether two batches hold the same frame objects in the same order. */
function sameFrames(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One buffer with each frame of `batch` behind its length prefix; kept as {@link lastBuilt}. */
function build(batch: Batch): Buffer {
  const buffer = Buffer.allocUnsafe(batch.bytes);
  let at = 0;
  for (const frame of batch.frames) {
    buffer.writeUInt32BE(frame.byteLength, at);
    buffer.set(frame, at + 4);
    at += 4 + frame.byteLength;
  }
  // Forgotten once this turn's microtasks run: a buffer is shared within one burst of flushes, never held longer.
  if (lastBuilt === undefined) queueMicrotask(forgetLastBuilt);
  lastBuilt = { frames: batch.frames, buffer };
  return buffer;
}

/** The buffer to write for `batch`: the one the previous link built when it holds the same frames, else a new one. */
export function batchBuffer(batch: Batch): Buffer {
  const built = lastBuilt;
  return built !== undefined && sameFrames(built.frames, batch.frames) ? built.buffer : build(batch);
}
