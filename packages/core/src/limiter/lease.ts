import { parseSettle } from '../backend/limiter-options.js';
import type { Clock } from '../clock.js';
import { TroupeError } from '../errors.js';
import type { KeyState } from './key-state.js';
import type { RateLimiterLease } from './types.js';

/** What a lease needs from the limiter that issued it. */
export interface LeaseOwner {
  readonly clock: Clock;
  readonly closed: boolean;
  /** Called after a settle or cancel: capacity may have come back for waiters. */
  released(states: readonly KeyState[]): void;
}

/**
 * One admission's reservation: an entry in the window of every limited key it names (all
 * with the same weight). `seqs` locates the entries; a window ignores an entry that left it.
 */
export class MemoryLease implements RateLimiterLease {
  readonly keys: readonly string[];
  readonly admittedAt: number;
  readonly #owner: LeaseOwner;
  readonly #states: readonly KeyState[];
  /** The entry seq per state, or the only one when there is a single state (no array). */
  readonly #seqs: number[] | number;
  readonly #requests: number;
  readonly #tokens: number;
  readonly #cost: number;
  #done = false;

  constructor(
    owner: LeaseOwner,
    keys: readonly string[],
    states: readonly KeyState[],
    seqs: number[] | number,
    admittedAt: number,
    requests: number,
    tokens: number,
    cost: number,
  ) {
    this.#owner = owner;
    this.keys = keys;
    this.#states = states;
    this.#seqs = seqs;
    this.admittedAt = admittedAt;
    this.#requests = requests;
    this.#tokens = tokens;
    this.#cost = cost;
  }

  settle(actual: { tokens?: number; costUsd?: number }): void {
    const { tokens, cost } = parseSettle(actual);
    if (this.#done) return;
    const dTokens = tokens === undefined ? 0 : tokens - this.#tokens;
    const dCost = cost === undefined ? 0 : cost - this.#cost;
    if (!this.#owner.closed) this.#checkRoom(dTokens, dCost);
    this.#done = true;
    this.#apply(0, dTokens, dCost);
  }

  /** Refuses, before anything changes, a settle that would take a counter past MAX_COUNTER. */
  #checkRoom(dTokens: number, dCost: number): void {
    if (dTokens <= 0 && dCost <= 0) return;
    const now = this.#owner.clock.now();
    const states = this.#states;
    for (let i = 0; i < states.length; i++) {
      const seq = typeof this.#seqs === 'number' ? this.#seqs : this.#seqs[i]!;
      const window = states[i]!.window;
      if (window !== undefined && !window.canAdjust(seq, now, dTokens, dCost)) {
        throw new TroupeError(
          'ERR_LIMIT_EXCEEDS_CAPACITY',
          `settling would take key '${window.key}' past the largest exact counter`,
          { details: { key: window.key, tokens: dTokens, cost: dCost } },
        );
      }
    }
  }

  cancel(): void {
    if (this.#done) return;
    this.#done = true;
    this.#apply(-this.#requests, -this.#tokens, -this.#cost);
  }

  #apply(dRequests: number, dTokens: number, dCost: number): void {
    if (this.#owner.closed || (dRequests === 0 && dTokens === 0 && dCost === 0)) return;
    const now = this.#owner.clock.now();
    const states = this.#states;
    for (let i = 0; i < states.length; i++) {
      const seq = typeof this.#seqs === 'number' ? this.#seqs : this.#seqs[i]!;
      states[i]!.window?.adjust(seq, now, dRequests, dTokens, dCost);
    }
    this.#owner.released(states);
  }
}
