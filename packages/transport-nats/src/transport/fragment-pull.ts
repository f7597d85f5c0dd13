/**
 * Large messages on shared subjects. A message above the server's
 * `max_payload` reaches the transport as fragments (core's fragmenter), all
 * with the same route. On a peer's inbox they can go as they are: one
 * receiver, in order. On a shared subject they cannot: NATS would hand the
 * fragments of one request to different members of a queue group.
 *
 * So on a shared subject only fragment 0 is published, with a header
 * naming the message; the rest stay here. Whoever receives fragment 0 (the
 * one queue member, or each plain subscriber) asks for the rest on the
 * sender's inbox (`P.in.<sender>.f`), and gets them there, directly, as they
 * come. The store is bounded: by bytes (a message is counted whole at its
 * first fragment, and refused `BUSY` there when it does not fit, before
 * anything is sent) and by time (`ttlMs` after its first fragment it goes,
 * pulled or not). A request's fragments go as soon as one receiver has them
 * all: a second plain handler of the same method gets fragment 0 only, and
 * drops it, which keeps one answer per request.
 */
import { BusError } from '@pipebus/core';
import { FRAGMENT_HEADER_SIZE, type PeerId } from '@pipebus/core/transport-kit';

/** The NATS header that marks fragment 0 of a message whose rest is to be pulled. */
export const PULL_HEADER = 'Pipebus-Pull';

/** Bounds of the store. */
export interface FragmentStoreOptions {
  /** Bytes of messages held at most (each counted whole). Default 64 MiB. */
  readonly maxBytes?: number;
  /** How long a message's fragments are kept for receivers to pull, in ms. Default 30 000. */
  readonly ttlMs?: number;
}

export const DEFAULT_FRAGMENT_STORE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_FRAGMENT_STORE_TTL = 30_000;

interface Held {
  /** The message's fragment-header identity (sender id and sequence): how its later fragments find it. */
  readonly key: string;
  /** What receivers pull it by: random, so only those handed fragment 0 know it (see {@link pullToken}). */
  readonly token: string;
  /** The subject fragment 0 went on: a pull names it, so a token copied onto another subject pulls nothing. */
  readonly subject: string;
  /** Fragments 1..count-1 by index, as they were sent. */
  readonly frames: Uint8Array[];
  readonly count: number;
  readonly total: number;
  /** One receiver is enough (a request): the message goes once one has it all. */
  readonly once: boolean;
  readonly expires: number;
  readonly pullers: Set<PeerId>;
  received: number;
}

/** What a fragment on a shared subject becomes (internal to the transport). */
export type Hold = { readonly publish: true; readonly key: string } | { readonly publish: false };

export class FragmentPulls {
  /** Key → message, oldest first (a Map keeps insertion order, and expiry follows it). */
  readonly #held = new Map<string, Held>();
  /** The same messages by pull token. */
  readonly #byToken = new Map<string, Held>();
  #bytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Pulls for a message no longer here (expired, or taken by another receiver). */
  missed = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly ttlMs: number,
    private readonly sendTo: (peer: PeerId, frame: Uint8Array) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Messages held now. */
  get size(): number {
    return this.#held.size;
  }

