import {
  type AcquireOptions,
  type AcquireResult,
  abortedError,
  type Lease,
  type LimiterUsage,
  type RateLimitFeedback,
  TroupeError,
  type TryAcquireOptions,
} from '@troupe/core';
import {
  checkCapacity,
  feedbackPause,
  NANOS_PER_USD,
  parseRules,
  parseWeight,
  type RuleSpec,
  rateLimitedError,
  requireDuration,
  requireRecord,
  type Weight,
} from '@troupe/core/backend';
import { requireKeyName, resolveCommon } from '../internal/options.js';
import { RedisBackend } from '../internal/redis-backend.js';
import { teamReader } from '../internal/team-reader.js';
import { RedisLease } from './lease.js';
import { LimiterScripts } from './limiter-scripts.js';
import { keyNames, normalReply, num } from './replies.js';
import type { RedisRateLimiter, RedisRateLimiterOptions, Waiter } from './types.js';
import { type QueueOwner, WaitQueue } from './wait-queue.js';

export type { RedisRateLimiter, RedisRateLimiterOptions } from './types.js';

const OPTION_NAMES = new Set([
  'clock',
  'rules',
  'redis',
  'prefix',
  'team',
  'commandTimeoutMs',
  'ticketTtlMs',
  'time',
]);

/**
 * A {@link LimiterBackend} on Redis: the same sliding-window contract as `createRateLimiter`,
 * holding across every process that uses the same Redis, prefix, team and rules.
 *
 * - One Lua script per admission evicts expired entries, checks every key and dimension and
 *   writes the entry on every key, all or nothing. The time is the `clock`'s, passed in.
 * - Entries are per admission (a sorted set by time plus a hash of weights), with running
 *   sums, so eviction is O(1) amortized; `settle` and `cancel` adjust their own entry by id.
 * - `acquire` waits in FIFO order: in this process, a local queue per key; across processes,
 *   a ticket queue per key in Redis that every admission respects. Waiters retry exactly
 *   when capacity frees (the script returns the time), when a refund or a departure is
 *   written to the team's wake stream, or when a remote ticket ahead of them lapses.
 *
 * @example
 * ```ts
 * import { systemClock } from '@troupe/core';
 * import { createRedisRateLimiter } from '@troupe/redis';
 *
 * const limiter = createRedisRateLimiter({
 *   redis: 'redis://127.0.0.1:6379',
 *   clock: systemClock,
 *   team: 'alpha',
 *   rules: [{ key: 'openai', windowMs: 60_000, requests: 500, tokens: 200_000 }],
 * });
 * const lease = await limiter.acquire('openai', { tokens: 1_200, maxWaitMs: 30_000 });
 * await lease.settle({ tokens: 950 });
 * await limiter.close();
 * ```
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RedisRateLimiter {
  const record = requireRecord(options, 'options');
  const rules = new Map<string, RuleSpec>();
  for (const spec of parseRules(record, OPTION_NAMES)) rules.set(spec.key, spec);
  const ticketTtlMs =
    record.ticketTtlMs === undefined
      ? 3_000
      : requireDuration(record.ticketTtlMs, 'options.ticketTtlMs');
  return new Limiter(new LimiterScripts(resolveCommon(options), rules, ticketTtlMs));
}

/** The Redis limiter: admissions through {@link LimiterScripts}, waits in a {@link WaitQueue}. */
class Limiter extends RedisBackend implements RedisRateLimiter, QueueOwner {
  readonly #scripts: LimiterScripts;
  readonly #queue: WaitQueue;

  constructor(scripts: LimiterScripts) {
    super(scripts.connection, 'rate limiter');
    this.#scripts = scripts;
    this.#queue = new WaitQueue(scripts, this, teamReader(scripts.connection, scripts.base));
  }

  /** For the queue: whether this limiter is closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  protected override closedError(): TroupeError {
    return new TroupeError('ERR_CLOSED', 'the rate limiter is closed');
  }

  #checkCapacity(names: readonly string[], weight: Weight): void {
    for (const key of names) {
      const rule = this.#scripts.rules.get(key);
      if (rule !== undefined) checkCapacity(rule, weight);
    }
  }

  /** A lease for an admission reply: admitted at the server's time in live use, else `at`. */
  leaseOf(
    names: readonly string[],
    weight: Weight,
    reply: [1, string, string?],
    at: number,
  ): Lease {
    const admittedAt = this.#scripts.serverTime && reply[2] !== undefined ? Number(reply[2]) : at;
    return new RedisLease(this, names, weight, reply[1], admittedAt);
  }

  /** Settle/cancel of a lease: adjust the admission's own entry, then wake local waiters. */
  async adjust(
    names: readonly string[],
    member: string,
    dRequests: number,
    dTokens: number,
    dCost: number,
  ): Promise<void> {
    if (this.closed || (dRequests === 0 && dTokens === 0 && dCost === 0)) return;
    const now = this.#scripts.clock.now();
    const delta = { requests: dRequests, tokens: dTokens, cost: dCost };
    const ruled = await this.#scripts.adjust(names, member, delta, now);
    if (ruled.length > 0 && (dRequests < 0 || dTokens < 0 || dCost < 0)) {
      this.#queue.pump(ruled, now);
    }
  }

