/**
 * The state of the link to the NATS server, seen from the transport: up,
 * down (frames go to the reconnect buffer), or back but settling.
 *
 * The buffer is not sent the moment the client reconnects: its receivers
 * may not have re-subscribed yet, and a frame to a subject nobody hears is
 * gone. So the transport says hello again and sends once every peer known
 * before the outage answered, or after `settleMs` (some may be gone for good).
 */
import type { PeerId, TransportState } from '@pipebus/core/transport-kit';
import type { Presence } from './presence.js';

export interface LinkHooks {
  readonly settleMs: number;
  readonly peers: Presence;
  /** Says hello again (the peers answer, which ends the settling). */
  readonly announce: () => Promise<void>;
  /** Publishes what the buffer holds, in order. */
  readonly release: () => void;
  readonly setState: (state: Extract<TransportState, 'open' | 'reconnecting'>) => void;
  /** The link just dropped: what was about to go out moves to the buffer (before anything sent from now on). */
  readonly lost: () => void;
}

export class Link {
  /** True from a disconnect until the buffer went out after the reconnect: sends go to the buffer. */
  down = false;
  /** After a reconnect: the peers still to say they are back before the buffer goes out. */
  #awaited: Set<PeerId> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopStatus: (() => void) | undefined;
  /** The peers known when the link went down: the ones to wait for after the reconnect. */
  #before: PeerId[] = [];

  constructor(private readonly hooks: LinkHooks) {}

  /** The client lost the server. */
  lost(): void {
    // Lost twice before a release (a reconnect that failed again): the first outage's peers are still the ones to wait for.
    if (!this.down) {
      this.#before = this.hooks.peers.clear();
      this.hooks.lost();
    }
    this.down = true;
    this.#awaited = undefined;
    this.#clearTimer();
    this.hooks.setState('reconnecting');
  }

  /** Back on a server (nats.js re-sent our subscriptions already). */
  regained(): void {
    this.#awaited = new Set(this.#before);
    this.hooks.announce().catch(() => undefined);
    if (this.#awaited.size === 0) {
      this.#release();
      return;
    }
    this.#timer = setTimeout(() => this.#release(), this.hooks.settleMs);
    this.#timer.unref?.();
  }

  /** `peer` said it is here: the last awaited one releases the buffer. */
  back(peer: PeerId): void {
    const awaited = this.#awaited;
    if (awaited === undefined || !awaited.delete(peer) || awaited.size > 0) return;
    this.#release();
  }

  /** How to stop following the connection's status, called by {@link stop}. */
  onStop(stop: () => void): void {
    this.#stopStatus = stop;
  }

  /**
   * Closing: stops following the connection. Up but still settling, the
   * buffer goes out first. Returns whether the link is down (then nothing
   * can be flushed).
   */
  stop(): boolean {
    this.#stopStatus?.();
    if (this.#awaited !== undefined) this.#release();
    this.#clearTimer();
    return this.down;
  }

  #release(): void {
    if (!this.down) return;
    this.#clearTimer();
    this.#awaited = undefined;
    this.hooks.release();
    this.down = false;
    this.hooks.setState('open');
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
