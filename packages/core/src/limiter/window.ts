import type { LimitReason } from '../backend/interfaces.js';
import { MAX_COUNTER } from '../backend/limiter-options.js';

/** Dimension order; ties between equal waits are reported in this order. */
export const REASONS: readonly LimitReason[] = ['requests', 'tokens', 'budget'];

/**
 * One rule's admissions: an exact sliding window over a ring buffer of entries with running
 * counters.
 *
 * Layout: four `Float64Array` columns (time, requests, tokens, cost) indexed by `seq & mask`,
 * where `seq` counts admissions from 0 for the rule's life. `head` is the oldest entry still
 * in the window, `tail` the next to be written. Admitting writes at the tail, eviction moves
 * the head: both O(1) amortized, and both touch memory sequentially, so the cost stays flat
 * whether the window holds 100 or 100,000 entries. A lease remembers its `seq`: the entry is
 * live while `seq >= head`, so a settle or refund after it left the window changes nothing.
 *
 * A rule without `windowMs` (a lifetime budget) keeps no entries, only totals.
 *
 * ```
 *  seq:   head                    tail
 *          v                       v
 *  ring: [ e5 e6 e7 . . . . e2 e3 e4 ]   (wrapped; '.' = free)
 * ```
 */
export class RuleWindow {
  readonly key: string;
  /** `Infinity` for a lifetime rule. */
  readonly windowMs: number;
  /**
   * Limits; {@link MAX_COUNTER} when the rule does not limit that dimension, so a counter never
   * leaves the integers a double holds exactly. Cost in nanos.
   */
  readonly maxRequests: number;
  readonly maxTokens: number;
  readonly maxCost: number;
  /** Running sums of the live entries (exact: all integers). */
  requests = 0;
  tokens = 0;
  cost = 0;
  head = 0;
  tail = 0;
  #at: Float64Array;
  #req: Float64Array;
  #tok: Float64Array;
  #cost: Float64Array;
  #mask: number;

  constructor(
    key: string,
    windowMs: number,
    maxRequests: number,
    maxTokens: number,
    maxCost: number,
  ) {
    this.key = key;
    this.windowMs = windowMs;
    this.maxRequests = Math.min(maxRequests, MAX_COUNTER);
    this.maxTokens = Math.min(maxTokens, MAX_COUNTER);
    this.maxCost = Math.min(maxCost, MAX_COUNTER);
    const capacity = windowMs === Number.POSITIVE_INFINITY ? 0 : 16;
    this.#at = new Float64Array(capacity);
    this.#req = new Float64Array(capacity);
    this.#tok = new Float64Array(capacity);
    this.#cost = new Float64Array(capacity);
    this.#mask = capacity - 1;
  }

  get windowed(): boolean {
    return this.windowMs !== Number.POSITIVE_INFINITY;
  }

