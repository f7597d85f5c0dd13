/**
 * Bytes of one block of a partial message's buffer. Memory is taken a block
 * at a time as fragments land in it, so a first fragment that announces
 * 16 MiB costs one block, not 16 MiB of zeroed memory: at most ~10 times
 * the bytes of a 424-byte mailslot fragment, and each block is counted.
 */
export const BLOCK_SIZE = 4096;
/** log2 of {@link BLOCK_SIZE}: offsets are below 2^32, so `>>>` finds a block. */
const BLOCK_SHIFT = 12;

/**
 * Bytes of bookkeeping a message of `count` fragments holds besides its data
 * (one bit per fragment); counted with the data in every byte bound.
 */
export function bookkeepingBytes(count: number): number {
  return (count + 7) >>> 3;
}

/**
 * One message being put back together from its fragments (internal to this
 * folder). Its bytes live in blocks allocated as fragments arrive; `held`
 * is what it really holds, blocks plus bookkeeping.
 */
export class PartialMessage {
  /** Blocks by block number; a hole until a fragment lands in it. */
  readonly #blocks: (Uint8Array | undefined)[] = [];
  /** One bit per fragment index already copied in. */
  readonly #received: Uint8Array;
  #receivedCount = 0;
  #held: number;

  constructor(
    readonly key: string,
    readonly source: string,
    /** Whose quota it counts against: its sender's process where known, else `source`. */
    readonly owner: string,
    readonly count: number,
    readonly total: number,
    /** Bytes in every fragment but the last (the wire format's layout rule). */
    readonly chunkSize: number,
    readonly deadline: number,
  ) {
    this.#received = new Uint8Array(bookkeepingBytes(count));
    this.#held = this.#received.byteLength;
  }

  /** Bytes held now: blocks allocated plus bookkeeping. */
  get held(): number {
    return this.#held;
  }

  /** True once every fragment is in. */
  get complete(): boolean {
    return this.#receivedCount === this.count;
  }

  /** True when fragment `index` is already in. */
  has(index: number): boolean {
    return (this.#received[index >>> 3]! & (1 << (index & 7))) !== 0;
  }

  /** Bytes that adding `length` chunk bytes at fragment `index` would allocate. */
  growth(index: number, length: number): number {
    const start = index * this.chunkSize;
    const last = (start + length - 1) >>> BLOCK_SHIFT;
    const blocks = this.#blocks;
    let bytes = 0;
    for (let b = start >>> BLOCK_SHIFT; b <= last; b++) {
      if (b >= blocks.length || blocks[b] === undefined) bytes += this.#blockLength(b);
    }
    return bytes;
  }

  /** Copies the chunk of fragment `index` in (the caller checked `has` and made room). */
  add(index: number, chunk: Uint8Array): void {
    this.#received[index >>> 3] = this.#received[index >>> 3]! | (1 << (index & 7));
    this.#receivedCount++;
    const start = index * this.chunkSize;
    const end = start + chunk.byteLength;
    for (let at = start; at < end; ) {
      const b = at >>> BLOCK_SHIFT;
      let block = b < this.#blocks.length ? this.#blocks[b] : undefined;
      if (block === undefined) {
        block = this.#blocks[b] = new Uint8Array(this.#blockLength(b));
        this.#held += block.byteLength;
      }
      const offset = at - b * BLOCK_SIZE;
      const n = Math.min(block.byteLength - offset, end - at);
      block.set(chunk.subarray(at - start, at - start + n), offset);
      at += n;
    }
  }

  /** The whole message; call once `complete`. */
  join(): Uint8Array {
    if (this.#blocks.length === 1) return this.#blocks[0]!;
    const message = new Uint8Array(this.total);
    for (let b = 0; b < this.#blocks.length; b++) message.set(this.#blocks[b]!, b * BLOCK_SIZE);
    return message;
  }

  #blockLength(b: number): number {
    return Math.min(BLOCK_SIZE, this.total - b * BLOCK_SIZE);
  }
}
