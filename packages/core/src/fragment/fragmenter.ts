import { requireCjs } from '../cjs-require.js';
import { BusError, invalidArgument } from '../errors/bus-error.js';
import { FRAGMENT_HEADER_SIZE, MAX_FRAGMENT_COUNT, writeFragmentHeader } from './fragment-header.js';

const U32_LIMIT = 0x1_0000_0000;

/** Options of a {@link Fragmenter}. */
export interface FragmenterOptions {
  /**
   * u32 that tells this sender's fragments apart from other senders' on a
   * shared medium (a mailslot has many writers and no peer identity).
   * Default: random, so two bus instances in one process differ too.
   */
  senderId?: number;
  /**
   * u32 sequence of the first message split. Default 0. Mostly for tests of
   * wraparound; receivers do not care where a sender starts.
   */
  initialSequence?: number;
}

/**
 * Splits one encoded message frame into fragment frames that each fit a
 * transport's `maxFrameSize` (header included). The receiving side puts them
 * back together with a `FrameReassembler`.
 *
 * One instance per sending bus: the sequence it stamps on each message is
 * what lets receivers keep concurrent messages of the same sender apart.
 *
 * @example
 * ```ts
 * const fragmenter = new Fragmenter();
 * const frames = message.length > caps.maxFrameSize
 *   ? fragmenter.split(message, caps.maxFrameSize)
 *   : [message];
 * for (const frame of frames) await transport.send(frame);
 * ```
 */
export class Fragmenter {
  #senderId: number | undefined;
  #sequence: number;

  constructor(options: FragmenterOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw invalidArgument('Fragmenter options must be an object, e.g. new Fragmenter({ senderId: 42 })');
    }
    // A random id is drawn on first need: every bus makes a Fragmenter, and
    // most (a named pipe's) never split a message.
    if (options.senderId !== undefined) this.#senderId = checkU32('senderId', options.senderId);
    this.#sequence = options.initialSequence === undefined ? 0 : checkU32('initialSequence', options.initialSequence);
  }

  /** The u32 stamped on every fragment this instance produces. */
  get senderId(): number {
    return (this.#senderId ??= randomU32());
  }

  /**
   * Splits `message` into fragment frames of at most `maxFrameSize` bytes
   * each, header included. Every frame but the last is exactly
   * `maxFrameSize` bytes long. Each call uses the next message sequence
   * (wrapping at 2^32), so call it once per message and send every frame it
   * returns.
   *
   * Each returned frame is its own allocation (header and chunk together), so
   * transports may hand them to the OS as they are.
   *
   * @throws BusError `INVALID_ARGUMENT` when `maxFrameSize` is not an integer
   *   larger than {@link FRAGMENT_HEADER_SIZE} or `message` is empty;
   *   `FRAME_TOO_LARGE` when the message would need more than 65535 fragments.
   */
  split(message: Uint8Array, maxFrameSize: number): Uint8Array[] {
    if (!(message instanceof Uint8Array)) {
      throw invalidArgument(`Fragmenter.split: message must be a Uint8Array, got ${describe(message)}`);
    }
    if (!Number.isSafeInteger(maxFrameSize) || maxFrameSize <= FRAGMENT_HEADER_SIZE) {
      throw invalidArgument(
        `Fragmenter.split: maxFrameSize must be an integer greater than the ${FRAGMENT_HEADER_SIZE}-byte fragment header, got ${String(maxFrameSize)}; check the transport's capabilities.maxFrameSize`,
        { maxFrameSize },
      );
    }
    const total = message.length;
    if (total === 0) {
      throw invalidArgument('Fragmenter.split: message is empty; an encoded message frame always has at least one byte');
    }
    const chunkSize = maxFrameSize - FRAGMENT_HEADER_SIZE;
    const count = Math.ceil(total / chunkSize);
    if (count > MAX_FRAGMENT_COUNT || total >= U32_LIMIT) {
      const limit = Math.min(MAX_FRAGMENT_COUNT * chunkSize, U32_LIMIT - 1);
      throw new BusError(
        'FRAME_TOO_LARGE',
        `message of ${total} bytes needs ${count} fragments of ${chunkSize} bytes, more than the ${MAX_FRAGMENT_COUNT} a fragment header can number; at maxFrameSize ${maxFrameSize} a message may have at most ${limit} bytes: send smaller messages or use a transport with larger frames`,
        { details: { size: total, maxFrameSize, fragments: count, limit } },
      );
    }

    const sequence = this.#sequence;
    this.#sequence = (sequence + 1) >>> 0;

    const senderId = this.senderId;
    const frames = new Array<Uint8Array>(count);
    for (let index = 0, offset = 0; index < count; index++, offset += chunkSize) {
      const end = Math.min(offset + chunkSize, total);
      const frame = new Uint8Array(FRAGMENT_HEADER_SIZE + (end - offset));
      writeFragmentHeader(frame, senderId, sequence, index, count, total);
      frame.set(message.subarray(offset, end), FRAGMENT_HEADER_SIZE);
      frames[index] = frame;
    }
    return frames;
  }
}

/**
 * A random u32 from `node:crypto`, loaded on first use: that module and the
 * internals it pulls in are ~0.15 MB of heap, which a process that never
 * fragments should not carry.
 */
function randomU32(): number {
  return (requireCjs('node:crypto') as typeof import('node:crypto')).randomInt(0, U32_LIMIT);
}

function checkU32(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= U32_LIMIT) {
    throw invalidArgument(`Fragmenter: ${name} must be an integer from 0 to ${U32_LIMIT - 1} (u32), got ${describe(value)}`, {
      [name]: value,
    });
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}
