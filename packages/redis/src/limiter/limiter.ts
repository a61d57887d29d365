import {
  type AcquireOptions,
  type AcquireResult,
  abortedError,
  invalidArgument,
  type Lease,
  type LimiterBackend,
  type LimiterUsage,
  type RateLimitFeedback,
  TroupeError,
  type TryAcquireOptions,
} from '@troupe/core';
import {
  checkCapacity,
  feedbackPause,
  NANOS_PER_USD,
  parseKeys,
  parseRules,
  parseWeight,
  type RuleSpec,
  type Weight,
} from '@troupe/core/backend';
import {
  defineScript,
  requireKeyName,
  resolveCommon,
  type ScriptRunner,
  toTroupeError,
} from '../internal/connection.js';
import { type ReaderClient, type TeamReader, teamReader } from '../internal/team-reader.js';
import { memberOf, RedisLease } from './lease.js';
import { ADJUST_SCRIPT } from './scripts/adjust.js';
import { ADMIT_SCRIPT } from './scripts/admit.js';
import { LEAVE_SCRIPT, TOUCH_SCRIPT } from './scripts/queue.js';
import { OBSERVE_SCRIPT, USAGE_SCRIPT } from './scripts/usage.js';
import type {
  AdmitReply,
  Prepared,
  RawAdmitReply,
  RedisRateLimiter,
  RedisRateLimiterOptions,
  Refusal,
  Waiter,
} from './types.js';

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

const num = (text: string): number => (text === 'inf' ? Number.POSITIVE_INFINITY : Number(text));
const limitText = (n: number): string => (Number.isFinite(n) ? String(n) : 'inf');

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
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArgument('options must be an object', { options });
  }
  const rules = new Map<string, RuleSpec>();
  for (const spec of parseRules(options as unknown as Record<string, unknown>, OPTION_NAMES))
    rules.set(spec.key, spec);
  const ticketTtlMs = options.ticketTtlMs ?? 3_000;
  if (!(typeof ticketTtlMs === 'number' && Number.isFinite(ticketTtlMs) && ticketTtlMs > 0)) {
    throw invalidArgument('options.ticketTtlMs must be a positive finite number', { ticketTtlMs });
  }
  const common = resolveCommon(options, 'createRedisRateLimiter');
  return new Limiter(common, rules, ticketTtlMs);
}

class Limiter implements RedisRateLimiter {
  readonly #connection: ReturnType<typeof resolveCommon>['connection'];
  readonly #clock: ReturnType<typeof resolveCommon>['clock'];
  readonly #base: string;
  readonly #rules: ReadonlyMap<string, RuleSpec>;
  readonly #ticketTtlMs: number;
  readonly #admit: ScriptRunner;
  readonly #leave: ScriptRunner;
  readonly #adjust: ScriptRunner;
  readonly #usage: ScriptRunner;
  readonly #observe: ScriptRunner;
  readonly #touch: ScriptRunner;
  /** `origin|channel`: scripts publish wakes as `origin|key`; we ignore our own. */
  readonly #channelSpec: string;
  /** `ticketTtl|origin|channel`: the admission script's one argument for both. */
  readonly #admitSpec: string;
  readonly #channel: string;
  readonly #origin: string;
  /** Local FIFO per key: insertion-ordered sets, head = first. */
  readonly #queues = new Map<string, Set<Waiter>>();
  readonly #waiters = new Set<Waiter>();
  readonly #tickets = new Map<string, Waiter>();
  readonly #reader: TeamReader;
  #following = false;
  /** The id of the last wake read (undefined until the first look at the stream). */
  #wakeId: string | undefined;
  #inFlight = 0;
  readonly #preparedCache = new Map<string, Prepared>();
  /** Admission ids: unique per limiter (origin) and per admission (counter). */
  #admissions = 0;
  #idle: (() => void)[] = [];
  #closed = false;

  /** Scripts read the server's TIME: their `now` argument is '' and replies are relative. */
  readonly #serverTime: boolean;

