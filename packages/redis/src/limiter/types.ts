import type {
  AcquireOptions,
  AcquireResult,
  Lease,
  LimiterBackend,
  LimiterUsage,
  LimitReason,
  RateLimitFeedback,
  RateLimitRule,
  TimerHandle,
  TryAcquireOptions,
} from '@troupe/core';
import type { Weight } from '@troupe/core/backend';
import type { RedisBackendOptions } from '../internal/options.js';

/**
 * Options of {@link createRedisRateLimiter}.
 *
 * @example
 * ```ts
 * const options: RedisRateLimiterOptions = {
 *   redis: 'redis://127.0.0.1:6379',
 *   clock: systemClock,
 *   team: 'alpha',
 *   rules: [{ key: 'openai', windowMs: 60_000, requests: 500 }, { key: 'team', budgetUsd: 5 }],
 * };
 * ```
 */
export interface RedisRateLimiterOptions extends RedisBackendOptions {
  /** One rule per key, as for `createRateLimiter`. A key no rule names is not limited. */
  readonly rules?: readonly RateLimitRule[];
  /**
   * How long a queued `acquire` keeps its place in the cross-process queue after its process
   * last refreshed it (ms; a waiting process refreshes it every third of this). A waiter
   * whose process died stops blocking others at most this long after its last refresh.
   * Default 3000.
   */
  readonly ticketTtlMs?: number;
}

/**
 * The Redis limiter: a {@link LimiterBackend} whose every method is async, plus `idle()`.
 *
 * @example
 * ```ts
 * const limiter: RedisRateLimiter = createRedisRateLimiter({ redis, clock, rules });
 * const result = await limiter.tryAcquire('openai', { tokens: 800 });
 * if (!result.ok) console.log(`${result.reason}: retry in ${result.retryAfterMs} ms`);
 * await limiter.idle(); // no Redis call of this limiter in flight
 * ```
 */
export interface RedisRateLimiter extends LimiterBackend {
  tryAcquire(keys: string | readonly string[], options?: TryAcquireOptions): Promise<AcquireResult>;
  acquire(keys: string | readonly string[], options?: AcquireOptions): Promise<Lease>;
  usage(key: string): Promise<LimiterUsage>;
  observe(key: string, feedback: RateLimitFeedback): Promise<void>;
  /** Resolves once no Redis call this limiter started is in flight. */
  idle(): Promise<void>;
}

// -- internal ---------------------------------------------------------------------------------

/** A refusal as `tryAcquire` reports it. */
export type Refusal = {
  readonly ok: false;
  readonly reason: LimitReason;
  readonly retryAfterMs: number;
};
/** Admitted (id, and the script's now) or refused (reason, retryAfter, ticket, wakeIn, blocker). */
export type AdmitReply = [1, string, string?] | [0, LimitReason, string, string, string, string];
/** What the admission script may answer: the fast path's compact 1 or server time, or a list. */
export type RawAdmitReply = AdmitReply | 1 | string;

export interface Waiter {
  readonly keys: readonly string[];
  readonly weight: Weight;
  readonly since: number;
  readonly maxWaitMs: number;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (lease: Lease) => void;
  readonly reject: (error: unknown) => void;
  phase: 'starting' | 'queued' | 'done';
  ticket: string | undefined;
  inFlight: boolean;
  /** A wake that arrived while a call was in flight: retry at this logical time after it. */
  again: number | undefined;
  wake: TimerHandle | undefined;
  deadline: TimerHandle | undefined;
  /** The timer that refreshes the waiter's ticket while it is queued. */
  refresh: TimerHandle | undefined;
  /** Set when maxWaitMs passed: one last attempt at this time, then give up. */
  expiresAt: number | undefined;
  lastRefusal: Refusal;
  /** Waiting on a remote event (a refund, a remote ticket leaving), not on a known time. */
  eventDriven: boolean;
  onAbort: (() => void) | undefined;
}

export interface Prepared {
  readonly keys: readonly string[];
  readonly tail: readonly string[];
}
