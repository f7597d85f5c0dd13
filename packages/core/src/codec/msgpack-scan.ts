import type { DecodeLimits } from './decode-limits.js';
import { tooDeep, tooManyElements } from './decode-limits.js';

/** msgpackr's record definition: fixext1 0x72, then the keys array, then the first record's values. */
const RECORD = 0x72;
const BIGINT = 0x42;
const SET = 0x73;
/**
 * Extensions whose reader reads the value that follows (Error, structured-clone
 * id, Set, RegExp): the extension and that value are one element in their
 * container, and the reader recurses into it like a container of one.
 */
const PREFIX = new Set([0x65, 0x69, SET, 0x78]);
/** Bundled strings: msgpackr jumps ahead to the bundle and back, which pipebus never writes. */
const BUNDLE = 0x62;

/**
 * Counts the elements of the msgpack value in `bytes[start..end)` and its
 * nesting depth, without allocating anything per element, the way msgpackr
 * reads it: a record reference (0x40–0x7f after a definition in the same
 * frame) is an object of the defined number of values, a Set, Error or
 * RegExp extension wraps the value after it. Returns why the frame must be
 * refused, or undefined when it is within `limits` and well-formed as far
 * as the count can tell (the decoder still checks the rest).
 *
 * The count is exact in one sense that does not depend on reading msgpackr
 * right: every header in the frame is counted once (a frame is accepted only
 * if its values end exactly at `end`), and msgpackr creates at most one value
 * per header — except a Set built from a string or binary, one per byte, and
 * a BigInt, whose cost grows faster than its bytes: those count by bytes.
 */
