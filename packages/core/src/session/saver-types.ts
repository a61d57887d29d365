// The public shapes of the session saver (see saver.ts): options, stats and the interface.
import type { Clock } from '../clock.js';
import type { ChatMessage } from '../model.js';
import type { RetryOptions, WriteErrorHandler } from './retry.js';
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
   * The coalescing window (default 100 ms): a scheduled save waits at most this long before
   * writing, so a burst of saves becomes one write; one window serves all sessions, and
   * windows start at least this far apart. It bounds how many writes a busy session costs
   * (at most one per window, whatever the store's speed) and how much a crash can lose (the
   * last window's turns). 0 writes on the clock's next tick, after the caller's current work.
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

/** The option names `createSessionSaver` accepts. */
export const SAVER_OPTIONS: ReadonlySet<string> = new Set([
  'store',
  'clock',
  'coalesceMs',
  'retry',
  'onError',
]);
