import type { FrameMemory } from '../link/inbound-budget.js';

/** Bytes of the length prefix in front of every framed message (u32, big-endian). */
export const LENGTH_PREFIX_BYTES = 4;

/**
 * Smallest buffer an unfinished frame starts with. The body then grows
 * (doubling, never past the announced length) with the bytes that arrive,
 * so a peer that announces 16 MiB and sends 10 bytes holds 4 KiB, not 16 MiB.
 */
export const INITIAL_BODY_BYTES = 4096;

/** Why a byte stream cannot be framed any further. */
export interface FrameViolation {
  readonly kind: 'oversize';
  /** The length the prefix announced. */
  readonly length: number;
  readonly max: number;
}

/**
 * Splits a byte stream into length-prefixed frames (u32 big-endian length,
 * then that many bytes). A pure function of the bytes pushed in: no sockets.
 *
 * The announced length is checked against `maxFrameSize` before anything is
 * allocated, and an unfinished frame's buffer grows with the bytes received
 * (see {@link INITIAL_BODY_BYTES}), never with the length announced: a peer
 * pays for the memory it makes us hold by sending it.
 * After a violation the decoder is poisoned: the stream has lost its frame
 * boundaries and nothing after it can be trusted.
 *
 * Given a {@link FrameMemory}, every growth is asked for first. A refused one
 * stalls the decoder: it keeps the rest of the chunk, and {@link stalledFor}
 * says how many bytes the rest of the frame needs; once they are granted,
 * {@link resume} goes on where it stopped. The caller stops reading meanwhile.
 */
export class FrameDecoder {
  readonly #max: number;
  readonly #header = Buffer.alloc(LENGTH_PREFIX_BYTES);
  #headerFill = 0;
  /** The unfinished frame's bytes so far (its capacity grows towards #bodyLength). */
  #body: Buffer | undefined;
  #bodyFill = 0;
  /** The length its prefix announced. */
  #bodyLength = 0;
  #violation: FrameViolation | undefined;
  readonly #memory: FrameMemory | undefined;
  /** While stalled: the bytes of the chunk not consumed yet, and what the frame needs to go on. */
  #rest: Uint8Array | undefined;
  #stalledFor = 0;
  /** Granted after a stall and not used yet: the next growth takes it instead of asking. */
  #prepaid = 0;
  /** Held (see hold()): no frame is handed out; the bytes wait in #rest. */
  #held = false;

  constructor(maxFrameSize: number, memory?: FrameMemory) {
    this.#max = maxFrameSize;
    this.#memory = memory;
  }

  /** Bytes a stalled decoder waits for (the rest of its frame); 0 when it is not stalled. */
  get stalledFor(): number {
    return this.#stalledFor;
  }

  /** The violation that stopped this decoder, if any. */
  get violation(): FrameViolation | undefined {
    return this.#violation;
  }

  /** True while a frame has started but not finished: at end of stream, that frame is truncated. */
  get midFrame(): boolean {
    return this.#headerFill > 0 || this.#body !== undefined;
  }

