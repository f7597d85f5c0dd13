import fc from 'fast-check';
import { BusError, jsonCodec, msgpackCodec, msgpackCompatCodec, type Codec } from '@pipebus/core';
import { Kind, decodeMessageFrame, encodeMessageFrame, isHeaders, type Envelope } from '@pipebus/core/transport-kit';
import { bytes, fuzzParameters } from './support/fuzz.js';

const codecs: ReadonlyMap<number, Codec> = new Map([msgpackCodec, msgpackCompatCodec, jsonCodec].map((c) => [c.id, c]));
const CODES = new Set(['DECODE_FAILED', 'UNSUPPORTED_VERSION']);

/** Decodes peer bytes and checks the one promise made about them: an envelope, or a BusError with a decode code. */
function decodeOrRefuse(frame: Uint8Array): Envelope | undefined {
  try {
    const envelope = decodeMessageFrame(frame, codecs);
    // Plain checks, not expect(): this runs tens of thousands of times.
    const { kind, id, name, headers } = envelope;
    if (!Number.isInteger(kind) || kind < Kind.Request || kind > Kind.Pong) throw new Error(`decoded kind ${kind}`);
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new Error(`decoded id ${id}`);
    if (typeof name !== 'string') throw new Error(`decoded name ${typeof name}`);
    if (headers !== undefined && !isHeaders(headers)) throw new Error('decoded headers that are not headers');
    return envelope;
  } catch (error) {
    if (!(error instanceof BusError) || !CODES.has(error.code)) throw error;
    return undefined;
  }
}

const envelopeArb: fc.Arbitrary<Envelope> = fc.record({
  kind: fc.integer({ min: Kind.Request, max: Kind.Pong }) as fc.Arbitrary<Kind>,
  id: fc.nat({ max: 0xffffffff }),
  name: fc.string({ maxLength: 40 }),
  // JSON has no -0: normalise it, as the JSON codec would. An own `__proto__`
  // key does not round-trip through msgpackr, which renames it `__proto_` as a
  // guard against prototype pollution (found by this property; see the README's
  // codec notes), so the round trip leaves it out; the test below covers it.
  payload: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v, (key, value: unknown) => (key === '__proto__' ? undefined : value))) as unknown),
  headers: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 16 }), { maxKeys: 4 }), { nil: undefined }),
});

describe('envelope decoder under fuzzing (fast-check)', () => {
  afterAll(() => {
    // A hostile `__proto__` key must never have reached a shared prototype.
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses arbitrary bytes with DECODE_FAILED or UNSUPPORTED_VERSION, never another exception', () => {
    fc.assert(
      fc.property(fc.constantFrom(0x10, 0x11, 0x20, 0x00), fc.constantFrom(0, 1, 2, 7), bytes(120), (first, codec, body) => {
        const frame = new Uint8Array(2 + body.byteLength);
        frame[0] = first;
        frame[1] = codec;
        frame.set(body, 2);
        decodeOrRefuse(frame);
      }),
      fuzzParameters(30_000),
    );
  });

  it('survives any byte of a valid frame being changed, cut off or repeated', () => {
    fc.assert(
      fc.property(envelopeArb, fc.constantFrom(msgpackCodec, msgpackCompatCodec, jsonCodec), fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('flip', 'cut', 'repeat'), (envelope, codec, at, value, how) => {
        const frame = encodeMessageFrame(envelope, codec);
        const i = 2 + (at % Math.max(1, frame.byteLength - 2));
        let bad: Uint8Array;
        if (how === 'flip') {
          bad = frame.slice();
          bad[Math.min(i, bad.byteLength - 1)] = value;
        } else if (how === 'cut') {
          bad = frame.slice(0, i);
        } else {
          bad = new Uint8Array([...frame, ...frame.subarray(2, i)]);
        }
        decodeOrRefuse(bad);
      }),
      fuzzParameters(30_000),
    );
  });

  it('round-trips every well-formed envelope through each codec', () => {
    fc.assert(
      fc.property(envelopeArb, fc.constantFrom(msgpackCodec, msgpackCompatCodec, jsonCodec), (envelope, codec) => {
        const back = decodeOrRefuse(encodeMessageFrame(envelope, codec));
        expect(back).toEqual(envelope);
      }),
      fuzzParameters(10_000),
    );
  });

  it('does not let a hostile __proto__ or constructor key reach a prototype', () => {
    fc.assert(
      fc.property(fc.constantFrom(msgpackCodec, msgpackCompatCodec, jsonCodec), fc.constantFrom('__proto__', 'constructor', 'prototype'), (codec, key) => {
        const hostile = JSON.parse(`{"${key}":{"polluted":1},"x":{"${key}":{"polluted":2}}}`) as unknown;
        const envelope = decodeOrRefuse(encodeMessageFrame({ kind: Kind.Event, id: 0, name: 't', payload: hostile, headers: undefined }, codec));
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
        expect(envelope === undefined || typeof envelope.payload === 'object').toBe(true);
      }),
      fuzzParameters(300),
    );
  });
});
