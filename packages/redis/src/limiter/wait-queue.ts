// The waits of one Redis limiter: a local FIFO per key, tickets in the cross-process queue,
// and the timers and wakes that make each head waiter retry exactly when it may pass.
import { abortedError, type Clock, type Lease } from '@troupe/core';
import { rateLimitedError, type Weight } from '@troupe/core/backend';
import type { ReaderClient, TeamReader } from '../internal/team-reader.js';
import { memberOf } from './lease.js';
import type { LimiterScripts } from './limiter-scripts.js';
import { num } from './replies.js';
import type { AdmitReply, Waiter } from './types.js';

/** What the queue needs of its limiter. */
export interface QueueOwner {
  readonly isClosed: boolean;
  /** Gives back an admission made for a waiter that had already given up. */
  adjust(
    names: readonly string[],
    member: string,
    dRequests: number,
    dTokens: number,
    dCost: number,
  ): Promise<void>;
  /** The lease of an admission reply. */
  leaseOf(names: readonly string[], weight: Weight, reply: [1, string, string?], at: number): Lease;
}

/** How long the limiter's share of the team reader blocks per read, ms. */
const WAKE_BLOCK_MS = 5_000;

/** The limiter's pending `acquire` calls. */
export class WaitQueue {
  readonly #scripts: LimiterScripts;
  readonly #owner: QueueOwner;
  readonly #reader: TeamReader;
  /** Local FIFO per key: insertion-ordered sets, head = first. */
  readonly #queues = new Map<string, Set<Waiter>>();
  readonly #waiters = new Set<Waiter>();
  readonly #tickets = new Map<string, Waiter>();
  #following = false;
  /** The id of the last wake read (undefined until the first look at the stream). */
  #wakeId: string | undefined;

  constructor(scripts: LimiterScripts, owner: QueueOwner, reader: TeamReader) {
    this.#scripts = scripts;
    this.#owner = owner;
    this.#reader = reader;
  }

