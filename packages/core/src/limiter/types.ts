import type {
  AcquireOptions,
  Lease,
  LimiterBackend,
  LimiterUsage,
  LimitReason,
  RateLimitFeedback,
  RateLimitRule,
  TryAcquireOptions,
} from '../backend/interfaces.js';
import type { Clock } from '../clock.js';

/**
 * Options of {@link createRateLimiter}.
 *
 * @example
 * ```ts
 * const options: RateLimiterOptions = {
 *   clock: systemClock,
 *   rules: [{ key: 'openai', windowMs: 60_000, requests: 500, tokens: 200_000 }],
 * };
 * ```
 */
export interface RateLimiterOptions {
  /** The only source of time: admissions are stamped and waiters woken on this clock. */
  readonly clock: Clock;
  /**
   * One rule per key (default none: nothing is limited). A key no rule names is unlimited
   * (unless provider feedback paused it).
   */
  readonly rules?: readonly RateLimitRule[];
  /**
   * The longest provider feedback may pause a key, ms (default 300 000: 5 minutes). A
   * `retryAfterMs` or reset beyond it pauses the key this long and no longer.
   */
  readonly maxFeedbackPauseMs?: number;
}

/**
 * A lease of the in-memory limiter: `settle` and `cancel` take effect at once (synchronous).
 *
 * @example
 * ```ts
 * const lease = await limiter.acquire('openai', { tokens: 1_000 });
 * const response = await model.complete(request);
 * lease.settle({ tokens: response.usage.totalTokens, costUsd: 0.002 });
 * ```
 */
export interface RateLimiterLease extends Lease {
  /**
   * Replaces the estimate with actual use. The first settle or cancel wins; later calls do
   * nothing. `tokens` at most `MAX_LIMIT_UNITS`, `costUsd` at most `MAX_COST_USD`, else
   * `ERR_INVALID_ARGUMENT`; a settle that would take a counter past `MAX_COUNTER` is refused
   * with `ERR_LIMIT_EXCEEDS_CAPACITY`. A refused settle changes nothing and leaves the lease usable.
   */
  settle(actual: { tokens?: number; costUsd?: number }): void;
  /** Gives the whole reservation back. The first settle or cancel wins; later calls do nothing. */
  cancel(): void;
}

/**
 * What the in-memory `tryAcquire` returns: a lease, or the reason and the exact wait.
 *
 * @example
 * ```ts
 * const result = limiter.tryAcquire('openai', { tokens: 800 });
 * if (!result.ok) console.log(`${result.reason}: retry in ${result.retryAfterMs} ms`);
 * ```
 */
export type RateLimiterResult =
  | { readonly ok: true; readonly lease: RateLimiterLease }
  | { readonly ok: false; readonly reason: LimitReason; readonly retryAfterMs: number };

/**
 * The in-memory sliding-window limiter: a {@link LimiterBackend} whose `tryAcquire`, `usage`,
 * `observe` and lease methods answer synchronously.
 *
 * @example
 * ```ts
 * const limiter: RateLimiter = createRateLimiter({ clock, rules: [{ key: 'a', windowMs: 1_000, requests: 2 }] });
 * if (limiter.tryAcquire('a').ok) {
 *   // go ahead
 * }
 * ```
 */
export interface RateLimiter extends LimiterBackend {
  /**
   * Admits at once or refuses with `{ ok: false, reason, retryAfterMs }`; never waits and never
   * overtakes a queued `acquire`. Throws `ERR_LIMIT_EXCEEDS_CAPACITY` for a weight larger than
   * a rule's limit, `ERR_INVALID_ARGUMENT` for bad input, `ERR_CLOSED` after `close()`.
   */
  tryAcquire(keys: string | readonly string[], options?: TryAcquireOptions): RateLimiterResult;
  /** Admits when every key admits, in FIFO order per key. */
  acquire(keys: string | readonly string[], options?: AcquireOptions): Promise<RateLimiterLease>;
  /** Use of `key` in its current window (lifetime totals for a rule without `windowMs`). */
  usage(key: string): LimiterUsage;
  observe(key: string, feedback: RateLimitFeedback): void;
  /** Rejects every waiter with `ERR_CLOSED`, clears timers; later calls throw `ERR_CLOSED`. */
  close(): Promise<void>;
}
