/**
 * The coordination interfaces. `@troupe/core` implements them in memory; `@troupe/redis`
 * implements them on Redis. Both pass the same contract suites from `@troupe/core/testing`.
 * Every method may be async; in-memory implementations narrow some results to plain values.
 */

/** A value or a promise of it: in-memory backends answer at once, remote ones later. */
export type MaybePromise<T> = T | Promise<T>;

// ---------------------------------------------------------------------------------------------
// Shared state
// ---------------------------------------------------------------------------------------------

/** A live claim: `agent` holds `[start, end]` (inclusive) of `resource` until `expiresAt`. */
export interface Claim {
  readonly agent: string;
  readonly resource: string;
  readonly start: number;
  readonly end: number;
  /** Fencing token, strictly increasing across the store. */
  readonly token: number;
  readonly grantedAt: number;
  readonly expiresAt: number;
}

/** What `claim()` asks for. No `start`/`end` means the whole resource. */
export interface ClaimRequest {
  readonly agent: string;
  readonly resource: string;
  readonly start?: number;
  readonly end?: number;
  readonly ttlMs?: number;
}

/** A conflict is an expected outcome, not an error. `conflict` is the blocking claim. */
export type ClaimResult =
  | { readonly ok: true; readonly claim: Claim }
  | { readonly ok: false; readonly conflict: Claim };

/** A shared finding; `seq` is strictly increasing from 1 in insertion order. */
export interface Discovery<T = unknown> {
  readonly seq: number;
  readonly agent: string;
  readonly topic: string;
  readonly content: T;
  readonly at: number;
}

export interface ClaimQuery {
  readonly resource?: string;
  readonly agent?: string;
}

export interface DiscoveryQuery {
  readonly topic?: string;
  readonly agent?: string;
  /** Only entries with `seq > afterSeq` (default 0). */
  readonly afterSeq?: number;
  /** At most this many, oldest first (default: all). */
  readonly limit?: number;
}

/**
 * Claims on resources and shared discoveries, one entry each.
 * See DESIGN.md "Shared state" for every rule.
 *
 * Results are {@link MaybePromise}s: the in-memory backend answers at once, a remote one with
 * a promise; `await` every call and both read the same. Bad input (`ERR_INVALID_ARGUMENT`) and
 * calls after `close()` (`ERR_CLOSED`) throw at once from a synchronous backend and reject from
 * an async one: an `await`ed call raises the error either way.
 *
 * @example
 * ```ts
 * async function hold(state: SharedStateBackend, agent: string, file: string): Promise<boolean> {
 *   const result = await state.claim({ agent, resource: file, start: 0, end: 99 });
 *   return result.ok;
 * }
 * ```
 */
export interface SharedStateBackend {
  claim(request: ClaimRequest): MaybePromise<ClaimResult>;
  /** Releases `agent`'s claim on `resource`; true if there was a live one. Idempotent. */
  release(agent: string, resource: string): MaybePromise<boolean>;
  /** Extends a live claim's TTL (default: the store's default TTL); undefined if none. */
  renew(agent: string, resource: string, ttlMs?: number): MaybePromise<Claim | undefined>;
  /** Live claims, in grant order. */
  claims(query?: ClaimQuery): MaybePromise<Claim[]>;
  discover<T = unknown>(entry: {
    agent: string;
    topic: string;
    content: T;
  }): MaybePromise<Discovery<T>>;
  discoveries<T = unknown>(query?: DiscoveryQuery): MaybePromise<Discovery<T>[]>;
  /** Stops timers and connections; later calls reject with `ERR_CLOSED`. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Rate limiter
// ---------------------------------------------------------------------------------------------

/**
 * A limit on one key. Windowed limits (`requests`, `tokens`) need `windowMs`; `budgetUsd` is a
 * total over the limiter's life unless `windowMs` is given.
 */
export interface RateLimitRule {
  readonly key: string;
  readonly windowMs?: number;
  readonly requests?: number;
  readonly tokens?: number;
  readonly budgetUsd?: number;
}

export type LimitReason = 'requests' | 'tokens' | 'budget';

export interface TryAcquireOptions {
  /** Estimated tokens; settle later with the actual count. Default 0. */
  readonly tokens?: number;
  /** Default 1. */
  readonly requests?: number;
  /** Estimated cost; settle later with the actual cost. Default 0. */
  readonly costUsd?: number;
}

export interface AcquireOptions extends TryAcquireOptions {
  readonly signal?: AbortSignal;
  /** Reject with `ERR_RATE_LIMITED` after waiting this long. Default: wait as long as it takes. */
  readonly maxWaitMs?: number;
}

/** A reservation made by one admission. Settle or cancel it once; later calls do nothing. */
export interface Lease {
  readonly keys: readonly string[];
  readonly admittedAt: number;
  /** Replace the estimate with actual use (tokens and/or cost). */
  settle(actual: { tokens?: number; costUsd?: number }): MaybePromise<void>;
  /** The request never happened: give the whole reservation back. */
  cancel(): MaybePromise<void>;
}

export type AcquireResult =
  | { readonly ok: true; readonly lease: Lease }
  | { readonly ok: false; readonly reason: LimitReason; readonly retryAfterMs: number };

export interface LimiterUsage {
  readonly requests: number;
  readonly tokens: number;
  readonly costUsd: number;
}

/**
 * What a provider learned about its own limits from response headers: a limiter uses it to
 * slow down before the provider refuses. All fields optional; times are relative durations.
 */
export interface RateLimitFeedback {
  readonly remainingRequests?: number;
  readonly remainingTokens?: number;
  /** Time until the request allowance resets. */
  readonly resetRequestsMs?: number;
  /** Time until the token allowance resets. */
  readonly resetTokensMs?: number;
  /** The provider said to wait this long (`retry-after`, `retry-after-ms`). */
  readonly retryAfterMs?: number;
}

/** Sliding-window limits on requests, tokens and budget. See DESIGN.md "Rate limiter". */
export interface LimiterBackend {
  tryAcquire(
    keys: string | readonly string[],
    options?: TryAcquireOptions,
  ): MaybePromise<AcquireResult>;
  acquire(keys: string | readonly string[], options?: AcquireOptions): Promise<Lease>;
  usage(key: string): MaybePromise<LimiterUsage>;
  /**
   * Tells the limiter what the provider behind `key` reported. When the provider says a
   * resource is exhausted (remaining 0, or retry-after), admissions on `key` pause until it resets.
   */
  observe(key: string, feedback: RateLimitFeedback): MaybePromise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Bus
// ---------------------------------------------------------------------------------------------

/** A posted message; `seq` counts from 1 per topic. */
export interface Message<T = unknown> {
  readonly seq: number;
  readonly topic: string;
  readonly from: string;
  readonly body: T;
  readonly at: number;
}

export interface ReadOptions {
  /** Only messages with `seq > afterSeq`. Default 0. */
  readonly afterSeq?: number;
  /** Default 100. */
  readonly limit?: number;
}

export interface WaitOptions extends ReadOptions {
  /** Resolve with `[]` after this long. Default: wait until a post or an abort. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Topics of ordered messages with waits woken by the post itself. See DESIGN.md "Bus". */
export interface BusBackend {
  post<T = unknown>(topic: string, message: { from: string; body: T }): Promise<{ seq: number }>;
  read<T = unknown>(topic: string, options?: ReadOptions): Promise<Message<T>[]>;
  wait<T = unknown>(topic: string, options?: WaitOptions): Promise<Message<T>[]>;
  close(): Promise<void>;
}
