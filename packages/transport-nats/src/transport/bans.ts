/**
 * Peers this transport stopped listening to (the bus rejected them: bytes
 * that were not pipebus frames, a protocol breach). Peer ids over NATS are
 * self-declared, so a ban is per id and ends after `banMs`: a forger who
 * borrowed an honest peer's id must not shut that peer out for ever, and a
 * flood of forged ids must not grow the list without bound (the oldest ban
 * goes first). NATS permissions are the real control; this only keeps a
 * misbehaving id from costing the bus a decode per message.
 */
import type { PeerId } from '@pipebus/core/transport-kit';

export class Bans {
  /** Id → when its ban ends (ms), oldest first (a Map keeps insertion order). */
  readonly #until = new Map<PeerId, number>();

  constructor(
    private readonly banMs: number,
    private readonly max: number,
    private readonly now: () => number = Date.now,
  ) {}

  add(id: PeerId): void {
    this.#until.delete(id);
    if (this.#until.size >= this.max) {
      const oldest = this.#until.keys().next();
      if (oldest.done !== true) this.#until.delete(oldest.value);
    }
    this.#until.set(id, this.now() + this.banMs);
  }

  has(id: PeerId): boolean {
    if (this.#until.size === 0) return false;
    const until = this.#until.get(id);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.#until.delete(id);
    return false;
  }
}
