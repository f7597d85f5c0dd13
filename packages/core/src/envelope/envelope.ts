import { CodecId, isBuiltinCodec } from '../codec/codec.js';
import type { Codec, DecodeLimits } from '../codec/index.js';
import { BusError } from '../errors/bus-error.js';
import { FrameType, MESSAGE_FRAME_BYTE, WIRE_VERSION, frameType, frameVersion } from '../wire/frame-types.js';
import { decodeEnvelopeFast, encodeEnvelopeFast } from './fast-envelope.js';

/**
 * What an envelope carries. Numbers, not strings, because they travel in
 * every frame; the names are for people.
 */
export const Kind = {
  Request: 1,
  Response: 2,
  Error: 3,
  Event: 4,
  Cancel: 5,
  StreamNext: 6,
  StreamEnd: 7,
  Hello: 8,
  Ping: 9,
  Pong: 10,
} as const;
/** An envelope kind. */
export type Kind = (typeof Kind)[keyof typeof Kind];

const KIND_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(Kind).map(([name, value]) => [value, name]),
);

/** Name of a kind for logs (`Request`, `StreamNext`, …). */
export function kindName(kind: number): string {
  return KIND_NAMES[kind] ?? `unknown(${kind})`;
}

/**
 * Longest method or topic name, in UTF-16 code units: the bus refuses longer
 * ones when sending, and a peer's envelope with a longer name on receipt.
 */
export const MAX_NAME_LENGTH = 1024;

/** Message headers: string keys to string values, as in HTTP or NATS. */
export type Headers = Readonly<Record<string, string>>;

/**
 * One bus message. On the wire it is the array `[kind, id, name, payload,
 * headers?]`: an array costs less to encode than an object with keys, and
 * the order is fixed by the wire version in byte 0 of the frame.
 */
export interface Envelope {
  readonly kind: Kind;
  /** Correlation id (requests and everything answering them); 0 for events. */
  readonly id: number;
  /** Method of a request or topic of an event; '' where neither applies. */
  readonly name: string;
  readonly payload: unknown;
  readonly headers: Headers | undefined;
}

