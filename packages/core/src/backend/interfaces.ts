/**
 * The coordination interfaces. `@troupe/core` implements them in memory; `@troupe/redis`
 * implements them on Redis. Both pass the same contract suites from `@troupe/core/testing`.
 * Every method may be async; in-memory implementations narrow some results to plain values.
 */

/**
 * A value or a promise of it: in-memory backends answer at once, remote ones later.
 * `await` works on both.
 */
export type MaybePromise<T> = T | Promise<T>;

// ---------------------------------------------------------------------------------------------
// Shared state
// ---------------------------------------------------------------------------------------------

/**
 * A live claim: `agent` holds `[start, end]` (inclusive) of `resource` until `expiresAt`.
 * `token` is a fencing token, strictly increasing across the store.
 */
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

/**
 * What `claim()` asks for. No `start`/`end` means the whole resource; `ttlMs` defaults to
 * the store's `defaultTtlMs`.
 */
export interface ClaimRequest {
  readonly agent: string;
  readonly resource: string;
  readonly start?: number;
  readonly end?: number;
  readonly ttlMs?: number;
}

/**
 * A conflict is an expected outcome, not an error: `conflict` is the live claim in the way.
 */
export type ClaimResult =
  | { readonly ok: true; readonly claim: Claim }
  | { readonly ok: false; readonly conflict: Claim };

/**
 * A shared finding; `seq` is strictly increasing from 1 in insertion order.
 */
export interface Discovery<T = unknown> {
  readonly seq: number;
  readonly agent: string;
  readonly topic: string;
  readonly content: T;
  readonly at: number;
}

/**
 * Which live claims `claims()` lists: those on `resource`, those of `agent`, or both.
 */
export interface ClaimQuery {
  readonly resource?: string;
  readonly agent?: string;
}

/**
 * Which discoveries `discoveries()` lists, oldest first: filter by topic or agent, page with
 * `afterSeq` and `limit`.
 */
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
 * See packages/core/docs/shared-state.md for every rule.
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
 *
 * @example
 * ```ts
 * const rules: RateLimitRule[] = [
 *   { key: 'openai', windowMs: 60_000, requests: 500, tokens: 200_000 },
 *   { key: 'team', budgetUsd: 5 },
 * ];
 * ```
 */
export interface RateLimitRule {
  readonly key: string;
  readonly windowMs?: number;
  readonly requests?: number;
  readonly tokens?: number;
  readonly budgetUsd?: number;
}

/**
 * Which limit refused an admission.
 */
export type LimitReason = 'requests' | 'tokens' | 'budget';

/**
 * The weight of one admission: requests (default 1), estimated tokens and estimated cost.
 * Settle the lease with actual use later.
 */
export interface TryAcquireOptions {
  /** Estimated tokens; settle later with the actual count. Default 0. */
  readonly tokens?: number;
  /** Default 1. */
  readonly requests?: number;
  /** Estimated cost; settle later with the actual cost. Default 0. */
  readonly costUsd?: number;
}

/**
 * {@link TryAcquireOptions} plus how long to wait: `maxWaitMs` (then `ERR_RATE_LIMITED`) and an
 * abort `signal` (then `ERR_ABORTED`).
 */
export interface AcquireOptions extends TryAcquireOptions {
  readonly signal?: AbortSignal;
  /** Reject with `ERR_RATE_LIMITED` after waiting this long. Default: wait as long as it takes. */
  readonly maxWaitMs?: number;
}

/**
 * A reservation made by one admission. Settle or cancel it once; later calls do nothing.
 *
 * @example
 * ```ts
 * const lease = await limiter.acquire('openai', { tokens: 1_500 });
 * try {
 *   const answer = await model.generate(request);
 *   await lease.settle({ tokens: answer.usage.inputTokens + answer.usage.outputTokens });
 * } catch (error) {
 *   await lease.cancel(); // the call never happened
 *   throw error;
 * }
 * ```
 */
export interface Lease {
  readonly keys: readonly string[];
  readonly admittedAt: number;
  /** Replace the estimate with actual use (tokens and/or cost). */
  settle(actual: { tokens?: number; costUsd?: number }): MaybePromise<void>;
  /** The request never happened: give the whole reservation back. */
  cancel(): MaybePromise<void>;
}

/**
 * What `tryAcquire` answers: a lease, or why not and when to try again.
 */
export type AcquireResult =
  | { readonly ok: true; readonly lease: Lease }
  | { readonly ok: false; readonly reason: LimitReason; readonly retryAfterMs: number };

/**
 * What a key used in its current window (cost over the limiter's life for lifetime budgets).
 */
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

/**
 * Sliding-window limits on requests, tokens and budget, FIFO waits per key.
 * See packages/core/docs/limiter.md for every rule.
 *
 * @example
 * ```ts
 * async function call(limiter: LimiterBackend) {
 *   const lease = await limiter.acquire(['openai', 'team'], { tokens: 1_000, maxWaitMs: 30_000 });
 *   await lease.settle({ tokens: 850, costUsd: 0.004 });
 * }
 * ```
 */
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

/**
 * A posted message; `seq` counts from 1 per topic.
 */
export interface Message<T = unknown> {
  readonly seq: number;
  readonly topic: string;
  readonly from: string;
  readonly body: T;
  readonly at: number;
}

/**
 * Which messages `read` returns: those with `seq > afterSeq`, at most `limit`, oldest first.
 */
export interface ReadOptions {
  /** Only messages with `seq > afterSeq`. Default 0. */
  readonly afterSeq?: number;
  /** Default 100. */
  readonly limit?: number;
}

/**
 * {@link ReadOptions} plus how long to wait: `timeoutMs` (then `[]`) and an abort `signal`
 * (then `ERR_ABORTED`).
 */
export interface WaitOptions extends ReadOptions {
  /** Resolve with `[]` after this long. Default: wait until a post or an abort. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Topics of ordered messages with waits woken by the post itself.
 * See packages/core/docs/bus.md for every rule.
 *
 * @example
 * ```ts
 * let seen = 0;
 * for (;;) {
 *   const batch = await bus.wait('progress', { afterSeq: seen, timeoutMs: 60_000 });
 *   for (const message of batch) seen = message.seq;
 *   if (batch.length === 0) break;
 * }
 * ```
 */
export interface BusBackend {
  post<T = unknown>(topic: string, message: { from: string; body: T }): Promise<{ seq: number }>;
  read<T = unknown>(topic: string, options?: ReadOptions): Promise<Message<T>[]>;
  wait<T = unknown>(topic: string, options?: WaitOptions): Promise<Message<T>[]>;
  /**
   * Optional: the caller no longer needs the messages of `topic` up to `throughSeq`, so the bus
   * may drop them (seqs never change; a read from before them starts at the first one kept).
   * A team calls it on each agent's mailbox as the agent handles its messages, so a long-lived
   * team's in-memory bus stays bounded. A bus shared by processes, whose messages must outlive
   * a host until its sessions are saved, leaves it out and bounds itself by its own retention.
   */
  trim?(topic: string, throughSeq: number): Promise<void>;
  close(): Promise<void>;
}
