/**
 * The envelope's hot path for the two built-in msgpack codecs: the common
 * message (`[kind, id, name, payload]`, no headers, a byte array or a scalar
 * payload) written and read by hand, with exactly the bytes msgpackr writes
 * (fast-envelope.test pins them against msgpackr, case by case). Anything
 * else, or anything unexpected in a received frame, returns `undefined` and
 * takes msgpackr's path, whose behaviour (errors included) is unchanged.
 *
 * Why: profiles of the named-pipe request rows showed msgpackr's per-call
 * set-up (pack's state, the extension lookup for a Uint8Array, unpack's
 * state) as the largest part of the bus's own cost for small messages.
 */
import { allocateBytes } from '../codec/byte-slab.js';
import type { DecodeLimits } from '../codec/index.js';

/** validateWire's bound (envelope.ts), here in bytes: the fast path reads ASCII names only, a byte a character. */
const MAX_NAME_LENGTH = 1024;

/**
 * Encoded frames share slabs of this size, as msgpackr's own output buffer
 * does. A transport copies a small frame into its write within the tick, so
 * a slab is garbage soon after; in the 1 KiB request profile a 16 KiB slab
 * (a new one every ~15 frames, zero-filled) was most of the encoder's time.
 */
const ENCODE_SLAB_SIZE = 64 * 1024;
/** Frames that could be larger than this get memory of their own. */
const OWN_MEMORY_FROM = 8 * 1024;
/** Strings this long or longer are written only when ASCII (msgpackr switches to a native UTF-8 writer there). */
const JS_STRING_MAX = 0x40;
/** Payload strings up to this many characters take the fast path. */
const PAYLOAD_STRING_MAX = 256;

let slab = new Uint8Array(0);
let slabUsed = 0;

/** msgpackr writes `undefined` as fixext 1 of type 0 with a 0 byte. */
const UNDEFINED_EXT = 0xd4;
const TYPED_ARRAY_EXTENSION = 0x74;
const UINT8_CODE = 1;
const FIRST_KIND = 1;
const LAST_KIND = 10;

/**
 * Room for a frame of up to `max` bytes: the slab (the frame starts at
 * `slabUsed`) or memory of its own. The part a frame used is never handed out again, so a frame stays valid however long a
 * transport keeps it.
 */
function room(max: number): Uint8Array {
  if (max > OWN_MEMORY_FROM) return new Uint8Array(Buffer.allocUnsafeSlow(max).buffer, 0, max);
  if (slabUsed + max > slab.length) {
    // Not zero-filled (every byte of a frame is written before it is handed out), and a plain Uint8Array, whose subarray() is cheaper than a Buffer's.
    slab = new Uint8Array(Buffer.allocUnsafeSlow(ENCODE_SLAB_SIZE).buffer, 0, ENCODE_SLAB_SIZE);
    slabUsed = 0;
  }
  return slab;
}

/**
 * Writes a string as msgpackr does below {@link JS_STRING_MAX} characters
 * (its JS loop: lone surrogates as 3 bytes), and ASCII-only above; returns
 * the end, or -1 where msgpackr's path must write it.
 */
function writeString(target: Uint8Array, at: number, value: string): number {
  const length = value.length;
  const headerSize = length < 0x20 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
  if (headerSize === 5) return -1;
  let p = at + headerSize;
  for (let i = 0; i < length; i++) {
    let c1 = value.charCodeAt(i);
    if (c1 < 0x80) {
      target[p++] = c1;
    } else if (length >= JS_STRING_MAX) {
      return -1;
    } else if (c1 < 0x800) {
      target[p++] = (c1 >> 6) | 0xc0;
      target[p++] = (c1 & 0x3f) | 0x80;
    } else {
      const c2 = value.charCodeAt(i + 1);
      if ((c1 & 0xfc00) === 0xd800 && (c2 & 0xfc00) === 0xdc00) {
        c1 = 0x10000 + ((c1 & 0x03ff) << 10) + (c2 & 0x03ff);
        i++;
        target[p++] = (c1 >> 18) | 0xf0;
        target[p++] = ((c1 >> 12) & 0x3f) | 0x80;
        target[p++] = ((c1 >> 6) & 0x3f) | 0x80;
        target[p++] = (c1 & 0x3f) | 0x80;
      } else {
        target[p++] = (c1 >> 12) | 0xe0;
        target[p++] = ((c1 >> 6) & 0x3f) | 0x80;
        target[p++] = (c1 & 0x3f) | 0x80;
      }
    }
  }
  const bytes = p - at - headerSize;
  // The smallest header for the byte length, moving the bytes where msgpackr's estimate was short.
  if (bytes < 0x20) {
    if (headerSize > 1) target.copyWithin(at + 1, at + headerSize, p);
    target[at] = 0xa0 | bytes;
    return at + 1 + bytes;
  }
  if (bytes < 0x100) {
    if (headerSize !== 2) target.copyWithin(at + 2, at + headerSize, p);
    target[at] = 0xd9;
    target[at + 1] = bytes;
    return at + 2 + bytes;
  }
  if (bytes < 0x10000) {
    if (headerSize !== 3) target.copyWithin(at + 3, at + headerSize, p);
    target[at] = 0xda;
    target[at + 1] = bytes >> 8;
    target[at + 2] = bytes & 0xff;
    return at + 3 + bytes;
  }
  return -1;
}

