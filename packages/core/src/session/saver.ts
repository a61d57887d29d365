import { checkOptionNames } from '../backend/validate.js';
import type { Clock, TimerHandle } from '../clock.js';
import { invalidArgument } from '../errors.js';
import type { ChatMessage } from '../model.js';
import { checkIndex, checkSnapshot } from './checks.js';
import { redactSecrets } from './redact.js';
import {
  type Backoff,
  parseRetry,
  type RetryOptions,
  report,
  reportClosed,
  retryable,
  type WriteErrorHandler,
} from './retry.js';
import type { SessionSnapshot, SessionStore } from './types.js';

/**
 * The saver's default coalescing window: see {@link SessionSaverOptions.coalesceMs}.
 *
 * @example
 * ```ts
 * createSessionSaver({ store, clock, coalesceMs: DEFAULT_COALESCE_MS / 2 });
 * ```
 */
export const DEFAULT_COALESCE_MS = 100;

/**
 * Messages at positions `fromIndex, fromIndex + 1, ...` of a session's history.
 *
 * @example
 * ```ts
 * saver.schedule(snapshot, { fromIndex: 10, messages: history.slice(10) });
 * ```
 */
export interface HistoryRange {
  readonly fromIndex: number;
  readonly messages: readonly ChatMessage[];
}

/**
 * Options for {@link createSessionSaver}.
 *
 * @example
 * ```ts
 * const options: SessionSaverOptions = { store, clock, coalesceMs: 50, retry: { maxAttempts: 3 } };
 * ```
 */
export interface SessionSaverOptions {
  readonly store: SessionStore;
  readonly clock: Clock;
  /**
   * How long a scheduled save waits before writing, so a burst of saves becomes one write
   * (default 100 ms). It bounds how many writes a busy session costs (at most one per window,
   * whatever the store's speed) and how much a crash can lose (the last window's turns).
   * 0 writes on the clock's next tick, after the caller's current work.
   */
  readonly coalesceMs?: number;
  readonly retry?: RetryOptions;
  /** Store errors, reported here and never thrown at the caller of `schedule`. */
  readonly onError?: WriteErrorHandler;
}

/**
 * Counters since the saver was created.
 *
 * @example
 * ```ts
 * const { snapshotWrites, stale, errors } = saver.stats();
 * ```
 */
export interface SessionSaverStats {
  /** `schedule` calls accepted. */
  readonly scheduled: number;
  /** `store.saveSnapshot` calls that succeeded. */
  readonly snapshotWrites: number;
  /** `store.appendHistory` calls that succeeded. */
  readonly historyWrites: number;
  /** Snapshots dropped because one with a higher revision was already scheduled. */
  readonly stale: number;
  /** Store errors seen (each reported to `onError`). */
  readonly errors: number;
  /** Sessions with a save queued or in flight. */
  readonly pendingSessions: number;
}

/**
 * Saves agents' sessions in the background. See {@link createSessionSaver}.
 *
 * @example
 * ```ts
 * const saver: SessionSaver = createSessionSaver({ store, clock });
 * saver.schedule(snapshot);
 * await saver.save(snapshot.sessionId);
 * ```
 */
export interface SessionSaver {
  /**
   * Queues a save and returns at once, never touching the store on the caller's stack.
   * `history` is the range of messages added since the last schedule.
   */
  schedule(snapshot: SessionSnapshot, history?: HistoryRange): void;
  /** Resolves once everything scheduled for the session before this call is durable. */
  save(sessionId: string): Promise<void>;
  /** `save` for every session with queued work. */
  flush(): Promise<void>;
  /** Flushes, then refuses further schedules (reported to `onError` as `ERR_CLOSED`). */
  close(): Promise<void>;
  stats(): SessionSaverStats;
}

const SAVER_OPTIONS: ReadonlySet<string> = new Set([
  'store',
  'clock',
  'coalesceMs',
  'retry',
  'onError',
]);

interface Range {
  fromIndex: number;
  messages: ChatMessage[];
}

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
  timer: TimerHandle | undefined;
  waiters: Waiter[];
}