  idle(): Promise<void> {
    return this.#scripts.idle();
  }

  async tryAcquire(
    keys: string | readonly string[],
    options?: TryAcquireOptions,
  ): Promise<AcquireResult> {
    this.open();
    const weight: Weight = { requests: 1, tokens: 0, cost: 0 };
    parseWeight(options, weight, false);
    const names = keyNames(keys);
    this.#checkCapacity(names, weight);
    const now = this.#scripts.clock.now();
    // A local waiter that is already queued is ahead of us: never admit past it. Waiters still
    // starting have their scripts ahead of ours on the connection, so Redis orders us after.
    const mode = this.#queue.hasQueued(names) ? 'peek' : 'try';
    const { raw, id } = await this.#scripts.admitRaw(names, weight, mode, '', now);
    if (raw === 1) return { ok: true, lease: new RedisLease(this, names, weight, id, now) };
    const reply = normalReply(raw, id);
    if (reply[0] === 1) return { ok: true, lease: this.leaseOf(names, weight, reply, now) };
    return { ok: false, reason: reply[1], retryAfterMs: num(reply[2]) };
  }

  acquire(keys: string | readonly string[], options?: AcquireOptions): Promise<Lease> {
    let names: readonly string[];
    let weight: Weight;
    let maxWaitMs: number;
    let signal: AbortSignal | undefined;
    try {
      this.open();
      weight = { requests: 1, tokens: 0, cost: 0 };
      parseWeight(options, weight, true);
      names = keyNames(keys);
      signal = options?.signal;
      maxWaitMs = options?.maxWaitMs ?? Number.POSITIVE_INFINITY;
      if (signal?.aborted) throw abortedError(signal, 'limiter acquire');
      this.#checkCapacity(names, weight);
    } catch (error) {
      return Promise.reject(error);
    }
    const now = this.#scripts.clock.now();
    if (maxWaitMs <= 0) return this.#acquireNow(names, weight, now);
    return new Promise<Lease>((resolve, reject) => {
      this.#queue.start(newWaiter(names, weight, now, maxWaitMs, signal, resolve, reject), now);
    });
  }

  /** Not willing to wait: one attempt, never queued. */
  async #acquireNow(names: readonly string[], weight: Weight, now: number): Promise<Lease> {
    const mode = this.#queue.hasQueued(names) ? 'peek' : 'try';
    const reply = await this.#scripts.admit(names, weight, mode, '', now);
    if (reply[0] === 1) return this.leaseOf(names, weight, reply, now);
    throw rateLimitedError(names, 0, { ok: false, reason: reply[1], retryAfterMs: num(reply[2]) });
  }

  async usage(key: string): Promise<LimiterUsage> {
    this.open();
    requireKeyName(key, 'key');
    const rule = this.#scripts.rules.get(key);
    if (rule === undefined) return { requests: 0, tokens: 0, costUsd: 0 };
    const [requests, tokens, cost] = await this.#scripts.usage(
      key,
      rule,
      this.#scripts.clock.now(),
    );
    return {
      requests: Number(requests),
      tokens: Number(tokens),
      costUsd: Number(cost) / NANOS_PER_USD,
    };
  }

  async observe(key: string, feedback: RateLimitFeedback): Promise<void> {
    this.open();
    requireKeyName(key, 'key');
    const now = this.#scripts.clock.now();
    const pause = feedbackPause(feedback, now, this.#scripts.rules.get(key)?.windowMs);
    if (pause === undefined) return;
    const { requestsUntil, tokensUntil } = pause;
    const keepMs = Math.ceil(
      Math.max(requestsUntil, tokensUntil) - now + this.#scripts.ticketTtlMs,
    );
    // Durations from now, so the pause holds on the script's clock (the server's in live use).
    await this.#scripts.observe(
      key,
      requestsUntil > now ? requestsUntil - now : '',
      tokensUntil > now ? tokensUntil - now : '',
      keepMs,
      now,
    );
  }

  protected override async closing(): Promise<void> {
    this.#queue.giveUpAll(this.closedError());
    await this.idle().catch(() => {});
    this.#queue.stop();
    await this.connection.close();
  }
}

/** A waiter for an `acquire`, not yet queued. */
function newWaiter(
  keys: readonly string[],
  weight: Weight,
  since: number,
  maxWaitMs: number,
  signal: AbortSignal | undefined,
  resolve: (lease: Lease) => void,
  reject: (error: unknown) => void,
): Waiter {
  return {
    keys,
    weight,
    since,
    maxWaitMs,
    signal,
    resolve,
    reject,
    phase: 'starting',
    ticket: undefined,
    inFlight: true,
    again: undefined,
    wake: undefined,
    deadline: undefined,
    expiresAt: undefined,
    refresh: undefined,
    lastRefusal: { ok: false, reason: 'requests', retryAfterMs: 0 },
    eventDriven: false,
    onAbort: undefined,
  };
}