  /**
   * A fragment about to go on a shared subject: fragment 0 is published with
   * the returned `key` (a random pull token) in its {@link PULL_HEADER}; the
   * others are kept for the pullers.
   * Throws `BUSY` when a new message does not fit, `TRANSPORT_CLOSED`-free:
   * a later fragment whose message expired meanwhile throws `BUSY` too.
   */
  hold(frame: Uint8Array, once: boolean, subject: string): Hold {
    this.#expire();
    const key = keyOf(frame);
    const index = (frame[10]! << 8) | frame[11]!;
    if (index === 0) {
      const count = (frame[12]! << 8) | frame[13]!;
      const total = fragmentTotal(frame);
      if (this.#bytes + total > this.maxBytes) {
        throw new BusError(
          'BUSY',
          `a ${total}-byte message on a shared NATS subject must wait in the fragment store for its receivers to pull it, and the store holds ${this.#bytes} of its ${this.maxBytes} bytes; retry later, send less, or raise fragmentStore.maxBytes (or max_payload on the server)`,
          { details: { bytes: this.#bytes, maxBytes: this.maxBytes, message: total } },
        );
      }
      const old = this.#held.get(key);
      if (old !== undefined) this.#drop(old);
      const held: Held = { key, token: pullToken(), subject, frames: [], count, total, once, expires: this.now() + this.ttlMs, pullers: new Set(), received: 0 };
      this.#held.set(key, held);
      this.#byToken.set(held.token, held);
      this.#bytes += total;
      this.#arm();
      return { publish: true, key: held.token };
    }
    const held = this.#held.get(key);
    if (held === undefined) {
      throw new BusError('BUSY', `fragment ${index} of a large message on a shared NATS subject came after the message left the fragment store (after fragmentStore.ttlMs ${this.ttlMs} ms); send it again`);
    }
    held.frames[index] = frame;
    held.received++;
    for (const peer of held.pullers) this.sendTo(peer, frame);
    if (held.once && held.pullers.size > 0 && held.received === held.count - 1) this.#drop(held);
    return { publish: false };
  }

  /**
   * `peer` got fragment 0 of the message pulled by `token` on `subject` and
   * asks for the rest: what is here now, and the others as they come. Each
   * peer once. A pull naming another subject than the message's gets
   * nothing: whoever knows a token (any receiver of the message) could
   * otherwise copy it onto a subject many others hear, each of whom would
   * pull the whole message from us.
   */
  pull(token: string, peer: PeerId, subject: string): void {
    this.#expire();
    const held = this.#byToken.get(token);
    if (held === undefined || held.subject !== subject || held.pullers.has(peer)) {
      this.missed++;
      return;
    }
    held.pullers.add(peer);
    for (const frame of held.frames) if (frame !== undefined) this.sendTo(peer, frame);
    if (held.once && held.received === held.count - 1) this.#drop(held);
  }

  /** Closing: everything goes. */
  clear(): void {
    this.#held.clear();
    this.#byToken.clear();
    this.#bytes = 0;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #drop(held: Held): void {
    if (this.#held.get(held.key) !== held) return;
    this.#held.delete(held.key);
    this.#byToken.delete(held.token);
    this.#bytes -= held.total;
  }

  #expire(): void {
    const now = this.now();
    for (const held of this.#held.values()) {
      if (held.expires > now) return;
      this.#drop(held);
    }
  }

  /** One timer for the oldest message, so an idle transport does not keep expired ones. */
  #arm(): void {
    if (this.#timer !== undefined) return;
    const first = this.#held.values().next();
    if (first.done === true) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#expire();
      this.#arm();
    }, Math.max(0, first.value.expires - this.now()));
    this.#timer.unref?.();
  }
}

/** The message a fragment belongs to: its sender id and sequence (bytes 2..9 of the header), in hex. */
export function keyOf(frame: Uint8Array): string {
  let key = '';
  for (let i = 2; i < 10; i++) key += frame[i]!.toString(16).padStart(2, '0');
  return key;
}

/** The reassembled size a fragment's header announces (bytes 14..17, big-endian). */
export function fragmentTotal(frame: Uint8Array): number {
  return ((frame[14]! << 24) | (frame[15]! << 16) | (frame[16]! << 8) | frame[17]!) >>> 0;
}

/** True for a fragment frame (core's fragment header is there). */
export function isFragment(frame: Uint8Array, fragmentByte: number): boolean {
  return frame.byteLength >= FRAGMENT_HEADER_SIZE && frame[0] === fragmentByte;
}

/**
 * A fresh pull token: 64 random bits, in hex. Not the fragment header's
 * sender id and sequence: anyone who saw one large message of a sender
 * (a subscriber of one of its topics) could predict those of the next ones
 * and pull messages sent to subjects it may not read.
 */
function pullToken(): string {
  let token = '';
  for (const byte of crypto.getRandomValues(new Uint8Array(8))) token += byte.toString(16).padStart(2, '0');
  return token;
}

/** A pull key as it may arrive from the network: 16 hex digits, nothing else. */
export function isPullKey(key: string): boolean {
  return /^[0-9a-f]{16}$/.test(key);
}
