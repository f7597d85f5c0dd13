/**
 * Every message this bus sends leaves through here: outbound middleware →
 * encode → size check → one frame, or fragments where the transport's
 * frames are too small (or unreliable). The last part before the transport;
 * it calls nothing of the bus but the peer table and the counters.
 *
 * Room for: tracing on the way out (as outbound middleware, which runs
 * here); a send-side feature that needs the encoded frame (compression
 * would go between encode and the size check).
 */
import type { Envelope } from '../envelope/index.js';
import { encodeMessageFrame, kindName } from '../envelope/envelope.js';
import { BusError } from '../errors/bus-error.js';
import { Fragmenter } from '../fragment/fragmenter.js';
import type { PeerId, Route, Transport } from '../transport/index.js';
import { FRAME_TAKEN } from '../transport/transport.js';
import type { Middleware } from './middleware.js';
import { fromContext, runMiddleware, toContext } from './middleware.js';
import type { ResolvedBusOptions } from './options.js';
import type { PeerTable } from './peer-table.js';
import type { Counters } from './stats.js';

/** The sending end of a bus (internal to the bus). */
export class Outbox {
  readonly #fragmenter = new Fragmenter();
  /**
   * The transport routes by name (`capabilities.routed`): every message goes
   * through `sendRouted` with its route. Read once here, so that the other
   * transports' path has no per-message test nor route object.
   */
  readonly #routed: boolean;

  /**
   * @param middleware - the bus's outbound chain, shared: `use()` adds to it.
   */
  constructor(
    private readonly transport: Transport,
    private readonly o: ResolvedBusOptions,
    private readonly counters: Counters,
    private readonly peers: PeerTable,
    private readonly middleware: readonly Middleware[],
  ) {
    this.#routed = transport.capabilities.routed === true;
  }

  /**
   * Runs outbound middleware, encodes and sends (fragmenting when needed).
   * Without middleware, what it returns is the transport's own promise, so
   * that a caller can tell `FRAME_TAKEN` apart.
   */
  send(envelope: Envelope, to: PeerId | undefined): Promise<void> {
    if (this.middleware.length === 0) return this.#encodeAndSend(envelope, to);
    const context = toContext('outbound', envelope, to === undefined ? undefined : (this.peers.get(to) ?? { id: to }));
    return runMiddleware(this.middleware, context, () => this.#encodeAndSend(fromContext(envelope, context), to)).then((passed) => {
      if (!passed) this.counters.middlewareDropped++;
    });
  }

  /**
   * `send` to each of `peers` (interest routing): middleware runs once, as
   * for a send to everyone, and the message is encoded once. Resolves when
   * the transport took every copy.
   */
  sendEach(envelope: Envelope, peers: readonly PeerId[]): Promise<void> {
    if (this.middleware.length === 0) return this.#encodeAndSendEach(envelope, peers);
    const context = toContext('outbound', envelope, undefined);
    return runMiddleware(this.middleware, context, () => this.#encodeAndSendEach(fromContext(envelope, context), peers)).then((passed) => {
      if (!passed) this.counters.middlewareDropped++;
    });
  }

  /** `sendFrame` to each of `peers`: one promise, and `FRAME_TAKEN` when each copy was taken at once. */
  sendFrameEach(frame: Uint8Array, peers: readonly PeerId[]): Promise<void> {
    let waiting: Promise<void>[] | undefined;
    for (const peer of peers) {
      const sent = this.sendFrame(frame, peer);
      if (sent !== FRAME_TAKEN) (waiting ??= []).push(sent);
    }
    return waiting === undefined ? FRAME_TAKEN : Promise.all(waiting).then(noop);
  }

  /**
   * Sends an encoded message frame as it is (relay), fragmenting when
   * needed. Never on a routed transport: it has no envelope to route by, and
   * `MessageBus` refuses `relay` there.
   */
  sendFrame(frame: Uint8Array, to: PeerId | undefined): Promise<void> {
    const { maxFrameSize: max, reliable } = this.transport.capabilities;
    // On an unreliable transport even a small message travels as a one-fragment
    // frame (18 bytes more): the reassembler then drops the duplicates that a
    // domain broadcast delivers once per network protocol installed.
    if (reliable && frame.byteLength <= max) {
      this.counters.framesOut++;
      // The transport's own promise, not an async wrapper's: this is every message's path.
      return this.transport.send(frame, to);
    }
    return this.#sendFragments(frame, to, max);
  }

  #encodeAndSendEach(envelope: Envelope, peers: readonly PeerId[]): Promise<void> {
    let frame: Uint8Array;
    try {
      frame = this.#encode(envelope);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.sendFrameEach(frame, peers);
  }

  #encodeAndSend(envelope: Envelope, to: PeerId | undefined): Promise<void> {
    let frame: Uint8Array;
    try {
      frame = this.#encode(envelope);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#routed) return this.#sendRouted(frame, { kind: envelope.kind, id: envelope.id, name: envelope.name }, to);
    return this.sendFrame(frame, to);
  }

  /** The message's frame; throws `INVALID_ARGUMENT` (codec) or `FRAME_TOO_LARGE`. */
  #encode(envelope: Envelope): Uint8Array {
    const frame = encodeMessageFrame(envelope, this.o.codec);
    if (frame.byteLength > this.o.maxMessageSize) {
      throw new BusError('FRAME_TOO_LARGE', `${kindName(envelope.kind)} '${envelope.name}' encodes to ${frame.byteLength} bytes, above maxMessageSize ${this.o.maxMessageSize}; send less or raise the bus's maxMessageSize`, {
        details: { size: frame.byteLength, max: this.o.maxMessageSize },
      });
    }
    return frame;
  }

  /** sendFrame's twin for a routed transport: the same decision, each frame with its message's route. */
  #sendRouted(frame: Uint8Array, route: Route, to: PeerId | undefined): Promise<void> {
    const { maxFrameSize: max, reliable } = this.transport.capabilities;
    if (reliable && frame.byteLength <= max) {
      this.counters.framesOut++;
      return this.transport.sendRouted(frame, route, to);
    }
    return this.#sendFragments(frame, to, max, route);
  }

  async #sendFragments(frame: Uint8Array, to: PeerId | undefined, max: number, route?: Route): Promise<void> {
    for (const fragment of this.#fragmenter.split(frame, max)) {
      this.counters.fragmentsOut++;
      // Every fragment carries its message's route: the transport never looks into a frame.
      await (route === undefined ? this.transport.send(fragment, to) : this.transport.sendRouted(fragment, route, to));
    }
    this.counters.framesOut++;
  }
}

function noop(): void {}