/**
 * A background saver for agent sessions, built so persistence never slows an actor down.
 *
 * - `schedule` only queues: the store is called later, from a clock timer.
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
  const backoff: Backoff = parseRetry(options.retry);

  const slots = new Map<string, Slot>();
  const stats = { scheduled: 0, snapshotWrites: 0, historyWrites: 0, stale: 0, errors: 0 };
  let closing: Promise<void> | undefined;

  const hasQueued = (slot: Slot): boolean => slot.snapshot !== undefined || slot.ranges.length > 0;

  const start = (slot: Slot): void => {
    if (slot.timer !== undefined) {
      clock.clearTimeout(slot.timer);
      slot.timer = undefined;
    }
    slot.writing = true;
    const job = { snapshot: slot.snapshot, ranges: slot.ranges, gen: slot.gen };
    slot.snapshot = undefined;
    slot.ranges = [];
    void write(slot, job);
  };

  const write = async (
    slot: Slot,
    job: { snapshot: SessionSnapshot | undefined; ranges: Range[]; gen: number },
  ): Promise<void> => {
    let refused: unknown;
    let i = 0;
    try {
      for (; i < job.ranges.length; i++) {
        const range = job.ranges[i]!;
        try {
          // What a model put into tool arguments (or a text) can hold a credential: the stored
          // copy is redacted like the context; the agent's live history keeps what it saw.
          await store.appendHistory(slot.sessionId, range.fromIndex, redactSecrets(range.messages));
          stats.historyWrites++;
        } catch (error) {
          if (retryable(error)) throw error;
          refused = fail(slot, error, 'history', false);
        }
      }
      if (job.snapshot !== undefined) {
        const snapshot = job.snapshot;
        const context = redactSecrets(snapshot.context);
        try {
          await store.saveSnapshot(
            context === snapshot.context ? snapshot : { ...snapshot, context },
          );
          stats.snapshotWrites++;
        } catch (error) {
          if (retryable(error)) throw error;
          refused = fail(slot, error, 'snapshot', false);
        }
      }
    } catch (error) {
      // Requeue what was not written, in front of anything scheduled meanwhile (always newer).
      slot.ranges = mergeRanges(job.ranges.slice(i), slot.ranges);
      slot.snapshot ??= job.snapshot;
      slot.attempts++;
      const willRetry = slot.attempts < backoff.maxAttempts;
      fail(slot, error, i < job.ranges.length ? 'history' : 'snapshot', willRetry);
      if (willRetry) {
        slot.timer = clock.setTimeout(() => {
          slot.timer = undefined;
          start(slot);
        }, backoff.delay(slot.attempts));
        return;
      }
      // Given up: the data stays queued for the next schedule, save or flush.
      slot.attempts = 0;
      slot.writing = false;
      settle(slot, slot.gen, error);
      return;
    }
    slot.attempts = 0;
    slot.writing = false;
    slot.durableGen = Math.max(slot.durableGen, job.gen);
    settle(slot, job.gen, refused);
    // Work queued while this write ran was already coalesced: write it straight away.
    if (hasQueued(slot)) {
      start(slot);
      return;
    }
    // Schedules since the write started queued nothing (stale snapshots): all durable.
    slot.durableGen = slot.gen;
    settle(slot, slot.gen, undefined);
    slots.delete(slot.sessionId);
  };

  const fail = (
    slot: Slot,
    error: unknown,
    operation: 'snapshot' | 'history',
    willRetry: boolean,
  ) => {
    stats.errors++;
    report(onError, error, {
      sessionId: slot.sessionId,
      operation,
      attempt: slot.attempts || 1,
      willRetry,
    });
    return error;
  };

  /** Resolves (or, with an error, rejects) the waiters a finished write covered. */
  const settle = (slot: Slot, gen: number, error: unknown): void => {
    if (slot.waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const waiter of slot.waiters) {
      if (waiter.gen > gen) keep.push(waiter);
      else if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
    slot.waiters = keep;
  };

  const save = (sessionId: string): Promise<void> => {
    const slot = slots.get(sessionId);
    if (slot === undefined || slot.durableGen >= slot.gen) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      slot.waiters.push({ gen: slot.gen, resolve, reject });
      // An explicit save does not wait for the coalescing timer.
      if (!slot.writing) start(slot);
    });
  };

  const flush = async (): Promise<void> => {
    await Promise.all([...slots.keys()].map(save));
  };

  return {
    schedule(snapshot: SessionSnapshot, history?: HistoryRange): void {
      checkSnapshot(snapshot);
      if (history !== undefined) {
        if (typeof history !== 'object' || history === null)
          throw invalidArgument('history must be an object');
        checkIndex(history.fromIndex, 'history.fromIndex');
        if (!Array.isArray(history.messages))
          throw invalidArgument('history.messages must be an array');
      }
      if (closing !== undefined) {
        stats.errors++;
        reportClosed(onError, 'session saver', snapshot.sessionId, 'snapshot');
        return;
      }
      stats.scheduled++;
      let slot = slots.get(snapshot.sessionId);
      if (slot === undefined) {
        slot = {
          sessionId: snapshot.sessionId,
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
        slots.set(snapshot.sessionId, slot);
      }
      slot.gen++;
      if (snapshot.revision > slot.maxRevision) {
        slot.maxRevision = snapshot.revision;
        slot.snapshot = snapshot;
      } else {
        stats.stale++;
      }
      if (history !== undefined && history.messages.length > 0) {
        // Copied: the caller may keep appending to its own array.
        addRange(slot.ranges, history.fromIndex, history.messages);
      }
      if (!slot.writing && slot.timer === undefined) {
        const ready = slot;
        ready.timer = clock.setTimeout(() => {
          ready.timer = undefined;
          if (!ready.writing) start(ready);
        }, coalesceMs);
      }
    },

    save(sessionId: string): Promise<void> {
      if (typeof sessionId !== 'string' || sessionId.length === 0) {
        return Promise.reject(
          invalidArgument('sessionId must be a non-empty string', { sessionId }),
        );
      }
      return save(sessionId);
    },

    flush,

    close(): Promise<void> {
      closing ??= flush().finally(() => {
        for (const slot of slots.values()) {
          if (slot.timer !== undefined) clock.clearTimeout(slot.timer);
          slot.timer = undefined;
        }
      });
      return closing;
    },

    stats(): SessionSaverStats {
      return { ...stats, pendingSessions: slots.size };
    },
  };
}

