import { BusError } from '@pipebus/core';
import { matchesFilter, type FaultFilter, type LinkEnds } from './fault-filter.js';
import { mulberry32 } from './prng.js';

/**
 * Random faults applied to every frame on the links a filter selects.
 * Probabilities are drawn independently per frame from the network's seeded
 * generator, so one seed always gives the same faults for the same traffic.
 */
export interface FaultPolicy {
  /** Probability (0..1) that a frame is lost. */
  readonly drop?: number;
  /** Probability that a frame is delivered twice. */
  readonly duplicate?: number;
  /** Probability that a frame is held back and delivered after the next one on its link. */
  readonly reorder?: number;
  /** Probability that one byte of a (non-empty) frame is flipped. */
  readonly corrupt?: number;
  /** Virtual delay before delivery, in ms: fixed, or drawn uniformly from `[min, max]` (whole ms). */
  readonly delay?: number | { readonly min: number; readonly max: number };
}

/** What happens to one frame on one link. */
export interface FaultDecision {
  readonly drop: boolean;
  /** Index of the byte to flip, if the frame is corrupted. */
  readonly corruptAt: number | undefined;
  readonly duplicate: boolean;
  readonly reorder: boolean;
  readonly delayMs: number;
}

type OneShotKind = 'drop' | 'duplicate' | 'reorder' | 'corrupt';

interface OneShot {
  readonly kind: OneShotKind;
  remaining: number;
  readonly filter: FaultFilter | undefined;
}

interface PolicyRule {
  readonly policy: FaultPolicy;
  readonly filter: FaultFilter | undefined;
}

const NO_FAULT: FaultDecision = { drop: false, corruptAt: undefined, duplicate: false, reorder: false, delayMs: 0 };

/**
 * Decides each frame's fate: one-shot faults first (`dropNext` …), then the
 * random policy of the most recently set rule whose filter matches.
 */
export class FaultInjector {
  readonly #random: () => number;
  #rules: PolicyRule[] = [];
  #oneShots: OneShot[] = [];

  constructor(seed: number) {
    this.#random = mulberry32(seed);
  }

  /** Adds a policy rule; for links matched by several rules the latest wins. */
  setPolicy(policy: FaultPolicy, filter: FaultFilter | undefined): void {
    validatePolicy(policy);
    this.#rules.push({ policy, filter });
  }

  /** Arms a one-shot fault for the next `count` matching frames. */
  armOneShot(kind: OneShotKind, count: number, filter: FaultFilter | undefined): void {
    if (!Number.isInteger(count) || count < 1) {
      throw new BusError('INVALID_ARGUMENT', `${kind}Next() takes a positive whole number of frames, got ${count}`);
    }
    this.#oneShots.push({ kind, remaining: count, filter });
  }

  /** Removes every policy and every armed one-shot. */
  clear(): void {
    this.#rules = [];
    this.#oneShots = [];
  }

  /**
   * Decides the fate of one frame of `size` bytes. `canHold` is false while
   * the link already holds a reordered frame (it holds at most one).
   */
  decide(ends: LinkEnds, size: number, canHold: boolean): FaultDecision {
    const policy = this.#policyFor(ends);
    if (policy === undefined && this.#oneShots.length === 0) return NO_FAULT;
    // `||` short-circuits on purpose: a one-shot that fires draws no random
    // number, and a fault that cannot apply consumes neither.
    if (this.#take('drop', ends) || this.#chance(policy?.drop)) return { ...NO_FAULT, drop: true };
    const corrupt = size > 0 && (this.#take('corrupt', ends) || this.#chance(policy?.corrupt));
    const corruptAt = corrupt ? Math.floor(this.#random() * size) : undefined;
    const duplicate = this.#take('duplicate', ends) || this.#chance(policy?.duplicate);
    const reorder = canHold && (this.#take('reorder', ends) || this.#chance(policy?.reorder));
    return { drop: false, corruptAt, duplicate, reorder, delayMs: this.#delay(policy?.delay) };
  }

  #policyFor(ends: LinkEnds): FaultPolicy | undefined {
    for (let i = this.#rules.length - 1; i >= 0; i--) {
      const rule = this.#rules[i]!;
      if (matchesFilter(rule.filter, ends)) return rule.policy;
    }
    return undefined;
  }

  #take(kind: OneShotKind, ends: LinkEnds): boolean {
    const shot = this.#oneShots.find((s) => s.kind === kind && s.remaining > 0 && matchesFilter(s.filter, ends));
    if (shot === undefined) return false;
    shot.remaining--;
    if (shot.remaining === 0) this.#oneShots = this.#oneShots.filter((s) => s !== shot);
    return true;
  }

  #chance(probability: number | undefined): boolean {
    return probability !== undefined && probability > 0 && this.#random() < probability;
  }

  #delay(delay: FaultPolicy['delay']): number {
    if (delay === undefined) return 0;
    if (typeof delay === 'number') return delay;
    return delay.min + Math.floor(this.#random() * (delay.max - delay.min + 1));
  }
}

function validatePolicy(policy: FaultPolicy): void {
  for (const key of ['drop', 'duplicate', 'reorder', 'corrupt'] as const) {
    const p = policy[key];
    if (p !== undefined && !(typeof p === 'number' && p >= 0 && p <= 1)) {
      throw new BusError('INVALID_ARGUMENT', `fault policy '${key}' must be a probability between 0 and 1, got ${String(p)}`);
    }
  }
  const delay = policy.delay;
  if (delay === undefined) return;
  const [min, max] = typeof delay === 'number' ? [delay, delay] : [delay.min, delay.max];
  if (!Number.isFinite(min) || !Number.isFinite(max) || min < 0 || max < min) {
    throw new BusError('INVALID_ARGUMENT', `fault policy 'delay' must be a non-negative number of ms or { min, max } with 0 <= min <= max, got ${JSON.stringify(delay)}`);
  }
}