  /** Bytes a truncated frame was still missing (for the log line). */
  get missingBytes(): number {
    if (this.#body !== undefined) return this.#bodyLength - this.#bodyFill;
    return this.#headerFill > 0 ? LENGTH_PREFIX_BYTES - this.#headerFill : 0;
  }

  /**
   * Consumes `chunk`, calling `onFrame` for each completed frame. A frame
   * that lies whole in `chunk` is a view into it, others are copies: the
   * caller must not reuse a chunk's memory after pushing it (Node's sockets
   * hand out a fresh buffer per read). Returns the violation, if the chunk
   * contained one; frames before it were still delivered.
   */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): FrameViolation | undefined {
    if (this.#violation !== undefined) return this.#violation;
    if (this.#stalledFor > 0 || this.#held) {
      // The caller pauses its reads on a stall or a hold, but a chunk already on its way keeps its place in line.
      this.#rest = this.#rest === undefined ? chunk : Buffer.concat([this.#rest, chunk]);
      return undefined;
    }
    return this.#consume(chunk, onFrame);
  }

  /**
   * Hands out no more frames, from the next one on (also when called from
   * inside `onFrame`, mid-chunk): the rest of the chunk, and any chunk
   * pushed meanwhile, wait for {@link release}. A relay's flow control: the
   * frames of a read already taken would otherwise all be relayed.
   */
  hold(): void {
    this.#held = true;
  }

  /** Ends a {@link hold}: consumes what waited (unless a stall still waits for memory). */
  release(onFrame: (frame: Uint8Array) => void): FrameViolation | undefined {
    if (!this.#held) return this.#violation;
    this.#held = false;
    if (this.#violation !== undefined || this.#stalledFor > 0 || this.#rest === undefined) return this.#violation;
    const rest = this.#rest;
    this.#rest = undefined;
    return this.#consume(rest, onFrame);
  }

  /**
   * After the {@link stalledFor} bytes were granted (taken on this decoder's
   * behalf): consumes the bytes kept back. It may stall again, on a later frame.
   */
  resume(onFrame: (frame: Uint8Array) => void): FrameViolation | undefined {
    if (this.#stalledFor === 0 || this.#violation !== undefined) return this.#violation;
    this.#prepaid = this.#stalledFor;
    this.#stalledFor = 0;
    const rest = this.#rest!;
    this.#rest = undefined;
    return this.#consume(rest, onFrame);
  }

  #consume(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): FrameViolation | undefined {
    let at = 0;
    while (at < chunk.byteLength) {
      if (this.#held) {
        this.#rest = chunk.subarray(at);
        return undefined;
      }
      if (this.#body === undefined) {
        // Fast path: a whole header sits in the chunk and none is half-read.
        if (this.#headerFill === 0 && chunk.byteLength - at >= LENGTH_PREFIX_BYTES) {
          const length = ((chunk[at]! << 24) >>> 0) + (chunk[at + 1]! << 16) + (chunk[at + 2]! << 8) + chunk[at + 3]!;
          at += LENGTH_PREFIX_BYTES;
          if (length <= this.#max && chunk.byteLength - at >= length) {
            // The whole frame is in the chunk: hand out a view, no copy. (A view
            // of a socket's Buffer is a Buffer, which the msgpack codecs need
            // to decode `bin` payloads as Buffers.)
            onFrame(chunk.subarray(at, at + length));
            at += length;
            continue;
          }
          if (!this.#begin(length, onFrame)) return this.#violation;
          continue;
        }
        const take = Math.min(LENGTH_PREFIX_BYTES - this.#headerFill, chunk.byteLength - at);
        this.#header.set(chunk.subarray(at, at + take), this.#headerFill);
        this.#headerFill += take;
        at += take;
        if (this.#headerFill < LENGTH_PREFIX_BYTES) break;
        this.#headerFill = 0;
        if (!this.#begin(this.#header.readUInt32BE(0), onFrame)) return this.#violation;
        continue;
      }
      const take = Math.min(this.#bodyLength - this.#bodyFill, chunk.byteLength - at);
      const body = this.#room(take);
      if (body === undefined) {
        this.#rest = chunk.subarray(at);
        this.#stalledFor = this.#bodyLength - this.#body!.byteLength;
        return undefined;
      }
      body.set(chunk.subarray(at, at + take), this.#bodyFill);
      this.#bodyFill += take;
      at += take;
      if (this.#bodyFill === this.#bodyLength) {
        this.#body = undefined;
        this.#bodyFill = 0;
        this.#memory?.release();
        onFrame(body);
      }
    }
    return undefined;
  }

  /** Starts a frame of `length` bytes; false (and poisoned) when it is too long. */
  #begin(length: number, onFrame: (frame: Uint8Array) => void): boolean {
    if (length > this.#max) {
      this.#violation = { kind: 'oversize', length, max: this.#max };
      return false;
    }
    if (length === 0) {
      onFrame(new Uint8Array(0));
      return true;
    }
    // Empty until bytes come: see #room.
    this.#body = EMPTY;
    this.#bodyLength = length;
    this.#bodyFill = 0;
    return true;
  }

  /**
   * The body buffer, grown (doubling, capped at the announced length) to hold
   * `more` bytes; undefined when the memory for that was refused.
   */
  #room(more: number): Buffer | undefined {
    const body = this.#body!;
    const need = this.#bodyFill + more;
    if (need <= body.byteLength) return body;
    let capacity: number;
    if (this.#prepaid > 0) {
      // Granted after a stall: the rest of the frame at once.
      capacity = body.byteLength + this.#prepaid;
      this.#prepaid = 0;
    } else {
      capacity = Math.min(this.#bodyLength, Math.max(need, body.byteLength * 2, INITIAL_BODY_BYTES));
      if (this.#memory !== undefined && !this.#memory.take(capacity - body.byteLength)) return undefined;
    }
    // allocUnsafe: every byte is overwritten before the frame is handed out.
    const grown = Buffer.allocUnsafe(capacity);
    body.copy(grown, 0, 0, this.#bodyFill);
    this.#body = grown;
    return grown;
  }

  /** Bytes this decoder holds for an unfinished frame (for tests and stats). */
  get heldBytes(): number {
    return this.#body?.byteLength ?? 0;
  }
}

const EMPTY = Buffer.alloc(0);

/** The 4-byte big-endian length prefix for a frame of `length` bytes. */
export function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES);
  prefix.writeUInt32BE(length, 0);
  return prefix;
}