/** Adds messages to ordered ranges, merging overlaps; the common append extends the last one. */
function addRange(ranges: Range[], fromIndex: number, messages: readonly ChatMessage[]): void {
  const last = ranges.at(-1);
  if (
    last !== undefined &&
    fromIndex >= last.fromIndex &&
    fromIndex <= last.fromIndex + last.messages.length
  ) {
    // Positions already queued keep their first message, as the store keeps stored ones.
    for (let j = last.fromIndex + last.messages.length - fromIndex; j < messages.length; j++) {
      last.messages.push(messages[j]!);
    }
    return;
  }
  ranges.push({ fromIndex, messages: messages.slice() });
  if (last !== undefined && fromIndex < last.fromIndex) {
    const merged = mergeRanges(ranges, []);
    ranges.length = 0;
    ranges.push(...merged);
  }
}

/** Merges two range lists into one ordered list (positions hold the same message in both). */
function mergeRanges(first: Range[], second: Range[]): Range[] {
  if (second.length === 0 && first.length <= 1) return first;
  if (first.length === 0 && second.length <= 1) return second;
  const all = [...first, ...second].sort((a, b) => a.fromIndex - b.fromIndex);
  const out: Range[] = [];
  for (const range of all) {
    const last = out.at(-1);
    if (last === undefined || range.fromIndex > last.fromIndex + last.messages.length) {
      out.push({ fromIndex: range.fromIndex, messages: range.messages.slice() });
      continue;
    }
    for (
      let j = last.fromIndex + last.messages.length - range.fromIndex;
      j < range.messages.length;
      j++
    ) {
      last.messages.push(range.messages[j]!);
    }
  }
  return out;
}