export function scanMsgpack(bytes: Uint8Array, start: number, end: number, limits: DecodeLimits): string | undefined {
  const { maxElements, maxDepth } = limits;
  // remaining[d]: values still to read in the container at depth d (0: the top value).
  const remaining = new Float64Array(maxDepth + 2);
  // After a record definition's keys array: the record id whose length to set when it ends.
  const installAt = new Int16Array(maxDepth + 2).fill(-1);
  const installLength = new Float64Array(maxDepth + 2);
  // Values of each record id defined so far in this frame; -1: undefined (the byte is an integer).
  const records = new Float64Array(64).fill(-1);
  let depth = 0;
  remaining[0] = 1;
  let count = 0;
  let setPending = false;
  let p = start;
  for (;;) {
    while (remaining[depth] === 0) {
      if (depth === 0) return p === end ? undefined : `${end - p} bytes after the value`;
      depth--;
      if (installAt[depth]! >= 0) {
        records[installAt[depth]!] = installLength[depth]!;
        installAt[depth] = -1;
      }
    }
    if (p >= end) return 'frame ends inside a value';
    remaining[depth]!--;
    if (++count > maxElements) return tooManyElements(limits);
    const token = bytes[p++]!;
    const inSet = setPending;
    setPending = false;
    // Either a container of `children` values or a scalar followed by `skip` bytes.
    let children = -1;
    let skip = 0;
    if (token < 0x80) {
      if (token < 0x40 || records[token & 0x3f]! < 0) continue;
      children = records[token & 0x3f]!;
    } else if (token < 0x90) {
      children = (token - 0x80) * 2;
    } else if (token < 0xa0) {
      children = token - 0x90;
    } else if (token < 0xc0) {
      skip = token - 0xa0;
    } else if (token >= 0xe0) {
      continue;
    } else {
      const left = end - p;
      switch (token) {
        case 0xc0:
        case 0xc1:
        case 0xc2:
        case 0xc3:
          continue;
        case 0xc4:
        case 0xd9:
          if (left < 1) return 'frame ends inside a header';
          skip = bytes[p++]!;
          break;
        case 0xc5:
        case 0xda:
          if (left < 2) return 'frame ends inside a header';
          skip = (bytes[p]! << 8) | bytes[p + 1]!;
          p += 2;
          break;
        case 0xc6:
        case 0xdb:
          if (left < 4) return 'frame ends inside a header';
          skip = bytes[p]! * 0x1000000 + ((bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!);
          p += 4;
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          skip = 4;
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          skip = 8;
          break;
        case 0xcc:
        case 0xd0:
          skip = 1;
          break;
        case 0xcd:
        case 0xd1:
          skip = 2;
          break;
        case 0xdc:
        case 0xde:
          if (left < 2) return 'frame ends inside a header';
          children = ((bytes[p]! << 8) | bytes[p + 1]!) * (token === 0xde ? 2 : 1);
          p += 2;
          break;
        case 0xdd:
        case 0xdf:
          if (left < 4) return 'frame ends inside a header';
          children = (bytes[p]! * 0x1000000 + ((bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!)) * (token === 0xdf ? 2 : 1);
          p += 4;
          break;
        default: {
          // Extensions: fixext 1/2/4/8/16 (0xd4–0xd8), ext 8/16/32 (0xc7–0xc9).
          let length: number;
          if (token >= 0xd4) length = 1 << (token - 0xd4);
          else if (token === 0xc7) {
            if (left < 1) return 'frame ends inside a header';
            length = bytes[p++]!;
          } else if (token === 0xc8) {
            if (left < 2) return 'frame ends inside a header';
            length = (bytes[p]! << 8) | bytes[p + 1]!;
            p += 2;
          } else {
            if (left < 4) return 'frame ends inside a header';
            length = bytes[p]! * 0x1000000 + ((bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!);
            p += 4;
          }
          if (end - p < 1 + length) return 'frame ends inside an extension';
          const type = bytes[p]!;
          if (type === RECORD) {
            // msgpackr reads 0xd5 0x72 as a two-byte record id; pipebus writes at most 64 records, all one-byte.
            if (token !== 0xd4) return 'record definition with a two-byte id or in a long extension, which pipebus never writes';
            const id = bytes[p + 1]! & 0x3f;
            p += 2;
            // The keys array follows; its length is the record's number of values.
            if (p >= end) return 'frame ends inside a record definition';
            const head = bytes[p]!;
            let keys: number;
            if (head >= 0x90 && head < 0xa0) keys = head - 0x90;
            else if (head === 0xdc && end - p >= 3) keys = (bytes[p + 1]! << 8) | bytes[p + 2]!;
            else if (head === 0xdd && end - p >= 5) keys = bytes[p + 1]! * 0x1000000 + ((bytes[p + 2]! << 16) | (bytes[p + 3]! << 8) | bytes[p + 4]!);
            else return 'record definition without a keys array';
            // The first record's values, read once the keys array (the next value) has ended.
            if (depth + 2 > maxDepth) return tooDeep(limits);
            remaining[++depth] = keys;
            installAt[depth] = id;
            installLength[depth] = keys;
            remaining[++depth] = 1;
            continue;
          }
          if (type === BUNDLE) return 'bundled strings, which pipebus never writes';
          p += 1 + length;
          if (PREFIX.has(type)) {
            if (depth === maxDepth) return tooDeep(limits);
            remaining[++depth] = 1;
            setPending = type === SET;
            continue;
          }
          // A BigInt's decoding (and its conversion to a key) grows faster than its length.
          if (type === BIGINT && (count += length) > maxElements) return tooManyElements(limits);
          if (inSet && (count += length) > maxElements) return tooManyElements(limits);
          continue;
        }
      }
    }
    if (children < 0) {
      if (end - p < skip) return 'frame ends inside a value';
      p += skip;
      // new Set(string or binary) has one element per character or byte (a number is no iterable: it throws).
      if (inSet && (count += skip) > maxElements) return tooManyElements(limits);
      continue;
    }
    // A container (array, map, record): one level deeper, with `children` values to read.
    if (depth === maxDepth) return tooDeep(limits);
    remaining[++depth] = children;
  }
}