  get #clock(): Clock {
    return this.#scripts.clock;
  }

  get size(): number {
    return this.#waiters.size;
  }

  /** Queues `waiter` (already built and timed) and sends its first attempt. */
  start(waiter: Waiter, now: number): void {
    const mode = this.hasQueued(waiter.keys) ? 'queue' : 'acquire';
    for (const key of waiter.keys) {
      let queue = this.#queues.get(key);
      if (queue === undefined) {
        queue = new Set();
        this.#queues.set(key, queue);
      }
      queue.add(waiter);
    }
    this.#waiters.add(waiter);
    if (Number.isFinite(waiter.maxWaitMs)) {
      waiter.deadline = this.#clock.setTimeout(
        () => this.#expire(waiter, now + waiter.maxWaitMs),
        waiter.maxWaitMs,
      );
    }
    const signal = waiter.signal;
    if (signal !== undefined) {
      waiter.onAbort = () => this.giveUp(waiter, abortedError(signal, 'limiter acquire'));
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
    this.#scripts.admit(waiter.keys, waiter.weight, mode, '', now).then(
      (reply) => this.#settled(waiter, reply, now),
      (error: unknown) => this.#failed(waiter, error),
    );
  }

  /** Whether a local waiter on any of `names` is queued (its first reply in). */
  hasQueued(names: readonly string[]): boolean {
    for (const key of names) {
      const queue = this.#queues.get(key);
      if (queue === undefined) continue;
      for (const waiter of queue) if (waiter.phase === 'queued') return true;
    }
    return false;
  }

  /** Fails every waiter with `error` (closing: no pump). */
  giveUpAll(error: unknown): void {
    for (const waiter of [...this.#waiters]) this.giveUp(waiter, error, false);
  }

  /** Stops following the wake stream. */
  stop(): void {
    this.#reader.remove(this.#readerClient);
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
    if (this.#owner.isClosed) return;
    if (this.#following) {
      this.#reader.changed();
      return;
    }
    this.#following = true;
    this.#scripts.connection.client.xrevrange(this.#scripts.channel, '+', '-', 'COUNT', 1).then(
      (newest) => {
        this.#wakeId = newest[0]?.[0] ?? '0-0';
        if (this.#owner.isClosed) return;
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
    blockMs: WAKE_BLOCK_MS,
    interests: () =>
      this.#waiters.size > 0 && this.#wakeId !== undefined
        ? new Map([[this.#scripts.channel, this.#wakeId]])
        : new Map(),
    count: () => 64,
    deliver: (_key, entries) => {
      const last = entries[entries.length - 1];
      if (last !== undefined) this.#wakeId = last[0];
      const now = this.#clock.now();
      for (const [, fields] of entries) {
        const message = fields[1] ?? '';
        const sep = message.indexOf('|');
        if (sep < 0 || message.slice(0, sep) === this.#scripts.origin) continue;
        this.pump([message.slice(sep + 1)], now);
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
      this.#admitted(waiter, reply, at);
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
      this.#lastAttempt(waiter, at);
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

  #admitted(waiter: Waiter, reply: [1, string, string?], at: number): void {
    if (waiter.phase === 'done') {
      // It gave up while the script ran: the admission never happened.
      void this.#owner
        .adjust(
          waiter.keys,
          memberOf(reply[1], waiter.weight),
          -waiter.weight.requests,
          -waiter.weight.tokens,
          -waiter.weight.cost,
        )
        .catch(() => {});
      return;
    }
    this.#remove(waiter);
    waiter.resolve(this.#owner.leaseOf(waiter.keys, waiter.weight, reply, at));
    this.pump(waiter.keys, at);
  }

  /** Past maxWaitMs: the attempt at the deadline itself has now been made (or cannot be). */
  #lastAttempt(waiter: Waiter, at: number): void {
    const expiresAt = waiter.expiresAt!;
    if (at >= expiresAt || !this.#isHead(waiter)) {
      this.giveUp(
        waiter,
        rateLimitedError(waiter.keys, expiresAt - waiter.since, waiter.lastRefusal),
      );
      return;
    }
    this.#retry(waiter, expiresAt);
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
      if (waiter.phase === 'done' || ticket === undefined || this.#owner.isClosed) return;
      this.#scripts.touch(ticket, waiter.keys, this.#clock.now()).catch(
        () => {}, // the next refresh or retry tries again; a lapsed ticket is re-queued by a retry
      );
      this.#keepTicket(waiter);
    }, this.#scripts.ticketTtlMs / 3);
  }

  #failed(waiter: Waiter, error: unknown): void {
    waiter.inFlight = false;
    if (waiter.phase === 'done') return;
    this.giveUp(waiter, error);
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
    if (waiter.phase !== 'queued' || this.#owner.isClosed) return;
    if (waiter.inFlight) {
      waiter.again = Math.max(waiter.again ?? at, at);
      return;
    }
    waiter.inFlight = true;
    this.#scripts.admit(waiter.keys, waiter.weight, 'retry', waiter.ticket ?? '', at).then(
      (reply) => this.#settled(waiter, reply, at),
      (error: unknown) => this.#failed(waiter, error),
    );
  }

  /** Retries the local head waiter of each key (at the head of all its queues). */
  pump(keys: readonly string[], at: number): void {
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
    this.giveUp(waiter, rateLimitedError(waiter.keys, at - waiter.since, waiter.lastRefusal));
  }

  giveUp(waiter: Waiter, error: unknown, pump = true): void {
    if (waiter.phase === 'done') return;
    const wasQueued = waiter.phase === 'queued';
    this.#remove(waiter);
    waiter.reject(error);
    // The leave goes out before any retry the pump sends: same connection, same order.
    if (wasQueued && waiter.ticket !== undefined && !waiter.inFlight) this.#leaveQueue(waiter);
    if (pump) this.pump(waiter.keys, this.#clock.now());
  }

  #leaveQueue(waiter: Waiter): void {
    const ticket = waiter.ticket;
    if (ticket === undefined) return;
    this.#tickets.delete(ticket);
    // Pump again once it is gone: a local waiter behind it may have retried before the leave
    // landed (a NOSCRIPT fallback can reorder) and found it still ahead.
    this.#scripts.leave(ticket, waiter.keys).then(
      () => this.pump(waiter.keys, this.#clock.now()),
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
