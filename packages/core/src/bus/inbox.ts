/**
 * Every frame this bus receives enters here: wire version → reassembly of
 * fragments → decode → inbound middleware → dispatch to the caller (answers
 * to our calls), the responder (requests, cancels, pings) or the event
 * router (events). A frame that breaks the protocol gets its peer rejected.
 *
 * Room for: tracing on the way in (as inbound middleware, which runs here);
 * a new kind of message (a case in `#dispatch`).
 */
import type { Envelope } from '../envelope/index.js';
import { Kind, decodeMessageFrame, kindName } from '../envelope/envelope.js';
import { BusError } from '../errors/bus-error.js';
import { FrameReassembler } from '../fragment/frame-reassembler.js';
import type { ReassemblerStats } from '../fragment/index.js';
import type { InboundFrame, PeerId, PeerInfo, Transport } from '../transport/index.js';
import { FrameType, WIRE_VERSION, frameType, frameVersion } from '../wire/frame-types.js';
import type { Caller } from './caller.js';
import type { EventRouter } from './event-router.js';
import type { Middleware } from './middleware.js';
import { fromContext, runMiddleware, toContext } from './middleware.js';
import type { ResolvedBusOptions } from './options.js';
import type { PeerGuard } from './peer-guard.js';
import { quote } from './peer-text.js';
import { reassemblyOwner } from './reassembly-owner.js';
import type { Responder } from './responder.js';
import type { Counters } from './stats.js';

/** The receiving end of a bus (internal to the bus). */
export class Inbox {
  readonly #reassembler: FrameReassembler;

  /**
   * @param middleware - the bus's inbound chain, shared: `use()` adds to it.
   */
  constructor(
    private readonly transport: Transport,
    private readonly o: ResolvedBusOptions,
    private readonly counters: Counters,
    private readonly guard: PeerGuard,
    private readonly caller: Caller,
    private readonly responder: Responder,
    private readonly router: EventRouter,
    private readonly middleware: readonly Middleware[],
  ) {
    this.#reassembler = new FrameReassembler({
      clock: o.clock,
      maxMessageSize: o.maxMessageSize,
      ...o.reassembly,
      onDrop: (reason, source) => {
        // Loss, duplicates and eviction happen on honest links too; a fragment
        // that contradicts itself does not, so its sender is dropped.
        if (reason === 'malformed' || reason === 'inconsistent' || reason === 'too-large') {
          guard.reject({ id: source }, 'DECODE_FAILED', `bad fragment (${reason})`);
        } else {
          o.logger.debug(`fragment dropped (${reason})`, { bus: o.name, peer: source });
        }
      },
    });
  }

  /** One frame from the transport. */
  receive({ data, peer, via }: InboundFrame): void {
    this.counters.framesIn++;
    if (this.guard.isRejected(peer.id)) return;
    if (frameVersion(data) !== WIRE_VERSION) {
      this.counters.unsupportedVersion++;
      this.guard.reject(peer, 'UNSUPPORTED_VERSION', `frame uses wire version ${frameVersion(data)}; this peer speaks version ${WIRE_VERSION}`);
      return;
    }
    let message: Uint8Array | undefined = data;
    if (frameType(data) === FrameType.Fragment) {
      if (this.#fragmentsNeedless()) {
        this.counters.decodeFailed++;
        this.guard.reject(peer, 'DECODE_FAILED', `sent a fragment frame over a reliable transport whose frames hold ${this.transport.capabilities.maxFrameSize} bytes, enough for any message (maxMessageSize ${this.o.maxMessageSize}); a pipebus peer never fragments there`);
        return;
      }
      message = this.#reassembler.push(data, peer.id, reassemblyOwner(peer));
      if (message === undefined) return;
    }
    let envelope: Envelope;
    try {
      envelope = decodeMessageFrame(message, this.o.codecs);
    } catch (error) {
      const e = error as BusError;
      if (e.code === 'UNSUPPORTED_VERSION') this.counters.unsupportedVersion++;
      else this.counters.decodeFailed++;
      this.guard.reject(peer, e.code, e.message);
      return;
    }
    if (this.middleware.length === 0) {
      this.#dispatch(envelope, peer, message, via);
      return;
    }
    this.#throughMiddleware(envelope, peer, message, via);
  }

  /** A peer left: its unfinished messages are dropped. */
  forget(peer: PeerId): void {
    this.#reassembler.forgetSender(peer);
  }

  /** The bus closed: unfinished messages and their timers go. */
  close(): void {
    this.#reassembler.close();
  }

  reassemblyStats(): ReassemblerStats {
    return this.#reassembler.stats();
  }

  #throughMiddleware(envelope: Envelope, peer: PeerInfo, message: Uint8Array, via: number | undefined): void {
    // A request waiting in (async) middleware holds one of its peer's handler slots.
    const held = envelope.kind === Kind.Request ? this.responder.hold(envelope, peer) : undefined;
    if (held === null) return;
    const context = toContext('inbound', envelope, peer);
    const pass = (): void => {
      // Gone from the table: cancelled meanwhile, or its peer left (then nothing can carry an answer).
      if (held !== undefined && !this.responder.release(peer.id, held)) {
        if (!held.cancelled) this.counters.requestsUnanswerable++;
        return;
      }
      this.#dispatch(fromContext(envelope, context), peer, message, via);
    };
    runMiddleware(this.middleware, context, pass).then(
      (passed) => {
        if (!passed) this.counters.middlewareDropped++;
        if (held !== undefined) this.responder.release(peer.id, held);
      },
      (error: unknown) => {
        this.counters.middlewareDropped++;
        if (held !== undefined) this.responder.release(peer.id, held);
        // Refused after its caller cancelled it: nobody waits for the answer.
        if (held?.cancelled === true) return;
        if (envelope.kind === Kind.Request) {
          // A refusal by this bus (ACCESS_DENIED…) reaches the caller with its own code.
          this.responder.replyError(envelope, peer, error, BusError.is(error) ? 'bus' : 'handler');
        } else {
          this.o.logger.warn(`inbound middleware refused a ${kindName(envelope.kind)} message`, { bus: this.o.name, name: quote(envelope.name), error: String(error) });
        }
      },
    );
  }

  #dispatch(envelope: Envelope, peer: PeerInfo, frame: Uint8Array, via: number | undefined): void {
    switch (envelope.kind) {
      case Kind.Request:
        this.responder.onRequest(envelope, peer);
        return;
      case Kind.Response:
      case Kind.StreamNext:
      case Kind.StreamEnd:
      case Kind.Error:
      case Kind.Pong:
        this.caller.onReply(envelope, peer);
        return;
      case Kind.Cancel:
        this.responder.onCancel(envelope, peer);
        return;
      case Kind.Event:
        this.router.onEvent(envelope, peer, frame, via);
        return;
      case Kind.Ping:
        this.responder.reply(envelope, peer, Kind.Pong, undefined);
        return;
      case Kind.Hello:
        this.router.onHello(envelope, peer);
        return;
    }
  }

  /**
   * True where this bus would never fragment (see `Outbox.sendFrame`): a
   * reliable transport whose frames hold the largest message. A fragment
   * there only makes the reassembler hold memory for a peer that needs none.
   */
  #fragmentsNeedless(): boolean {
    const { reliable, maxFrameSize } = this.transport.capabilities;
    return reliable && maxFrameSize >= this.o.maxMessageSize;
  }
}
