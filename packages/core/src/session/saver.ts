import { checkOptionNames } from '../backend/validate.js';
import type { Clock, TimerHandle } from '../clock.js';
import { invalidArgument } from '../errors.js';
import { checkIndex, checkSnapshot } from './checks.js';
import { addRange, mergeRanges, type Range } from './history-ranges.js';
import { redactSecrets } from './redact.js';
import {
  type Backoff,
  parseRetry,
  report,
  reportClosed,
  retryable,
  type WriteErrorHandler,
} from './retry.js';
import {
  DEFAULT_COALESCE_MS,
  type HistoryRange,
  SAVER_OPTIONS,
  type SessionSaver,
  type SessionSaverOptions,
  type SessionSaverStats,
} from './saver-types.js';
import type { SessionSnapshot, SessionStore } from './types.js';

export {
  DEFAULT_COALESCE_MS,
  type HistoryRange,
  type SessionSaver,
  type SessionSaverOptions,
  type SessionSaverStats,
} from './saver-types.js';

interface Waiter {
  gen: number;
  resolve(): void;
  reject(error: unknown): void;
}

interface Slot {
  readonly sessionId: string;
  /** Latest snapshot scheduled and not yet taken by a write. */
  snapshot: SessionSnapshot | undefined;
  /** History not yet taken by a write: ordered, non-overlapping, non-adjacent ranges. */
  ranges: Range[];
  /** Highest revision ever scheduled: an older snapshot arriving later is dropped. */
  maxRevision: number;
  /** Count of schedules; a write taking the queue makes every generation up to it durable. */
  gen: number;
  durableGen: number;
  /** A write runs, or waits out a retry backoff: at most one per session. */
  writing: boolean;
  attempts: number;
  /** The retry backoff's timer. */
  timer: TimerHandle | undefined;
  waiters: Waiter[];
}

/**
 * A background saver for agent sessions, built so persistence never slows an actor down.
 *
 * - `schedule` only queues: the store is called later, from a clock timer, when the current
 *   coalescing window (`coalesceMs`, shared by all sessions) ends. The saves due together go
 *   to the store together, so a store can commit them as one.
 * - Saves coalesce per session: at most one write is in flight per session, and while it
 *   runs, later schedules replace the queued snapshot (10 rapid saves cost at most 2 writes).
 * - A snapshot is never replaced by one with a lower revision, in the queue or in the store.
 * - History ranges are merged, never dropped, when their snapshots coalesce; history is
 *   written before the snapshot that covers it.
 * - Secret keys in `context` and in history messages (tool arguments, credential-shaped text)
 *   are redacted ({@link redactSecrets}) before anything is written.
 * - Store errors are retried with backoff on the clock and reported to `onError`.
 *
 * @example
 * ```ts
 * const saver = createSessionSaver({ store, clock, onError: (e) => console.warn(e) });
 * saver.schedule(snapshot, { fromIndex: 4, messages: newMessages }); // returns at once
 * await saver.save(snapshot.sessionId); // durable now
 * await saver.close();
 * ```
 */
export function createSessionSaver(options: SessionSaverOptions): SessionSaver {
  return new BackgroundSaver(parseSaverOptions(options));
}

interface SaverSettings {
  readonly store: SessionStore;
  readonly clock: Clock;
  readonly coalesceMs: number;
  readonly onError: WriteErrorHandler | undefined;
  readonly backoff: Backoff;
}

/** Checks `createSessionSaver`'s options once, naming the offending option. */
function parseSaverOptions(options: SessionSaverOptions): SaverSettings {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  checkOptionNames(options as unknown as Record<string, unknown>, SAVER_OPTIONS, 'session saver');
  const { store, clock, coalesceMs = DEFAULT_COALESCE_MS, onError } = options;
  if (typeof store?.saveSnapshot !== 'function' || typeof store.appendHistory !== 'function') {
    throw invalidArgument('options.store must be a SessionStore');
  }
  if (typeof clock?.setTimeout !== 'function')
    throw invalidArgument('options.clock must be a Clock');
  if (!(Number.isFinite(coalesceMs) && coalesceMs >= 0)) {
    throw invalidArgument('options.coalesceMs must be a non-negative finite number', {
      coalesceMs,
    });
  }
  if (onError !== undefined && typeof onError !== 'function') {
    throw invalidArgument('options.onError must be a function');
  }
  return { store, clock, coalesceMs, onError, backoff: parseRetry(options.retry) };
}

