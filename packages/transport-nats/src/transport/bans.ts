/**
 * Peers this transport stopped listening to (the bus rejected them: bytes
 * that were not pipebus frames, a protocol breach). Peer ids over NATS are
 * self-declared, so a ban is per id and ends after `banMs`: a forger who
 * borrowed an honest peer's id must not shut that peer out for ever, and a
 * flood of forged ids must not grow the list without bound (the oldest ban
 * goes first). NATS permissions are the real control; this only keeps a
 * misbehaving id from costing the bus a decode per message.
 *
 * An id that announced itself as a transport does (a hello or heartbeat on
 * its presence subject, or an answer to our hello) is vouched for: the bus
 * rejecting it forgets the peer but does not ban it. Anyone may put any id
 * in a reply-to (NATS permissions do not cover it), so one forged frame on
 * `P.all` claiming a service's id made every receiver ignore that service
 * for `banMs`. Vouching only ever spares an id a ban, so a forger gains
 * nothing by vouching for ids (it can change ids at will anyway). It ends
 * with a goodbye, after `vouchMs` without a heartbeat (0: never), or when
 * `max` newer ids were vouched for.
 */
import type { PeerId } from '@pipebus/core/transport-kit';

export class Bans {
  /** Id → when its ban ends (ms), oldest first (a Map keeps insertion order). */
  readonly #until = new Map<PeerId, number>();
  /** Id → when it was last heard on its presence subject (ms), oldest first. */
  readonly #vouched = new Map<PeerId, number>();

  constructor(
    private readonly banMs: number,
    private readonly max: number,
    private readonly vouchMs = 0,
    private readonly now: () => number = Date.now,
  ) {}

  /** Bans `id` for banMs, unless it is vouched for; returns whether it was banned. */
  add(id: PeerId): boolean {
    if (this.#isVouched(id)) return false;
    this.#until.delete(id);
    evictOldest(this.#until, this.max);
    this.#until.set(id, this.now() + this.banMs);
    return true;
  }

  has(id: PeerId): boolean {
    if (this.#until.size === 0) return false;
    const until = this.#until.get(id);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.#until.delete(id);
    return false;
  }

  /** `id` spoke on its own presence subject: not banned from now on while vouched for, and any ban lifted. */
  vouch(id: PeerId): void {
    this.#until.delete(id);
    this.#vouched.delete(id);
    evictOldest(this.#vouched, this.max);
    this.#vouched.set(id, this.now());
  }

  /** `id` said goodbye on its presence subject. */
  unvouch(id: PeerId): void {
    this.#vouched.delete(id);
  }

  #isVouched(id: PeerId): boolean {
    const heard = this.#vouched.get(id);
    if (heard === undefined) return false;
    if (this.vouchMs === 0 || this.now() - heard <= this.vouchMs) return true;
    this.#vouched.delete(id);
    return false;
  }
}

function evictOldest(map: Map<PeerId, number>, max: number): void {
  if (map.size < max) return;
  const oldest = map.keys().next();
  if (oldest.done !== true) map.delete(oldest.value);
}
