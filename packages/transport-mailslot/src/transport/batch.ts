/**
 * The batch datagram: several small frames in one datagram, so a group send
 * of many small messages costs one `send()` per listener per batch instead of
 * one per message (and a unix socket's 10-datagram queue holds ten batches,
 * not ten messages).
 *
 * Layout (all integers little-endian):
 * ```
 * byte 0      BATCH_BYTE (0x1f): wire-version nibble 1, frame type 15, a type the bus never sends
 * byte 1      BATCH_FORMAT (1): the layout of what follows; a reader drops any other
 * bytes 2-3   count: frames in the batch, 1..MAX_BATCH_FRAMES
 * then count × { u16 length (1..65535), length bytes }, ending exactly at the datagram's end
 * ```
 * A reader that predates batches hands the datagram to its bus, which drops
 * it as "not a message frame (type 15)" (`DECODE_FAILED`, counted in the bus's
 * `decodeFailed` and logged): nothing crashes, but those messages are lost to
 * it, hence the transport's `batch: false` for groups that still have one.
 */

/** Byte 0 of a batch datagram; also why a lone frame starting with it is sent as a batch of one. */
export const BATCH_BYTE = 0x1f;
/** Byte 1: the batch layout version. */
export const BATCH_FORMAT = 1;
/** Bytes before the first frame. */
export const BATCH_HEADER = 4;
/** Bytes before each frame (its length). */
export const BATCH_ENTRY_HEADER = 2;
/** The most frames one batch carries: bounds the work one datagram makes a reader do. */
export const MAX_BATCH_FRAMES = 1024;
/** The largest frame a batch carries (its length is a u16); larger frames go alone. */
export const MAX_BATCHED_FRAME = 0xffff;

/**
 * The largest batch datagram, whatever `frameSize` allows (Windows allows
 * 4 MiB): a batch's buffer is allocated whole, and past a few hundred frames
 * a bigger one saves nothing measurable.
 */
export const MAX_BATCH_BYTES = 65536;

/** True when `data` claims to be a batch (a reader then unpacks it, or drops it as malformed). */
export function isBatch(data: Uint8Array): boolean {
  return data.length !== 0 && data[0] === BATCH_BYTE;
}

/**
 * Checks a whole batch before handing out any frame of it, then calls `emit`
 * with each (views into `data`). Returns undefined when it was delivered, or
 * why it was dropped whole: a batch that lies about itself is not partly
 * believed.
 */
export function unpackBatch(data: Uint8Array, emit: (frame: Uint8Array) => void): string | undefined {
  if (data.length < BATCH_HEADER) return `a ${data.length}-byte batch is shorter than its header`;
  if (data[1] !== BATCH_FORMAT) return `batch format ${data[1]} is not the format this reader knows (${BATCH_FORMAT})`;
  const count = data[2]! | (data[3]! << 8);
  if (count === 0 || count > MAX_BATCH_FRAMES) return `a batch claims ${count} frames (1 to ${MAX_BATCH_FRAMES} allowed)`;
  let at = BATCH_HEADER;
  for (let i = 0; i < count; i++) {
    if (at + BATCH_ENTRY_HEADER > data.length) return `a batch claims ${count} frames but holds ${i}`;
    const length = data[at]! | (data[at + 1]! << 8);
    if (length === 0) return `frame ${i} of a batch is empty`;
    at += BATCH_ENTRY_HEADER + length;
    if (at > data.length) return `frame ${i} of a batch claims ${length} bytes, past the datagram's end`;
  }
  if (at !== data.length) return `a batch of ${count} frames has ${data.length - at} bytes left over`;
  at = BATCH_HEADER;
  for (let i = 0; i < count; i++) {
    const length = data[at]! | (data[at + 1]! << 8);
    at += BATCH_ENTRY_HEADER;
    emit(data.subarray(at, at + length));
    at += length;
  }
  return undefined;
}