/** What one write takes off a slot's queue. */
interface Job {
  readonly snapshot: SessionSnapshot | undefined;
  readonly ranges: Range[];
  readonly gen: number;
}

/**
 * The saver {@link createSessionSaver} returns, its options already checked. Its public
 * methods are own properties (arrow fields), as on the object the factory used to build.
 */
class BackgroundSaver implements SessionSaver {
  readonly #settings: SaverSettings;
  readonly #store: SessionStore;
  readonly #clock: Clock;
  readonly #slots = new Map<string, Slot>();
  /** Sessions waiting for the coalescing window to end. */
  readonly #due = new Set<Slot>();
  #window: TimerHandle | undefined;
  readonly #stats = { scheduled: 0, snapshotWrites: 0, historyWrites: 0, stale: 0, errors: 0 };
  #closing: Promise<void> | undefined;

  constructor(settings: SaverSettings) {
    this.#settings = settings;
    this.#store = settings.store;
    this.#clock = settings.clock;
  }

  readonly schedule = (snapshot: SessionSnapshot, history?: HistoryRange): void => {
    checkSnapshot(snapshot);
    if (history !== undefined) {
      if (typeof history !== 'object' || history === null)
        throw invalidArgument('history must be an object');
      checkIndex(history.fromIndex, 'history.fromIndex');
      if (!Array.isArray(history.messages))
        throw invalidArgument('history.messages must be an array');
    }
    if (this.#closing !== undefined) {
      this.#stats.errors++;
      reportClosed(this.#settings.onError, 'session saver', snapshot.sessionId, 'snapshot');
      return;
    }
    this.#stats.scheduled++;
    const slot = this.#slotFor(snapshot.sessionId);
    slot.gen++;
    if (snapshot.revision > slot.maxRevision) {
      slot.maxRevision = snapshot.revision;
      slot.snapshot = snapshot;
    } else {
      this.#stats.stale++;
    }
    if (history !== undefined && history.messages.length > 0) {
      // Copied: the caller may keep appending to its own array.
      addRange(slot.ranges, history.fromIndex, history.messages);
    }
    if (!slot.writing) {
      // One window for every session: the saves that fall due together go to the store
      // together (a store may commit them as one), and windows start at least coalesceMs apart,
      // so no session is written more than once a window.
      this.#due.add(slot);
      this.#window ??= this.#clock.setTimeout(() => this.#windowEnded(), this.#settings.coalesceMs);
    }
  };

  readonly save = (sessionId: string): Promise<void> => {
    if (typeof sessionId !== 'string' || sessionId.length === 0) {
      return Promise.reject(invalidArgument('sessionId must be a non-empty string', { sessionId }));
    }
    return this.#save(sessionId);
  };

  readonly flush = async (): Promise<void> => {
    await Promise.all([...this.#slots.keys()].map((sessionId) => this.#save(sessionId)));
  };

  readonly close = (): Promise<void> => {
    this.#closing ??= this.flush().finally(() => {
      if (this.#window !== undefined) this.#clock.clearTimeout(this.#window);
      this.#window = undefined;
      for (const slot of this.#slots.values()) {
        if (slot.timer !== undefined) this.#clock.clearTimeout(slot.timer);
        slot.timer = undefined;
      }
    });
    return this.#closing;
  };

  readonly stats = (): SessionSaverStats => ({ ...this.#stats, pendingSessions: this.#slots.size });

  #slotFor(sessionId: string): Slot {
    let slot = this.#slots.get(sessionId);
    if (slot === undefined) {
      slot = {
        sessionId,
        snapshot: undefined,
        ranges: [],
        maxRevision: Number.NEGATIVE_INFINITY,
        gen: 0,
        durableGen: 0,
        writing: false,
        attempts: 0,
        timer: undefined,
        waiters: [],
      };
      this.#slots.set(sessionId, slot);
    }
    return slot;
  }

  #save(sessionId: string): Promise<void> {
    const slot = this.#slots.get(sessionId);
    if (slot === undefined || slot.durableGen >= slot.gen) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      slot.waiters.push({ gen: slot.gen, resolve, reject });
      // An explicit save does not wait for the coalescing timer.
      if (!slot.writing) this.#start(slot);
    });
  }