/** Payload of an `Error` envelope. */
export interface ErrorPayload {
  readonly code: string;
  readonly message: string;
  /** `bus`: the remote bus refused (NO_HANDLER…); `handler`: user code threw. */
  readonly origin: 'bus' | 'handler';
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Encodes an envelope into a whole-message frame: version byte, codec id, body. */
export function encodeMessageFrame(envelope: Envelope, codec: Codec): Uint8Array {
  // The built-in msgpack codecs' common message, written by hand (the same bytes; see fast-envelope.ts).
  if (envelope.headers === undefined && codec.id <= CodecId.MsgpackCompat && isBuiltinCodec(codec)) {
    const fast = encodeEnvelopeFast(envelope.kind, envelope.id, envelope.name, envelope.payload, codec.id === CodecId.Msgpack);
    if (fast !== undefined) {
      fast[0] = MESSAGE_FRAME_BYTE;
      fast[1] = codec.id;
      return fast;
    }
  }
  const wire =
    envelope.headers === undefined
      ? [envelope.kind, envelope.id, envelope.name, envelope.payload]
      : [envelope.kind, envelope.id, envelope.name, envelope.payload, envelope.headers];
  let frame: Uint8Array;
  try {
    frame = codec.encode(wire, 2);
  } catch (error) {
    throw new BusError('INVALID_ARGUMENT', `payload cannot be encoded with the ${codec.name} codec: ${(error as Error).message}`, {
      cause: error,
    });
  }
  frame[0] = MESSAGE_FRAME_BYTE;
  frame[1] = codec.id;
  return frame;
}

/**
 * The codecs a bus decodes with, by wire id, and the limits it decodes
 * under (its `maxDecodedElements`); without them a codec applies its defaults.
 */
export type DecodingCodecs = ReadonlyMap<number, Codec> & { readonly decodeLimits?: DecodeLimits };

/**
 * Decodes a whole-message frame. Throws `UNSUPPORTED_VERSION` for another
 * wire version and `DECODE_FAILED` for anything malformed or beyond
 * `codecs.decodeLimits`: peer input never escapes as any other exception.
 */
export function decodeMessageFrame(frame: Uint8Array, codecs: DecodingCodecs): Envelope {
  const version = frameVersion(frame);
  if (version !== WIRE_VERSION) {
    throw new BusError('UNSUPPORTED_VERSION', `frame uses wire version ${version}; this peer speaks version ${WIRE_VERSION}`, {
      details: { version, supported: WIRE_VERSION },
    });
  }
  if (frameType(frame) !== FrameType.Message || frame.length < 3) {
    throw new BusError('DECODE_FAILED', `not a message frame (type ${frameType(frame)}, ${frame.length} bytes)`);
  }
  const codec = codecs.get(frame[1]!);
  if (codec === undefined) {
    throw new BusError('DECODE_FAILED', `frame uses codec id ${frame[1]}, which this bus does not know; register it with the bus's 'codecs' option`);
  }
  if (codec.id <= CodecId.MsgpackCompat && isBuiltinCodec(codec)) {
    const fast = decodeEnvelopeFast(frame, codec.id === CodecId.Msgpack, codecs.decodeLimits);
    // Its checks are validateWire's: a known kind, a u32 id, a name of at most MAX_NAME_LENGTH (ASCII) characters.
    if (fast !== undefined) return fast as Envelope;
  }
  let wire: unknown;
  try {
    wire = codec.decode(frame, 2, codecs.decodeLimits);
  } catch (error) {
    throw new BusError('DECODE_FAILED', `${codec.name} could not decode a ${frame.length}-byte frame: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return validateWire(wire);
}

function validateWire(wire: unknown): Envelope {
  if (!Array.isArray(wire) || wire.length < 4 || wire.length > 5) {
    throw new BusError('DECODE_FAILED', 'envelope is not a [kind, id, name, payload, headers?] array');
  }
  // Indexing, not destructuring: array destructuring goes through the
  // iterator protocol, which showed up in profiles of the round trip.
  const kind: unknown = wire[0];
  const id: unknown = wire[1];
  const name: unknown = wire[2];
  const payload: unknown = wire[3];
  const headers: unknown = wire[4];
  if (typeof kind !== 'number' || !Number.isInteger(kind) || kind < Kind.Request || kind > Kind.Pong) {
    throw new BusError('DECODE_FAILED', `unknown envelope kind ${String(kind)}`);
  }
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw new BusError('DECODE_FAILED', `bad correlation id ${String(id)}`);
  }
  if (typeof name !== 'string') throw new BusError('DECODE_FAILED', 'envelope name is not a string');
  if (name.length > MAX_NAME_LENGTH) {
    throw new BusError('DECODE_FAILED', `envelope name is ${name.length} characters long; at most ${MAX_NAME_LENGTH} are allowed`);
  }
  if (headers !== undefined && !isHeaders(headers)) {
    throw new BusError('DECODE_FAILED', 'envelope headers are not a string-to-string record');
  }
  return { kind: kind as Kind, id, name, payload, headers: headers as Headers | undefined };
}

/** True for a plain object whose values are all strings. */
export function isHeaders(value: unknown): value is Headers {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  // A Map would also satisfy typeof 'object'; headers are plain records only.
  if (value instanceof Map) return false;
  for (const key in value) {
    if (typeof (value as Record<string, unknown>)[key] !== 'string') return false;
  }
  return true;
}

/** Reads an error payload defensively: a peer may send anything. */
export function toErrorPayload(payload: unknown): ErrorPayload {
  const p = (payload ?? {}) as Partial<ErrorPayload>;
  return {
    code: typeof p.code === 'string' ? p.code : 'INTERNAL',
    message: typeof p.message === 'string' ? p.message : 'remote error without a message',
    origin: p.origin === 'bus' ? 'bus' : 'handler',
    ...(p.details !== null && typeof p.details === 'object' && { details: p.details }),
  };
}