/** A number as msgpackr writes it (records mode keeps 0x40–0x7f for record ids). */
function writeNumber(target: Uint8Array, at: number, value: number, records: boolean): number {
  if (value >>> 0 === value) {
    if (value < (records ? 0x40 : 0x80)) {
      target[at] = value;
      return at + 1;
    }
    if (value < 0x100) {
      target[at] = 0xcc;
      target[at + 1] = value;
      return at + 2;
    }
    if (value < 0x10000) {
      target[at] = 0xcd;
      target[at + 1] = value >> 8;
      target[at + 2] = value & 0xff;
      return at + 3;
    }
    target[at] = 0xce;
    target[at + 1] = value >>> 24;
    target[at + 2] = (value >> 16) & 0xff;
    target[at + 3] = (value >> 8) & 0xff;
    target[at + 4] = value & 0xff;
    return at + 5;
  }
  if (value >> 0 === value) {
    if (value >= -0x20) {
      target[at] = 0x100 + value;
      return at + 1;
    }
    if (value >= -0x80) {
      target[at] = 0xd0;
      target[at + 1] = value + 0x100;
      return at + 2;
    }
    if (value >= -0x8000) {
      target[at] = 0xd1;
      target[at + 1] = (value >> 8) & 0xff;
      target[at + 2] = value & 0xff;
      return at + 3;
    }
    target[at] = 0xd2;
    target[at + 1] = (value >>> 24) & 0xff;
    target[at + 2] = (value >> 16) & 0xff;
    target[at + 3] = (value >> 8) & 0xff;
    target[at + 4] = value & 0xff;
    return at + 5;
  }
  target[at] = 0xcb;
  new DataView(target.buffer, target.byteOffset + at + 1, 8).setFloat64(0, value);
  return at + 9;
}

/** A byte array as the codecs' writer does: ext 0x74 code 1, or `bin` for a Buffer. */
function writeBytes(target: Uint8Array, at: number, value: Uint8Array, asExtension: boolean): number {
  const length = value.byteLength;
  const size = asExtension ? length + 1 : length;
  if (size < 0x100) {
    target[at++] = asExtension ? 0xc7 : 0xc4;
    target[at++] = size;
  } else if (size < 0x10000) {
    target[at++] = asExtension ? 0xc8 : 0xc5;
    target[at++] = size >> 8;
    target[at++] = size & 0xff;
  } else {
    target[at++] = asExtension ? 0xc9 : 0xc6;
    target[at++] = size >>> 24;
    target[at++] = (size >> 16) & 0xff;
    target[at++] = (size >> 8) & 0xff;
    target[at++] = size & 0xff;
  }
  if (asExtension) {
    target[at++] = TYPED_ARRAY_EXTENSION;
    target[at++] = UINT8_CODE;
  }
  target.set(value, at);
  return at + length;
}

/**
 * Largest size `payload` can take on the fast path, or -1 where msgpackr's
 * path writes it (objects, arrays, other typed arrays, bigints, long strings).
 */
function payloadRoom(payload: unknown): number {
  switch (typeof payload) {
    case 'undefined':
    case 'boolean':
      return 3;
    case 'number':
      return 9;
    case 'string':
      return payload.length <= PAYLOAD_STRING_MAX ? 3 + payload.length * 3 : -1;
    case 'object':
      if (payload === null) return 1;
      // The exact classes only: a subclass may carry a toJSON or an extension of its own.
      if (payload.constructor === Uint8Array || Buffer.isBuffer(payload)) return 7 + (payload as Uint8Array).byteLength;
      return -1;
    default:
      return -1;
  }
}