  #windowEnded(): void {
    this.#window = undefined;
    const due = [...this.#due];
    this.#due.clear();
    for (const slot of due) if (!slot.writing) this.#start(slot);
  }

  #start(slot: Slot): void {
    this.#due.delete(slot);
    if (slot.timer !== undefined) {
      this.#clock.clearTimeout(slot.timer);
      slot.timer = undefined;
    }
    slot.writing = true;
    const job: Job = { snapshot: slot.snapshot, ranges: slot.ranges, gen: slot.gen };
    slot.snapshot = undefined;
    slot.ranges = [];
    void this.#write(slot, job);
  }

  async #write(slot: Slot, job: Job): Promise<void> {
    // Ranges written so far: a failure requeues the rest.
    const progress = { written: 0 };
    let refused: unknown;
    try {
      refused = await this.#writeJob(slot, job, progress);
    } catch (error) {
      this.#retry(slot, job, progress.written, error);
      return;
    }
    slot.attempts = 0;
    slot.writing = false;
    slot.durableGen = Math.max(slot.durableGen, job.gen);
    this.#settle(slot, job.gen, refused);
    // Work queued while this write ran was already coalesced: write it straight away.
    if (slot.snapshot !== undefined || slot.ranges.length > 0) {
      this.#start(slot);
      return;
    }
    // Schedules since the write started queued nothing (stale snapshots): all durable.
    slot.durableGen = slot.gen;
    this.#settle(slot, slot.gen, undefined);
    this.#slots.delete(slot.sessionId);
  }

  /**
   * Writes the job's history, then its snapshot. Throws a retryable error; returns the last
   * error the store refused (reported, not retried), if any.
   */
  async #writeJob(slot: Slot, job: Job, progress: { written: number }): Promise<unknown> {
    let refused: unknown;
    for (; progress.written < job.ranges.length; progress.written++) {
      const range = job.ranges[progress.written]!;
      try {
        // What a model put into tool arguments (or a text) can hold a credential: the stored
        // copy is redacted like the context; the agent's live history keeps what it saw.
        await this.#store.appendHistory(
          slot.sessionId,
          range.fromIndex,
          redactSecrets(range.messages),
        );
        this.#stats.historyWrites++;
      } catch (error) {
        if (retryable(error)) throw error;
        refused = this.#fail(slot, error, 'history', false);
      }
    }
    if (job.snapshot !== undefined) {
      const snapshot = job.snapshot;
      const context = redactSecrets(snapshot.context);
      try {
        await this.#store.saveSnapshot(
          context === snapshot.context ? snapshot : { ...snapshot, context },
        );
        this.#stats.snapshotWrites++;
      } catch (error) {
        if (retryable(error)) throw error;
        refused = this.#fail(slot, error, 'snapshot', false);
      }
    }
    return refused;
  }

  /** After a retryable failure: requeues what was not written and retries with backoff. */
  #retry(slot: Slot, job: Job, written: number, error: unknown): void {
    // Requeue what was not written, in front of anything scheduled meanwhile (always newer).
    slot.ranges = mergeRanges(job.ranges.slice(written), slot.ranges);
    slot.snapshot ??= job.snapshot;
    slot.attempts++;
    const backoff = this.#settings.backoff;
    const willRetry = slot.attempts < backoff.maxAttempts;
    this.#fail(slot, error, written < job.ranges.length ? 'history' : 'snapshot', willRetry);
    if (willRetry) {
      slot.timer = this.#clock.setTimeout(() => {
        slot.timer = undefined;
        this.#start(slot);
      }, backoff.delay(slot.attempts));
      return;
    }
    // Given up: the data stays queued for the next schedule, save or flush.
    slot.attempts = 0;
    slot.writing = false;
    this.#settle(slot, slot.gen, error);
  }

  #fail(
    slot: Slot,
    error: unknown,
    operation: 'snapshot' | 'history',
    willRetry: boolean,
  ): unknown {
    this.#stats.errors++;
    report(this.#settings.onError, error, {
      sessionId: slot.sessionId,
      operation,
      attempt: slot.attempts || 1,
      willRetry,
    });
    return error;
  }

  /** Resolves (or, with an error, rejects) the waiters a finished write covered. */
  #settle(slot: Slot, gen: number, error: unknown): void {
    if (slot.waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const waiter of slot.waiters) {
      if (waiter.gen > gen) keep.push(waiter);
      else if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
    slot.waiters = keep;
  }
}