  /** Drops every entry with `now - at >= windowMs`, subtracting it from the counters. */
  evict(now: number): void {
    const cutoff = now - this.windowMs;
    let head = this.head;
    const tail = this.tail;
    // Fast exit: the common case is "nothing left since the last call".
    if (head === tail || this.#at[head & this.#mask]! > cutoff) return;
    const mask = this.#mask;
    const at = this.#at;
    while (head < tail && at[head & mask]! <= cutoff) {
      const i = head & mask;
      this.requests -= this.#req[i]!;
      this.tokens -= this.#tok[i]!;
      this.cost -= this.#cost[i]!;
      head++;
    }
    this.head = head;
  }

  /** Whether a weight (which must not exceed the limits) fits now. Call {@link evict} first. */
  admits(requests: number, tokens: number, cost: number): boolean {
    return (
      fits(this.requests, requests, this.maxRequests) &&
      fits(this.tokens, tokens, this.maxTokens) &&
      fits(this.cost, cost, this.maxCost)
    );
  }

  /** The dimension a weight exceeds the rule's whole limit on, if any. */
  exceeds(requests: number, tokens: number, cost: number): LimitReason | undefined {
    if (requests > this.maxRequests) return 'requests';
    if (tokens > this.maxTokens) return 'tokens';
    if (cost > this.maxCost) return 'budget';
    return undefined;
  }

  /** Records an admission at `now`; returns its seq (`-1` for a lifetime rule). */
  push(now: number, requests: number, tokens: number, cost: number): number {
    this.requests += requests;
    this.tokens += tokens;
    this.cost += cost;
    if (!this.windowed) return -1;
    if (this.tail - this.head > this.#mask) this.#grow();
    const seq = this.tail++;
    const i = seq & this.#mask;
    this.#at[i] = now;
    this.#req[i] = requests;
    this.#tok[i] = tokens;
    this.#cost[i] = cost;
    return seq;
  }

  /**
   * Changes the entry `seq` by the given deltas, if it is still in the window (a lifetime rule
   * always is). Deltas never take an entry below zero: the caller passes `new - old`.
   */
  adjust(seq: number, now: number, dRequests: number, dTokens: number, dCost: number): void {
    if (this.windowed) {
      this.evict(now);
      if (seq < this.head) return;
      const i = seq & this.#mask;
      this.#req[i]! += dRequests;
      this.#tok[i]! += dTokens;
      this.#cost[i]! += dCost;
    }
    this.requests += dRequests;
    this.tokens += dTokens;
    this.cost += dCost;
  }

  /**
   * Whether changing entry `seq` by these deltas keeps every counter within {@link MAX_COUNTER}
   * (always true for an entry that left the window: adjusting it changes nothing).
   */
  canAdjust(seq: number, now: number, dTokens: number, dCost: number): boolean {
    if (this.windowed) {
      this.evict(now);
      if (seq < this.head) return true;
    }
    return this.tokens + dTokens <= MAX_COUNTER && this.cost + dCost <= MAX_COUNTER;
  }

  /**
   * Milliseconds from `now` until a weight fits on `dimension` (0 if it fits now), assuming no
   * new admissions: the time the oldest entries that must leave have left. O(entries that must
   * leave); only refusals pay it. `Infinity` for a lifetime rule (only a refund can help).
   */
  waitMs(dimension: 0 | 1 | 2, weight: number, now: number): number {
    const used = dimension === 0 ? this.requests : dimension === 1 ? this.tokens : this.cost;
    const limit =
      dimension === 0 ? this.maxRequests : dimension === 1 ? this.maxTokens : this.maxCost;
    if (fits(used, weight, limit)) return 0;
    if (!this.windowed || weight > limit) return Number.POSITIVE_INFINITY;
    const column = dimension === 0 ? this.#req : dimension === 1 ? this.#tok : this.#cost;
    const mask = this.#mask;
    let left = used;
    for (let seq = this.head; seq < this.tail; seq++) {
      left -= column[seq & mask]!;
      if (fits(left, weight, limit)) return this.#at[seq & mask]! + this.windowMs - now;
    }
    return Number.POSITIVE_INFINITY; // unreachable: an empty window fits any weight <= limit
  }

  #grow(): void {
    const size = (this.#mask + 1) * 2;
    const mask = size - 1;
    const at = new Float64Array(size);
    const req = new Float64Array(size);
    const tok = new Float64Array(size);
    const cost = new Float64Array(size);
    for (let seq = this.head; seq < this.tail; seq++) {
      const from = seq & this.#mask;
      const to = seq & mask;
      at[to] = this.#at[from]!;
      req[to] = this.#req[from]!;
      tok[to] = this.#tok[from]!;
      cost[to] = this.#cost[from]!;
    }
    this.#at = at;
    this.#req = req;
    this.#tok = tok;
    this.#cost = cost;
    this.#mask = mask;
  }
}

/**
 * A weight fits while the dimension is not full and the weight stays within the limit. A full
 * dimension refuses even a weight of 0: a spent budget stops requests whose cost is only known
 * at settle time.
 */
export function fits(used: number, weight: number, limit: number): boolean {
  return used < limit && used + weight <= limit;
}