/**
 * The frame msgpackr would give for `[kind, id, name, payload]` behind the
 * two header bytes (left for the caller), or `undefined` when `payload` or
 * `name` is not one this path writes. `records`: the msgpack codec (records
 * mode) rather than msgpack-compat.
 */
export function encodeEnvelopeFast(kind: number, id: number, name: string, payload: unknown, records: boolean): Uint8Array | undefined {
  const payloadMax = payloadRoom(payload);
  if (payloadMax < 0) return undefined;
  // Header (2), array (1), kind (1), id (5), name (3 + 3 per UTF-16 unit), payload.
  const max = 12 + name.length * 3 + payloadMax;
  const target = room(max);
  const start = target === slab ? slabUsed : 0;
  let at = start + 2;
  target[at++] = 0x94;
  at = writeNumber(target, at, kind, records);
  at = writeNumber(target, at, id, records);
  at = writeString(target, at, name);
  if (at < 0) return undefined;
  switch (typeof payload) {
    case 'undefined':
      target[at++] = UNDEFINED_EXT;
      target[at++] = 0;
      target[at++] = 0;
      break;
    case 'boolean':
      target[at++] = payload ? 0xc3 : 0xc2;
      break;
    case 'number':
      at = writeNumber(target, at, payload, records);
      break;
    case 'string':
      at = writeString(target, at, payload);
      if (at < 0) return undefined;
      break;
    default:
      if (payload === null) target[at++] = 0xc0;
      // payloadRoom let through a Uint8Array or a Buffer only: the constructor tells them apart without
      // Buffer.isBuffer's prototype walk (encodeEnvelopeFast's largest self time in the loop profile).
      else at = writeBytes(target, at, payload as Uint8Array, (payload as Uint8Array).constructor === Uint8Array);
  }
  if (target !== slab) return at === max ? target : target.subarray(0, at);
  slabUsed = at;
  return target.subarray(start, at);
}

/** Names recently read, by a hash of their bytes: a bus sees the same few method names again and again. */
const NAME_CACHE_SIZE = 16;
const cachedNames: string[] = new Array<string>(NAME_CACHE_SIZE).fill('');
const cachedNameBytes: Uint8Array[] = Array.from({ length: NAME_CACHE_SIZE }, () => new Uint8Array(0));

/** An ASCII name from `frame[start, end)`, or undefined for anything else (msgpackr then reads it). */
function readName(frame: Uint8Array, start: number, end: number): string | undefined {
  const length = end - start;
  const slot = length === 0 ? 0 : (length + frame[start]! + frame[end - 1]!) & (NAME_CACHE_SIZE - 1);
  const known = cachedNameBytes[slot]!;
  if (known.length === length) {
    let i = 0;
    while (i < length && known[i] === frame[start + i]) i++;
    if (i === length) return cachedNames[slot];
  }
  let name = '';
  for (let i = start; i < end; i++) {
    const c = frame[i]!;
    if (c >= 0x80) return undefined;
    name += String.fromCharCode(c);
  }
  cachedNames[slot] = name;
  cachedNameBytes[slot] = frame.slice(start, end);
  return name;
}

/** What the fast reader got: an `Envelope` (its kind checked), without headers. */
export interface FastEnvelope {
  readonly kind: number;
  readonly id: number;
  readonly name: string;
  readonly payload: unknown;
  readonly headers: undefined;
}

/**
 * Reads a frame that {@link encodeEnvelopeFast} (or msgpackr) wrote for the
 * common message: `[kind, id, name, payload]` with a known kind, an unsigned
 * id, an ASCII name and a byte-array or scalar payload, ending exactly at
 * the frame's end. Anything else gives `undefined`: msgpackr then decodes
 * the frame, with its checks and errors. Byte payloads come from the shared
 * slabs (Uint8Array: `allocateBytes`; Buffer: Node's pool), copies of the
 * frame's bytes, as the codecs' own reader gives them.
 */