  constructor(
    { connection, clock, base, serverTime }: ReturnType<typeof resolveCommon>,
    rules: ReadonlyMap<string, RuleSpec>,
    ticketTtlMs: number,
  ) {
    this.#connection = connection;
    this.#clock = clock;
    this.#base = base;
    this.#serverTime = serverTime;
    this.#rules = rules;
    this.#ticketTtlMs = ticketTtlMs;
    const client = connection.client;
    this.#admit = defineScript(client, 'troupeLimiterAdmit', ADMIT_SCRIPT);
    this.#leave = defineScript(client, 'troupeLimiterLeave', LEAVE_SCRIPT);
    this.#adjust = defineScript(client, 'troupeLimiterAdjust', ADJUST_SCRIPT);
    this.#usage = defineScript(client, 'troupeLimiterUsage', USAGE_SCRIPT);
    this.#observe = defineScript(client, 'troupeLimiterObserve', OBSERVE_SCRIPT);
    this.#touch = defineScript(client, 'troupeLimiterTouch', TOUCH_SCRIPT);
    // Load the scripts up front so the first calls are EVALSHA hits: a NOSCRIPT fallback
    // resends the call later and could reorder it behind calls made after it.
    for (const lua of [
      ADMIT_SCRIPT,
      LEAVE_SCRIPT,
      ADJUST_SCRIPT,
      USAGE_SCRIPT,
      OBSERVE_SCRIPT,
      TOUCH_SCRIPT,
    ]) {
      client.script('LOAD', lua).catch(() => {});
    }
    this.#origin = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 10)}`;
    this.#channel = `${base}lwake`;
    this.#reader = teamReader(connection, base);
    this.#channelSpec = `${this.#origin}|${this.#channel}`;
    this.#admitSpec = `${ticketTtlMs}|${this.#channelSpec}`;
  }

  // -- plumbing -------------------------------------------------------------------------------

