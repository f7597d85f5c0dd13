/**
 * Flow control of a relaying bus: a sender whose relayed events wait for a
 * receiver's full link is not read from until the receivers took them, so a
 * receiver slower than the sender slows the sender down (its writes, and its
 * `publish()`, wait) instead of losing events. Without it the receiver's
 * queue grew until its transport dropped it (a relay hub fed by one fast
 * publisher dropped 4 of 8 honest subscribers in bench/pubsub).
 *
 * Bounded in time: a hold with no progress (no wait of its sender settled)
 * for `relayHoldTimeout` ms ends. The receivers it waited for are then not
 * waited for again until they drained, so a hung receiver costs the others
 * one pause, and its transport drops it at its own bound as before. Bounded
 * in count: one hold per sender, one entry per receiver with waits.
 */
import type { Clock, TimerHandle } from '../clock/index.js';
import type { PeerId, Transport } from '../transport/index.js';
import type { ResolvedBusOptions } from './options.js';
import type { Counters } from './stats.js';

/** A sender not read from, and what it waits for. */
interface SenderHold {
  readonly release: () => void;
  /** Relayed sends of this sender still waiting. */
  waiting: number;
  /** Receivers those sends wait for (some may have drained since). */
  readonly receivers: Set<PeerId>;
  /** When one of its waits last settled (or the hold began). */
  progressAt: number;
  timer: TimerHandle | undefined;
  ended: boolean;
}

/** A receiver with relayed sends waiting for its link. */
interface ReceiverWaits {
  pending: number;
  /** It let a hold run out: not waited for until `pending` is back to 0. */
  exempt: boolean;
}

/** See the module notes (internal to the bus). */
export class RelayFlow {
  readonly #holds = new Map<PeerId, SenderHold>();
  readonly #receivers = new Map<PeerId, ReceiverWaits>();
  readonly #clock: Clock;
  readonly #timeout: number;

  constructor(
    private readonly transport: Transport,
    private readonly o: ResolvedBusOptions,
    private readonly counters: Counters,
  ) {
    this.#clock = o.clock;
    this.#timeout = o.relayHoldTimeout;
  }

  /** An event `sender` sent, relayed to `receiver`, waits for the receiver's link (`sent` settles when taken). */
  waiting(sender: PeerId, receiver: PeerId, sent: Promise<void>): void {
    let waits = this.#receivers.get(receiver);
    if (waits === undefined) {
      waits = { pending: 0, exempt: false };
      this.#receivers.set(receiver, waits);
    }
    waits.pending++;
    const hold = waits.exempt || this.#timeout === 0 ? undefined : this.#hold(sender);
    if (hold !== undefined) {
      hold.waiting++;
      hold.receivers.add(receiver);
    }
    const of = waits;
    const settle = (): void => {
      if (--of.pending === 0 && this.#receivers.get(receiver) === of) this.#receivers.delete(receiver);
      if (hold === undefined || hold.ended) return;
      hold.progressAt = this.#clock.now();
      if (--hold.waiting === 0) this.#end(sender, hold);
    };
    sent.then(settle, (error: unknown) => {
      this.counters.relayFailed++;
      this.o.logger.debug('relay failed', { bus: this.o.name, peer: receiver, error: String(error) });
      settle();
    });
  }

  /** The bus closed: every sender is read again (their links are closing anyway). */
  close(): void {
    for (const [sender, hold] of [...this.#holds]) this.#end(sender, hold);
    this.#receivers.clear();
  }

  #hold(sender: PeerId): SenderHold {
    const held = this.#holds.get(sender);
    if (held !== undefined) return held;
    this.counters.relayHolds++;
    const hold: SenderHold = {
      release: this.transport.holdInbound(sender),
      waiting: 0,
      receivers: new Set(),
      progressAt: this.#clock.now(),
      timer: undefined,
      ended: false,
    };
    this.#holds.set(sender, hold);
    this.#arm(sender, hold, this.#timeout);
    return hold;
  }

  /** One timer per hold, re-armed for what is left when it fires after progress (not reset per settle: that is every message's path). */
  #arm(sender: PeerId, hold: SenderHold, ms: number): void {
    hold.timer = this.#clock.setTimeout(() => {
      hold.timer = undefined;
      if (hold.ended) return;
      const idle = this.#clock.now() - hold.progressAt;
      if (idle < this.#timeout) {
        this.#arm(sender, hold, this.#timeout - idle);
        return;
      }
      this.#expire(sender, hold);
    }, ms);
  }

  /** No receiver took anything for the whole timeout: read the sender again, stop waiting for those receivers. */
  #expire(sender: PeerId, hold: SenderHold): void {
    const stuck: PeerId[] = [];
    for (const receiver of hold.receivers) {
      const waits = this.#receivers.get(receiver);
      if (waits === undefined || waits.pending === 0) continue;
      waits.exempt = true;
      stuck.push(receiver);
    }
    this.o.logger.warn(`relay: ${stuck.join(', ') || 'a receiver'} took nothing for ${this.#timeout} ms (relayHoldTimeout); ${sender} is read again, and a receiver that stays behind is dropped by its transport`, {
      bus: this.o.name,
      sender,
      receivers: stuck,
    });
    this.#end(sender, hold);
  }

  #end(sender: PeerId, hold: SenderHold): void {
    hold.ended = true;
    if (hold.timer !== undefined) this.#clock.clearTimeout(hold.timer);
    hold.timer = undefined;
    if (this.#holds.get(sender) === hold) this.#holds.delete(sender);
    hold.release();
  }
}
