import { BusError, type TimerHandle } from '@pipebus/core';
import type { VirtualClock } from '../clock/virtual-clock.js';
import type { LinkEnds } from '../faults/fault-filter.js';
import type { FaultInjector } from '../faults/fault-injector.js';
import { fateOf, type FrameFate, type MutableTrafficEntry } from '../traffic/traffic-entry.js';

/** What a link needs from its network. */
export interface LinkContext {
  readonly clock: VirtualClock;
  readonly faults: FaultInjector;
  /** Appends an entry to the traffic record, filling in `seq` and `time`. */
  record(entry: Omit<MutableTrafficEntry, 'seq' | 'time'>): MutableTrafficEntry;
}

/** One frame accepted by a link and not yet delivered. */
interface InFlight {
  readonly entry: MutableTrafficEntry;
  readonly data: Uint8Array;
  readonly copies: 1 | 2;
  /** A reordered frame released right after this one. */
  after?: InFlight;
  timer?: TimerHandle;
}

interface SlotWaiter {
  resolve(): void;
  reject(error: BusError): void;
}

/**
 * One direction between two endpoints: a bounded queue of frames in flight,
 * delivered in order (unless a fault says otherwise) one microtask or one
 * virtual delay after they are accepted.
 *
 * Capacity counts frames accepted and not yet delivered. A frame held back
 * for reordering does not count, or a link of capacity 1 would wait forever
 * for the frame that releases it.
 */
export class Link {
  readonly #ctx: LinkContext;
  readonly #capacity: number;
  readonly #receive: (data: Uint8Array) => void;
  readonly #pending = new Set<InFlight>();
  readonly #waiters: SlotWaiter[] = [];
  #slotsUsed = 0;
  #held: InFlight | undefined;
  #severed = false;

  constructor(readonly ends: LinkEnds, capacity: number, ctx: LinkContext, receive: (data: Uint8Array) => void) {
    this.#ctx = ctx;
    this.#capacity = capacity;
    this.#receive = receive;
  }

  /** True once {@link Link.sever} was called; a severed link never carries frames again. */
  get severed(): boolean {
    return this.#severed;
  }

  /**
   * Accepts a frame: resolves as soon as the link has room for it (at once
   * when it is not full). Rejects `TRANSPORT_CLOSED` if the link is severed
   * before that.
   */
  async send(frame: Uint8Array): Promise<void> {
    // Copy now: once send() resolves the caller may reuse its buffer.
    const data = frame.slice();
    if (this.#severed) throw this.#closedError();
    if (this.#slotsUsed < this.#capacity && this.#waiters.length === 0) {
      this.#slotsUsed++;
    } else {
      // A freed slot is handed to the oldest waiter directly, so later
      // senders cannot overtake it and frames keep their send order.
      await new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    }
    this.#dispatch(data);
  }

  /** Cuts the link: waiting senders reject, frames in flight are lost. */
  sever(): void {
    if (this.#severed) return;
    this.#severed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#closedError());
    for (const item of this.#pending) {
      if (item.timer !== undefined) this.#ctx.clock.clearTimeout(item.timer);
      markLost(item);
      if (item.after) markLost(item.after);
    }
    this.#pending.clear();
    if (this.#held) {
      if (this.#held.timer !== undefined) this.#ctx.clock.clearTimeout(this.#held.timer);
      markLost(this.#held);
    }
    this.#held = undefined;
  }

  #dispatch(data: Uint8Array): void {
    const decision = this.#ctx.faults.decide(this.ends, data.length, this.#held === undefined);
    const faults: Exclude<FrameFate, 'delivered'>[] = [];
    const base = { ...this.ends, size: data.length, data: data.slice() };
    if (decision.drop) {
      this.#ctx.record({ ...base, fate: 'dropped', faults: ['dropped'], dropReason: 'fault' });
      this.#releaseSlot();
      return;
    }
    let delivered = data;
    if (decision.corruptAt !== undefined) {
      delivered = data.slice();
      delivered[decision.corruptAt] = delivered[decision.corruptAt]! ^ 0xff;
      faults.push('corrupted');
    }
    if (decision.duplicate) faults.push('duplicated');
    // A reordered frame travels with the frame that releases it, so its own
    // delay would be meaningless.
    const delayMs = decision.reorder ? 0 : decision.delayMs;
    if (decision.reorder) faults.push('reordered');
    if (delayMs > 0) faults.push('delayed');
    const entry = this.#ctx.record({
      ...base,
      fate: fateOf(faults),
      faults,
      ...(decision.corruptAt !== undefined && { corruptedAt: decision.corruptAt }),
      ...(delayMs > 0 && { delayMs }),
    });
    const item: InFlight = { entry, data: delivered, copies: decision.duplicate ? 2 : 1 };
    if (decision.reorder) {
      this.#held = item;
      // If no frame follows before the clock next runs timers, the link went
      // quiet: release the frame then rather than lose it silently.
      item.timer = this.#ctx.clock.setTimeout(() => this.#releaseUnovertaken(item), 0);
      this.#releaseSlot();
      return;
    }
    if (this.#held) {
      if (this.#held.timer !== undefined) this.#ctx.clock.clearTimeout(this.#held.timer);
      item.after = this.#held;
      this.#held = undefined;
    }
    this.#pending.add(item);
    if (delayMs > 0) item.timer = this.#ctx.clock.setTimeout(() => this.#arrive(item), delayMs);
    else queueMicrotask(() => this.#arrive(item));
  }

  #arrive(item: InFlight): void {
    if (!this.#pending.delete(item)) return; // lost when the link was severed
    this.#releaseSlot();
    this.#hand(item);
    if (item.after) this.#hand(item.after);
  }

  #releaseUnovertaken(item: InFlight): void {
    if (this.#held !== item) return;
    this.#held = undefined;
    // Nothing overtook it, so the record must not claim it was reordered.
    item.entry.faults = item.entry.faults.filter((f) => f !== 'reordered');
    item.entry.fate = fateOf(item.entry.faults);
    this.#hand(item);
  }

  #hand(item: InFlight): void {
    // A fresh copy per delivery: a receiver that mutates its frame must not
    // change a duplicate or the traffic record.
    for (let i = 0; i < item.copies; i++) this.#receive(item.data.slice());
  }

  #releaseSlot(): void {
    const next = this.#waiters.shift();
    if (next) next.resolve();
    else this.#slotsUsed--;
  }

  #closedError(): BusError {
    return new BusError('TRANSPORT_CLOSED', `the link ${this.ends.from} -> ${this.ends.to} is severed (peer disconnected or closed); wait for a reconnect or start a new transport`, {
      details: { ...this.ends },
    });
  }
}

function markLost(item: InFlight): void {
  item.entry.fate = 'dropped';
  item.entry.dropReason = 'severed';
}
