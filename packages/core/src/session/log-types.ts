// The public shapes of the session log (see log.ts): options, stats and the interface.
import type { Clock } from '../clock.js';
import type { RetryOptions, WriteErrorHandler } from './retry.js';
import type { SessionLogEntry, SessionStore } from './types.js';

/**
 * Options for {@link createSessionLog}.
 *
 * @example
 * ```ts
 * const options: SessionLogOptions = { store, clock, flushIntervalMs: 250, maxBatch: 500 };
 * ```
 */
export interface SessionLogOptions {
  readonly store: SessionStore;
  readonly clock: Clock;
  /** Writes start at least this far apart, and no entry waits longer (default 500 ms). */
  readonly flushIntervalMs?: number;
  /**
   * Most entries per transaction (default 1000). A bigger backlog is written as several
   * transactions in the same round, yielding to the event loop between them; batches are also
   * sized so that the `appendLog` call itself holds the loop at most about 0.5 ms (all of the
   * transaction on a synchronous driver, the validating and serializing on one that writes
   * elsewhere), so one write never blocks the loop for long.
   */
  readonly maxBatch?: number;
  /**
   * Most entries appended and not yet durable (default 10 × `maxBatch`). An `append` that
   * passes it writes the backlog before returning when the store has `appendLogSync` (SQLite,
   * memory): the appender is slowed to the store's pace, so what a crash can lose stays within
   * bound at any append rate. With an async-only store the write round starts at once instead.
   */
  readonly maxPending?: number;
  readonly retry?: RetryOptions;
  /** Store errors, reported here and never thrown at the caller of `append`. */
  readonly onError?: WriteErrorHandler;
}

/**
 * Counters since the log was created.
 *
 * @example
 * ```ts
 * const { appended, written, batches } = log.stats();
 * ```
 */
export interface SessionLogStats {
  readonly appended: number;
  /** Entries durable in the store. */
  readonly written: number;
  /** `store.appendLog` calls (transactions) that succeeded. */
  readonly batches: number;
  readonly errors: number;
  /**
   * Entries the store refused as invalid (`ERR_INVALID_ARGUMENT`): each reported to `onError`
   * and skipped, so one bad entry never blocks the ones after it.
   */
  readonly dropped: number;
}

/**
 * A batched, single-writer session log. See {@link createSessionLog}.
 *
 * @example
 * ```ts
 * const log: SessionLog = createSessionLog({ store, clock });
 * log.append(entry);
 * await log.flush();
 * ```
 */
export interface SessionLog {
  /**
   * Buffers an entry and returns at once; the store is called later, in a batch. An entry
   * whose `data` JSON cannot hold (bigint, symbol, function, cycle, nesting past
   * `MAX_JSON_DEPTH`) is refused here with `ERR_INVALID_ARGUMENT` and nothing is buffered.
   * Past `maxPending` unwritten entries, writes the backlog first (see `maxPending`).
   */
  append(entry: SessionLogEntry): void;
  /** Resolves once every entry appended before the call is durable (writes now, not on the timer). */
  flush(): Promise<void>;
  /**
   * Writes every buffered entry before returning, when the store has `appendLogSync`
   * (SQLite, memory); returns false and writes nothing otherwise. For `exit` and signal handlers.
   */
  flushSync(): boolean;
  /** Flushes, then drops later appends (reported to `onError` as `ERR_CLOSED`). */
  close(): Promise<void>;
  /** Entries appended and not yet durable. */
  pending(): number;
  stats(): SessionLogStats;
}

/** Every option of {@link createSessionLog}: any other name is refused. */
export const LOG_OPTIONS: ReadonlySet<string> = new Set([
  'store',
  'clock',
  'flushIntervalMs',
  'maxBatch',
  'maxPending',
  'retry',
  'onError',
]);
