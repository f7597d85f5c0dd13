import type { Codec } from './codec.js';
import { CodecId, checkDecodeArguments, markBuiltinCodec } from './codec.js';
import { DEFAULT_DECODE_LIMITS } from './decode-limits.js';
import { scanJson } from './json-scan.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// Tags for values JSON cannot carry. An object with exactly one key of this
// form is revived; payloads that happen to use these keys are escaped.
const BYTES = '$pipebus:bytes';
const BIGINT = '$pipebus:bigint';
const DATE = '$pipebus:date';

function replacer(this: unknown, key: string, value: unknown): unknown {
  // JSON.stringify has already called Date.prototype.toJSON; read the raw value.
  const raw = key === '' ? value : (this as Record<string, unknown>)[key];
  if (typeof raw === 'bigint') return { [BIGINT]: raw.toString() };
  if (raw instanceof Date) return { [DATE]: raw.toISOString() };
  if (raw instanceof Uint8Array) return { [BYTES]: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
  return value;
}

/**
 * Digits a tagged BigInt may have in the decode under way: parsing decimal
 * digits costs more than linear time (1 M digits: 0.2 s, 4 M: 0.9 s), so a
 * BigInt counts one element per digit, like msgpack's one per byte. Set by
 * decode() before JSON.parse, which calls the reviver synchronously.
 */
let maxBigIntDigits = DEFAULT_DECODE_LIMITS.maxElements;

function reviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length !== 1) return value;
  const v = (value as Record<string, unknown>)[keys[0]!];
  if (typeof v !== 'string') return value;
  switch (keys[0]) {
    case BYTES:
      return new Uint8Array(Buffer.from(v, 'base64'));
    case BIGINT:
      if (v.length > maxBigIntDigits) throw new Error(`a BigInt of ${v.length} digits is more than the receiver's maxDecodedElements (${maxBigIntDigits}) allows`);
      return BigInt(v);
    case DATE:
      return new Date(v);
    default:
      return value;
  }
}

/**
 * JSON on the wire, for peers that want readable frames. `Uint8Array`,
 * `BigInt` and `Date` are tagged and revived; `Map`, `Set` and typed arrays
 * other than `Uint8Array` are not (they follow `JSON.stringify`).
 */
export const jsonCodec: Codec = {
  id: CodecId.Json,
  name: 'json',
  encode(value, headroom = 0) {
    const text = JSON.stringify(value, replacer);
    if (headroom === 0) return encoder.encode(text);
    // Worst case 3 bytes per UTF-16 unit; encodeInto avoids a second copy.
    const out = new Uint8Array(headroom + text.length * 3);
    const { written } = encoder.encodeInto(text, out.subarray(headroom));
    return out.subarray(0, headroom + written);
  },
  decode(bytes, offset = 0, limits = DEFAULT_DECODE_LIMITS) {
    checkDecodeArguments('json', bytes, offset);
    // Text no longer than maxElements bytes cannot hold more elements: small frames skip the scan.
    if (bytes.byteLength - offset > limits.maxElements) {
      const problem = scanJson(bytes, offset, bytes.byteLength, limits);
      if (problem !== undefined) throw new Error(problem);
    }
    maxBigIntDigits = limits.maxElements;
    return JSON.parse(decoder.decode(offset === 0 ? bytes : bytes.subarray(offset)), reviver) as unknown;
  },
};
markBuiltinCodec(jsonCodec);