export function decodeEnvelopeFast(frame: Uint8Array, records: boolean, limits: DecodeLimits | undefined): FastEnvelope | undefined {
  const end = frame.byteLength;
  // A limit this low counts even the four parts: msgpackr's path applies it.
  if (end < 7 || (limits !== undefined && (limits.maxElements < 8 || limits.maxDepth < 2))) return undefined;
  if (frame[2] !== 0x94) return undefined;
  const kind = frame[3]!;
  if (kind < FIRST_KIND || kind > LAST_KIND) return undefined;
  let p = 4;
  // id: fixint (0x40–0x7f are record references in records mode), uint8/16/32.
  let t = frame[p]!;
  let id: number;
  if (t < 0x40 || (t < 0x80 && !records)) {
    id = t;
    p += 1;
  } else if (t === 0xcc) {
    id = frame[p + 1]!;
    p += 2;
  } else if (t === 0xcd) {
    id = (frame[p + 1]! << 8) | frame[p + 2]!;
    p += 3;
  } else if (t === 0xce) {
    id = frame[p + 1]! * 0x1000000 + ((frame[p + 2]! << 16) | (frame[p + 3]! << 8) | frame[p + 4]!);
    p += 5;
  } else {
    return undefined;
  }
  if (p >= end) return undefined;
  // name: fixstr, str8, str16 (a name is at most 1024 characters).
  t = frame[p]!;
  let nameLength: number;
  if (t >= 0xa0 && t <= 0xbf) {
    nameLength = t & 0x1f;
    p += 1;
  } else if (t === 0xd9) {
    nameLength = frame[p + 1]!;
    p += 2;
  } else if (t === 0xda) {
    nameLength = (frame[p + 1]! << 8) | frame[p + 2]!;
    p += 3;
  } else {
    return undefined;
  }
  // At least one byte of payload must follow the name.
  if (nameLength > MAX_NAME_LENGTH || p + nameLength >= end) return undefined;
  const name = readName(frame, p, p + nameLength);
  if (name === undefined) return undefined;
  p += nameLength;
  const payload = readPayload(frame, p, end, records);
  if (payload === NOT_FAST) return undefined;
  return { kind, id, name, payload, headers: undefined };
}

const NOT_FAST = Symbol('not fast');
/** Byte payloads up to this size are sliced out of a Uint8Array frame (byte-slab.ts's ON_HEAP_MAX). */
const SLICE_MAX = 64;

/** The payload at `p`, which must end exactly at `end`; NOT_FAST for anything msgpackr should read. */
function readPayload(frame: Uint8Array, p: number, end: number, records: boolean): unknown {
  const t = frame[p]!;
  const left = end - p;
  if (left === 1) {
    if (t < 0x40 || (t < 0x80 && !records)) return t;
    if (t >= 0xe0) return t - 0x100;
    if (t === 0xc0) return null;
    if (t === 0xc2) return false;
    if (t === 0xc3) return true;
    return NOT_FAST;
  }
  if (left === 3 && t === UNDEFINED_EXT && frame[p + 1] === 0 && frame[p + 2] === 0) return undefined;
  let size: number;
  let header: number;
  if (t === 0xc7 || t === 0xc4) {
    size = frame[p + 1]!;
    header = 2;
  } else if (t === 0xc8 || t === 0xc5) {
    size = (frame[p + 1]! << 8) | frame[p + 2]!;
    header = 3;
  } else if (t === 0xc9 || t === 0xc6) {
    if (left < 5) return NOT_FAST;
    size = frame[p + 1]! * 0x1000000 + ((frame[p + 2]! << 16) | (frame[p + 3]! << 8) | frame[p + 4]!);
    header = 5;
  } else {
    return NOT_FAST;
  }
  const data = p + header;
  if (t >= 0xc7) {
    // ext: type byte, then its data; only typed-array code 1 (Uint8Array) is read here.
    if (data + 1 + size !== end || size < 1 || frame[data] !== TYPED_ARRAY_EXTENSION || frame[data + 1] !== UINT8_CODE) return NOT_FAST;
    const length = size - 1;
    // Up to 64 bytes allocateBytes gives a plain heap array anyway: slice() of a plain Uint8Array frame
    // makes it and copies in one step, where a view on the frame's buffer to copy from was a second object.
    if (length <= SLICE_MAX && frame.constructor === Uint8Array) return frame.slice(data + 2, end);
    const bytes = allocateBytes(length);
    bytes.set(new Uint8Array(frame.buffer, frame.byteOffset + data + 2, length));
    return bytes;
  }
  if (data + size !== end) return NOT_FAST;
  // bin: a Buffer, as the codecs decode it (from Node's pool up to 4 KiB).
  const bytes = Buffer.allocUnsafe(size);
  bytes.set(new Uint8Array(frame.buffer, frame.byteOffset + data, size));
  return bytes;
}