  #hashKey(key: string): string {
    return `${this.#base}l:${key}:h`;
  }

  async #call<T>(
    script: ScriptRunner,
    keys: readonly string[],
    args: (string | number)[],
    op: string,
  ): Promise<T> {
    this.#inFlight++;
    try {
      return (await script(keys, args)) as T;
    } catch (error) {
      throw toTroupeError(error, op);
    } finally {
      this.#callEnded();
    }
  }

  async idle(): Promise<void> {
    // A reply's continuations (resolving a waiter, sending the next retry) run after the
    // call itself ends: give them a turn, and wait again if they started more calls.
    for (;;) {
      if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#inFlight === 0) return;
    }
  }

  #open(): void {
    if (this.#closed) throw new TroupeError('ERR_CLOSED', 'the rate limiter is closed');
  }

  #checkCapacity(names: readonly string[], weight: Weight): void {
    for (const key of names) {
      const rule = this.#rules.get(key);
      if (rule !== undefined) checkCapacity(rule, weight);
    }
  }

  /** KEYS and the per-key ARGV tail of a key set: built once per distinct set, not per call. */
  #prepared(names: readonly string[]): Prepared {
    const id = names.length === 1 ? names[0]! : names.join('\u0000');
    let prepared = this.#preparedCache.get(id);
    if (prepared !== undefined) return prepared;
    const keys: string[] = [];
    const tail: string[] = [];
    for (const key of names) {
      keys.push(`${this.#base}l:${key}:h`, `${this.#base}l:${key}:w`, `${this.#base}l:${key}:q`);
      const rule = this.#rules.get(key);
      // One packed argument per rule (the script splits it; the name it reads off the key).
      if (rule === undefined) tail.push('none|inf|inf|inf');
      else {
        tail.push(
          `${limitText(rule.windowMs)}|${limitText(rule.maxRequests)}|${limitText(rule.maxTokens)}|${limitText(rule.maxCost)}`,
        );
      }
    }
    keys.push(`${this.#base}lseq`);
    prepared = { keys, tail };
    // Bounded: callers with endless distinct key sets rebuild instead of growing the cache.
    if (this.#preparedCache.size < 1_024) this.#preparedCache.set(id, prepared);
    return prepared;
  }

  /** KEYS, ARGV and admission id of one admission script call. */
  #admitCall(
    names: readonly string[],
    weight: Weight,
    mode: 'try' | 'peek' | 'acquire' | 'queue' | 'retry',
    ticket: string,
    now: number,
  ): { keys: readonly string[]; args: (string | number)[]; id: string } {
    const { keys, tail } = this.#prepared(names);
    const id = `${this.#origin}.${(this.#admissions++).toString(36)}`;
    const args: (string | number)[] = [
      this.#serverTime ? '' : now,
      ticket === '' ? mode : `${mode}:${ticket}`,
      memberOf(id, weight),
      this.#admitSpec,
      ...tail,
    ];
    return { keys, args, id };
  }

  #callEnded(): void {
    if (--this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  async #runAdmit(
    names: readonly string[],
    weight: Weight,
    mode: 'try' | 'peek' | 'acquire' | 'queue' | 'retry',
    ticket: string,
    now: number,
  ): Promise<AdmitReply> {
    const { keys, args, id } = this.#admitCall(names, weight, mode, ticket, now);
    // #call inlined: one async frame less.
    this.#inFlight++;
    try {
      return normalReply((await this.#admit(keys, args)) as RawAdmitReply, id);
    } catch (error) {
      throw toTroupeError(error, 'limiter admission');
    } finally {
      this.#callEnded();
    }
  }

  #lease(names: readonly string[], weight: Weight, id: string, admittedAt: number): Lease {
    return new RedisLease(this, names, weight, id, admittedAt);
  }

  /** A lease for an admission reply: admitted at the server's time in live use, else `at`. */
  #leaseOf(
    names: readonly string[],
    weight: Weight,
    reply: [1, string, string?],
    at: number,
  ): Lease {
    const admittedAt = this.#serverTime && reply[2] !== undefined ? Number(reply[2]) : at;
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
    if (this.#closed || (dRequests === 0 && dTokens === 0 && dCost === 0)) return;
    const ruled = names.filter((key) => this.#rules.has(key));
    if (ruled.length === 0) return;
    const now = this.#clock.now();
    const keys: string[] = [];
    const args: (string | number)[] = [
      this.#serverTime ? '' : now,
      member,
      dRequests,
      dTokens,
      dCost,
      this.#channelSpec,
    ];
    for (const key of ruled) {
      keys.push(`${this.#base}l:${key}:h`, `${this.#base}l:${key}:w`, `${this.#base}l:${key}:q`);
      args.push(key, limitText(this.#rules.get(key)!.windowMs));
    }
    await this.#call(this.#adjust, keys, args, 'lease adjustment');
    if (dRequests < 0 || dTokens < 0 || dCost < 0) this.#pump(ruled, now);
  }

  // -- public API -----------------------------------------------------------------------------

  async tryAcquire(
    keys: string | readonly string[],
    options?: TryAcquireOptions,
  ): Promise<AcquireResult> {
    this.#open();
    const weight: Weight = { requests: 1, tokens: 0, cost: 0 };
    parseWeight(options, weight, false);
    const names = keyNames(keys);
    this.#checkCapacity(names, weight);
    const now = this.#clock.now();
    // A local waiter that is already queued is ahead of us: never admit past it. Waiters still
    // starting have their scripts ahead of ours on the connection, so Redis orders us after.
    const mode = this.#hasQueued(names) ? 'peek' : 'try';
    // #runAdmit inlined: the hottest path of the limiter, one async frame less.
    const { keys: redisKeys, args, id } = this.#admitCall(names, weight, mode, '', now);
    this.#inFlight++;
    let raw: RawAdmitReply;
    try {
      raw = (await this.#admit(redisKeys, args)) as RawAdmitReply;
    } catch (error) {
      throw toTroupeError(error, 'limiter admission');
    } finally {
      this.#callEnded();
    }
    if (raw === 1) return { ok: true, lease: this.#lease(names, weight, id, now) };
    const reply = normalReply(raw, id);
    if (reply[0] === 1) return { ok: true, lease: this.#leaseOf(names, weight, reply, now) };
    return { ok: false, reason: reply[1], retryAfterMs: num(reply[2]) };
  }

  acquire(keys: string | readonly string[], options?: AcquireOptions): Promise<Lease> {
    let names: readonly string[];
    let weight: Weight;
    let maxWaitMs: number;
    let signal: AbortSignal | undefined;
    try {
      this.#open();
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
    const now = this.#clock.now();
    if (maxWaitMs <= 0) {
      // Not willing to wait: one attempt, never queued.
      const mode = this.#hasQueued(names) ? 'peek' : 'try';
      return this.#runAdmit(names, weight, mode, '', now).then((reply) => {
        if (reply[0] === 1) return this.#leaseOf(names, weight, reply, now);
        throw rateLimited(names, 0, { ok: false, reason: reply[1], retryAfterMs: num(reply[2]) });
      });
    }
    return new Promise<Lease>((resolve, reject) => {
      const waiter: Waiter = {
        keys: names,
        weight,
        since: now,
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
      const mode = this.#hasQueued(names) ? 'queue' : 'acquire';
      for (const key of names) {
        let queue = this.#queues.get(key);
        if (queue === undefined) {
          queue = new Set();
          this.#queues.set(key, queue);
        }
        queue.add(waiter);
      }
      this.#waiters.add(waiter);
      if (Number.isFinite(maxWaitMs)) {
        waiter.deadline = this.#clock.setTimeout(
          () => this.#expire(waiter, now + maxWaitMs),
          maxWaitMs,
        );
      }
      if (signal !== undefined) {
        waiter.onAbort = () => this.#giveUp(waiter, abortedError(signal, 'limiter acquire'));
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#runAdmit(names, weight, mode, '', now).then(
        (reply) => this.#settled(waiter, reply, now),
        (error: unknown) => this.#failed(waiter, error),
      );
    });
  }

  async usage(key: string): Promise<LimiterUsage> {
    this.#open();
    requireKeyName(key, 'key');
    const rule = this.#rules.get(key);
    if (rule === undefined) return { requests: 0, tokens: 0, costUsd: 0 };
    const [requests, tokens, cost] = await this.#call<[string, string, string]>(
      this.#usage,
      [`${this.#base}l:${key}:h`, `${this.#base}l:${key}:w`],
      [this.#serverTime ? '' : this.#clock.now(), limitText(rule.windowMs)],
      'limiter usage',
    );
    return {
      requests: Number(requests),
      tokens: Number(tokens),
      costUsd: Number(cost) / NANOS_PER_USD,
    };
  }

  async observe(key: string, feedback: RateLimitFeedback): Promise<void> {
    this.#open();
    requireKeyName(key, 'key');
    const now = this.#clock.now();
    const pause = feedbackPause(feedback, now, this.#rules.get(key)?.windowMs);
    if (pause === undefined) return;
    const { requestsUntil, tokensUntil } = pause;
    const keepMs = Math.ceil(Math.max(requestsUntil, tokensUntil) - now + this.#ticketTtlMs);
    // Durations from now, so the pause holds on the script's clock (the server's in live use).
    await this.#call(
      this.#observe,
      [this.#hashKey(key)],
      [
        requestsUntil > now ? requestsUntil - now : '',
        tokensUntil > now ? tokensUntil - now : '',
        keepMs,
        this.#serverTime ? '' : now,
      ],
      'limiter observe',
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = new TroupeError('ERR_CLOSED', 'the rate limiter is closed');
    for (const waiter of [...this.#waiters]) this.#giveUp(waiter, error, false);
    await this.idle().catch(() => {});
    this.#reader.remove(this.#readerClient);
    await this.#connection.close();
  }

  // -- waiting --------------------------------------------------------------------------------

  #hasQueued(names: readonly string[]): boolean {
    for (const key of names) {
      const queue = this.#queues.get(key);
      if (queue === undefined) continue;
      for (const waiter of queue) if (waiter.phase === 'queued') return true;
    }
    return false;
  }

  #isHead(waiter: Waiter): boolean {
    for (const key of waiter.keys) {
      const first = this.#queues.get(key)?.values().next().value;
      if (first !== waiter) return false;
    }
    return true;
  }

  /**
   * Follows the team's wake stream through the team's one blocking reader while this limiter
   * has waiters. A wake written before the first read is not seen: once following (and after
   * every fresh connection), every head waiter retries once to catch up.
   */
  #subscribe(): void {
    if (this.#closed) return;
    if (this.#following) {
      this.#reader.changed();
      return;
    }
    this.#following = true;
    this.#connection.client.xrevrange(this.#channel, '+', '-', 'COUNT', 1).then(
      (newest) => {
        this.#wakeId = newest[0]?.[0] ?? '0-0';
        if (this.#closed) return;
        this.#reader.add(this.#readerClient);
        this.#reader.changed();
        this.#catchUp();
      },
      () => {
        this.#following = false; // the next queued waiter tries again
      },
    );
  }

  #catchUp(): void {
    const now = this.#clock.now();
    for (const waiter of [...this.#waiters]) {
      if (waiter.eventDriven && this.#isHead(waiter)) this.#retry(waiter, now);
    }
  }

  /** What this limiter waits on through the team reader: its wake stream, while it has waiters. */
  readonly #readerClient: ReaderClient = {
    blockMs: 5_000,
    interests: () =>
      this.#waiters.size > 0 && this.#wakeId !== undefined
        ? new Map([[this.#channel, this.#wakeId]])
        : new Map(),
    count: () => 64,
    deliver: (_key, entries) => {
      const last = entries[entries.length - 1];
      if (last !== undefined) this.#wakeId = last[0];
      const now = this.#clock.now();
      for (const [, fields] of entries) {
        const message = fields[1] ?? '';
        const sep = message.indexOf('|');
        if (sep < 0 || message.slice(0, sep) === this.#origin) continue;
        this.#pump([message.slice(sep + 1)], now);
      }
    },
    recheck: async () => this.#catchUp(),
    // Redis is gone for now: waiting for a wake would hang; each head retries and meets the
    // outage (or finds capacity), as a wait whose retry meets an outage does.
    fail: () => this.#catchUp(),
  };

  /** Reply to a waiter's admission script (first attempt or retry). */
  #settled(waiter: Waiter, reply: AdmitReply, at: number): void {
    waiter.inFlight = false;
    if (reply[0] === 1) {
      if (waiter.phase === 'done') {
        // It gave up while the script ran: the admission never happened.
        void this.adjust(
          waiter.keys,
          memberOf(reply[1], waiter.weight),
          -waiter.weight.requests,
          -waiter.weight.tokens,
          -waiter.weight.cost,
        ).catch(() => {});
        return;
      }
      this.#remove(waiter);
      waiter.resolve(this.#leaseOf(waiter.keys, waiter.weight, reply, at));
      this.#pump(waiter.keys, at);
      return;
    }
    const [, reason, retryAfter, ticket, wakeIn, blocker] = reply;
    if (ticket !== '') {
      waiter.ticket = ticket;
      this.#tickets.set(ticket, waiter);
    }
    if (waiter.ticket !== undefined && waiter.refresh === undefined && waiter.phase !== 'done') {
      this.#keepTicket(waiter);
    }
    if (waiter.phase === 'done') {
      if (waiter.ticket !== undefined) this.#leaveQueue(waiter);
      return;
    }
    waiter.phase = 'queued';
    this.#subscribe();
    if (blocker === '') waiter.lastRefusal = { ok: false, reason, retryAfterMs: num(retryAfter) };
    if (waiter.expiresAt !== undefined) {
      // Past maxWaitMs: the attempt at the deadline itself has now been made (or cannot be).
      if (at >= waiter.expiresAt || !this.#isHead(waiter)) {
        this.#giveUp(
          waiter,
          rateLimited(waiter.keys, waiter.expiresAt - waiter.since, waiter.lastRefusal),
        );
        return;
      }
      this.#retry(waiter, waiter.expiresAt);
      return;
    }
    if (waiter.again !== undefined) {
      const again = waiter.again;
      waiter.again = undefined;
      this.#retry(waiter, Math.max(again, at));
      return;
    }
    // wakeIn is relative to the script's now: on our clock, from the time of this attempt.
    this.#arm(waiter, at + num(wakeIn), blocker);
  }

  /**
   * Refreshes a queued waiter's ticket every third of the ticket TTL, so it keeps its place
   * for as long as it waits, and a waiter whose process died lapses one TTL after its last
   * refresh (instead of holding its key until the time it was waiting for).
   */
  #keepTicket(waiter: Waiter): void {
    waiter.refresh = this.#clock.setTimeout(() => {
      waiter.refresh = undefined;
      const ticket = waiter.ticket;
      if (waiter.phase === 'done' || ticket === undefined || this.#closed) return;
      const keys: string[] = [];
      for (const key of waiter.keys)
        keys.push(`${this.#base}l:${key}:h`, `${this.#base}l:${key}:q`);
      const now = this.#serverTime ? '' : this.#clock.now();
      this.#call(
        this.#touch,
        keys,
        [ticket, now, this.#ticketTtlMs],
        'limiter ticket refresh',
      ).catch(
        () => {}, // the next refresh or retry tries again; a lapsed ticket is re-queued by a retry
      );
      this.#keepTicket(waiter);
    }, this.#ticketTtlMs / 3);
  }

  #failed(waiter: Waiter, error: unknown): void {
    waiter.inFlight = false;
    if (waiter.phase === 'done') return;
    this.#giveUp(waiter, error);
  }

  /** Arms the one timer a waiter needs: when capacity frees, or when a remote blocker lapses. */
  #arm(waiter: Waiter, wakeAt: number, blocker: string): void {
    if (waiter.wake !== undefined) this.#clock.clearTimeout(waiter.wake);
    waiter.wake = undefined;
    waiter.eventDriven =
      (blocker !== '' && !this.#tickets.has(blocker)) || !Number.isFinite(wakeAt);
    // A local blocker wakes us itself when it leaves; infinity waits for a refund.
    if ((blocker !== '' && this.#tickets.has(blocker)) || !Number.isFinite(wakeAt)) return;
    const delay = Math.max(0, wakeAt - this.#clock.now());
    waiter.wake = this.#clock.setTimeout(() => {
      waiter.wake = undefined;
      // A timer that fires late still acts at the time it was due: the admission is stamped
      // with the moment capacity freed, as the in-memory limiter does.
      if (this.#isHead(waiter)) this.#retry(waiter, Math.min(wakeAt, this.#clock.now()));
    }, delay);
  }

  #retry(waiter: Waiter, at: number): void {
    if (waiter.phase !== 'queued' || this.#closed) return;
    if (waiter.inFlight) {
      waiter.again = Math.max(waiter.again ?? at, at);
      return;
    }
    waiter.inFlight = true;
    this.#runAdmit(waiter.keys, waiter.weight, 'retry', waiter.ticket ?? '', at).then(
      (reply) => this.#settled(waiter, reply, at),
      (error: unknown) => this.#failed(waiter, error),
    );
  }

  /** Retries the local head waiter of each key (at the head of all its queues). */
  #pump(keys: readonly string[], at: number): void {
    if (this.#waiters.size === 0) return;
    for (const key of keys) {
      const first = this.#queues.get(key)?.values().next().value;
      if (first === undefined || !this.#isHead(first)) continue;
      // Still starting (its first reply not in yet): remember the wake for when it lands.
      if (first.inFlight) first.again = Math.max(first.again ?? at, at);
      else if (first.phase === 'queued') this.#retry(first, at);
    }
  }

  #expire(waiter: Waiter, at: number): void {
    waiter.deadline = undefined;
    if (waiter.phase === 'done') return;
    waiter.expiresAt = at;
    if (waiter.wake !== undefined) this.#clock.clearTimeout(waiter.wake);
    waiter.wake = undefined;
    // Capacity freeing at the very deadline still counts: one last attempt, then give up.
    if (waiter.inFlight) return; // the reply decides
    if (waiter.phase === 'queued' && this.#isHead(waiter)) {
      this.#retry(waiter, at);
      return;
    }
    this.#giveUp(waiter, rateLimited(waiter.keys, at - waiter.since, waiter.lastRefusal));
  }

  #giveUp(waiter: Waiter, error: unknown, pump = true): void {
    if (waiter.phase === 'done') return;
    const wasQueued = waiter.phase === 'queued';
    this.#remove(waiter);
    waiter.reject(error);
    // The leave goes out before any retry the pump sends: same connection, same order.
    if (wasQueued && waiter.ticket !== undefined && !waiter.inFlight) this.#leaveQueue(waiter);
    if (pump) this.#pump(waiter.keys, this.#clock.now());
  }

  #leaveQueue(waiter: Waiter): void {
    const ticket = waiter.ticket;
    if (ticket === undefined) return;
    this.#tickets.delete(ticket);
    const keys: string[] = [];
    for (const key of waiter.keys) keys.push(`${this.#base}l:${key}:h`, `${this.#base}l:${key}:q`);
    // Pump again once it is gone: a local waiter behind it may have retried before the leave
    // landed (a NOSCRIPT fallback can reorder) and found it still ahead.
    this.#call(
      this.#leave,
      keys,
      [ticket, this.#channelSpec, ...waiter.keys],
      'limiter leave',
    ).then(
      () => this.#pump(waiter.keys, this.#clock.now()),
      () => {},
    );
  }

  #remove(waiter: Waiter): void {
    waiter.phase = 'done';
    this.#waiters.delete(waiter);
    for (const key of waiter.keys) {
      const queue = this.#queues.get(key);
      if (queue?.delete(waiter) && queue.size === 0) this.#queues.delete(key);
    }
    if (waiter.ticket !== undefined && !waiter.inFlight) this.#tickets.delete(waiter.ticket);
    if (waiter.wake !== undefined) this.#clock.clearTimeout(waiter.wake);
    if (waiter.deadline !== undefined) this.#clock.clearTimeout(waiter.deadline);
    if (waiter.refresh !== undefined) this.#clock.clearTimeout(waiter.refresh);
    waiter.refresh = undefined;
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.wake = undefined;
    waiter.deadline = undefined;
  }
}

/** The keys of a call, checked as core checks them, and bounded as Redis key parts. */
function keyNames(keys: string | readonly string[]): readonly string[] {
  const names = parseKeys(keys);
  for (const name of names) requireKeyName(name, 'keys');
  return names;
}

/** The admission script's reply as a list: its compact fast-path answers expanded. */
function normalReply(raw: RawAdmitReply, id: string): AdmitReply {
  if (raw === 1) return [1, id];
  if (typeof raw === 'string') return [1, id, raw];
  return raw;
}

function rateLimited(keys: readonly string[], waitedMs: number, refusal: Refusal): TroupeError {
  return new TroupeError(
    'ERR_RATE_LIMITED',
    `rate limited on ${keys.join(', ')} (${refusal.reason}) after waiting ${waitedMs} ms`,
    { details: { keys, waitedMs, reason: refusal.reason, retryAfterMs: refusal.retryAfterMs } },
  );
}
