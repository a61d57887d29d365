import { performance } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '../clock.js';
import { checkLogEntry } from './checks.js';
import { bufferedLine, type LogLine, withData } from './log-lines.js';
import { type LogSettings, parseLogOptions } from './log-options.js';
import type { SessionLog, SessionLogOptions, SessionLogStats } from './log-types.js';
import { report, reportClosed, retryable } from './retry.js';
import type { SerializedLogEntry, SessionLogEntry, SessionStore } from './types.js';

export type { SessionLog, SessionLogOptions, SessionLogStats } from './log-types.js';

/**
 * Longest a transaction on a synchronous driver should hold the event loop, ms: batches are
 * sized to it (see `sliced`), so actors keep running while a large backlog is written. A
 * transaction's fixed cost (begin and commit, ~25 µs on SQLite in WAL mode) stays under 5%.
 */
const SLICE_MS = 0.5;

/** A write round: `[offset, end)` is the transaction in flight, `[end, limit)` still to write. */
interface Round {
  readonly entries: LogLine[];
  offset: number;
  end: number;
  limit: number;
}

interface Waiter {
  target: number;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The session log: team events buffered in memory and written in batches by one writer.
 *
 * - A write round starts at most every `flushIntervalMs` (default 500 ms) and takes the whole
 *   buffer; an entry appended to an idle log is written at once, later ones wait for the
 *   interval. A buffer of `maxBatch` entries starts its round at once, and past `maxPending`
 *   unwritten entries `append` writes them itself (stores with `appendLogSync`). So a crash
 *   loses at most the last `flushIntervalMs` of entries and never more than `maxPending`,
 *   whatever the append rate.
 * - Each `store.appendLog` call is one transaction of at most `maxBatch` entries.
 * - One writer: never two rounds, nor two transactions, in flight; entries keep their order.
 * - Store errors are retried with backoff on the clock and reported to `onError`; a failed
 *   batch goes back to the front of the buffer, and each failure halves the next
 *   transaction (down to one entry), so after a disk-full error a backlog larger than the
 *   freed space still drains as far as it fits. A batch refused as invalid is written entry
 *   by entry and the refused entries are skipped (`stats().dropped`).
 * - Secret keys in `data` are removed at `append`, as in snapshots before writing.
 *
 * @example
 * ```ts
 * const log = createSessionLog({ store, clock, flushIntervalMs: 500 });
 * const stop = flushOnExit(log); // SIGINT, SIGTERM, beforeExit
 * log.append({ sessionId: 's1', type: 'turn.started', at: clock.now(), data: { turn: 1 } });
 * await log.close();
 * stop();
 * ```
 */
export function createSessionLog(options: SessionLogOptions): SessionLog {
  return new BatchedSessionLog(parseLogOptions(options));
}

/**
 * The log {@link createSessionLog} returns, its options already checked. Its public methods
 * are own properties (arrow fields), as on the object the factory used to build: `flush` and
 * `flushSync` may be taken off it.
 */
class BatchedSessionLog implements SessionLog {
  readonly #store: SessionStore;
  readonly #clock: Clock;
  readonly #settings: LogSettings;
  // Only flushSync and backpressure use it: rounds always go through appendLog, the one async contract.
  readonly #writeSync: ((entries: readonly SessionLogEntry[]) => void) | undefined;
  /** The store takes entries serialized (`appendLogJson`): they are, at append. */
  readonly #json: boolean;
  /** `appendLogJson` (buffered entries then all carry `json`), else `appendLog`. */
  readonly #write: (entries: readonly LogLine[]) => Promise<void>;
  #buffer: LogLine[] = [];
  /** The round in progress: its entries from `offset` on are not written yet. */
  #current: Round | undefined;
  #writing = false;
  #timer: TimerHandle | undefined;
  #lastRoundAt = Number.NEGATIVE_INFINITY;
  #attempts = 0;
  /** The last write failed: backpressure waits for the retries instead of failing each append. */
  #failing = false;
  #waiters: Waiter[] = [];
  #closing: Promise<void> | undefined;
  readonly #stats = { appended: 0, written: 0, batches: 0, errors: 0, dropped: 0 };
  /** Entries per transaction now: halved by each failure, doubled back by each success. */
  #chunkSize: number;

  constructor(settings: LogSettings) {
    this.#settings = settings;
    this.#store = settings.store;
    this.#clock = settings.clock;
    this.#writeSync = settings.store.appendLogSync?.bind(settings.store);
    const { store } = settings;
    this.#json = typeof store.appendLogJson === 'function';
    this.#write = this.#json
      ? (entries) =>
          store.appendLogJson!(entries as readonly (SessionLogEntry & SerializedLogEntry)[])
      : (entries) => store.appendLog(entries);
    this.#chunkSize = settings.maxBatch;
  }

  readonly append = (entry: SessionLogEntry): void => {
    checkLogEntry(entry);
    const stats = this.#stats;
    if (this.#closing !== undefined) {
      stats.errors++;
      reportClosed(this.#settings.onError, 'session log', entry.sessionId, 'log');
      return;
    }
    // Redacted (and serialized, for a store that takes JSON) here, not in a write round that
    // would hold the event loop for all of it at once.
    this.#buffer.push(bufferedLine(entry, this.#json));
    stats.appended++;
    if (
      stats.appended - this.#settled() > this.#settings.maxPending &&
      !this.#failing &&
      this.#writeSync !== undefined
    ) {
      // Backpressure: the appender outruns the store; it pays for the write itself.
      this.flushSync();
      return;
    }
    if (this.#writing) return;
    if (this.#buffer.length >= this.#settings.maxBatch && this.#timer !== undefined) {
      // A full batch does not wait for the interval.
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#arm(0);
      return;
    }
    this.#armForInterval();
  };

  readonly flush = (): Promise<void> => {
    const target = this.#stats.appended;
    if (this.#settled() >= target) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ target, resolve, reject });
      if (!this.#writing) {
        if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
        this.#timer = undefined;
        void this.#round();
      }
    });
  };

  readonly flushSync = (): boolean => {
    const writeSync = this.#writeSync;
    if (writeSync === undefined) return false;
    // Take over the current round's tail after the transaction in flight (already written).
    let entries = this.#buffer;
    const current = this.#current;
    if (current !== undefined) {
      entries = current.entries.slice(current.end, current.limit).concat(this.#buffer);
      current.limit = current.end;
    }
    this.#buffer = [];
    for (let offset = 0; offset < entries.length; ) {
      const end = Math.min(entries.length, offset + this.#settings.maxBatch);
      const chunk = entries.slice(offset, end).map(withData);
      try {
        writeSync(chunk);
        this.#stats.written += chunk.length;
        this.#stats.batches++;
      } catch (error) {
        const done = retryable(error) ? 0 : this.#salvageSync(writeSync, chunk, error);
        if (done < chunk.length) {
          this.#buffer = entries.slice(offset + done).concat(this.#buffer);
          this.#failing = true;
          this.#stats.errors++;
          this.#report(error, chunk[0]?.sessionId, 1, false);
          return false;
        }
      }
      offset = end;
    }
    this.#failing = false;
    this.#settle();
    return true;
  };

  readonly close = (): Promise<void> => {
    this.#closing ??= this.flush().finally(() => {
      if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    });
    return this.#closing;
  };

  readonly pending = (): number => this.#stats.appended - this.#settled();

  readonly stats = (): SessionLogStats => ({ ...this.#stats });

  /**
   * After a write whose call held the event loop for `ms`: batches shrink until a call takes
   * at most {@link SLICE_MS}, and grow back (to `maxBatch`) while they take less than half of
   * it. A store that writes inside the call (better-sqlite3 inline) holds the loop for the
   * whole transaction; one that writes elsewhere only for its validating and serializing.
   */
  #sliced(ms: number): void {
    if (ms > SLICE_MS) {
      this.#chunkSize = Math.max(1, this.#chunkSize >> 1);
    } else if (ms < SLICE_MS / 2) {
      this.#chunkSize = Math.min(this.#settings.maxBatch, this.#chunkSize * 2);
    }
  }

  /** Entries no longer pending: written, or refused as invalid and skipped. */
  #settled(): number {
    return this.#stats.written + this.#stats.dropped;
  }

  #arm(delay: number): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#round();
    }, delay);
  }

  #armForInterval(): void {
    if (this.#timer !== undefined) return;
    if (this.#waiters.length > 0) this.#arm(0);
    else {
      this.#arm(
        Math.max(0, this.#lastRoundAt + this.#settings.flushIntervalMs - this.#clock.now()),
      );
    }
  }

  #settle(error?: unknown): void {
    if (this.#waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (error !== undefined) waiter.reject(error);
      else if (waiter.target <= this.#settled()) waiter.resolve();
      else keep.push(waiter);
    }
    this.#waiters = keep;
  }

  #yieldToLoop(): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimeout(resolve, 0));
  }

  async #round(): Promise<void> {
    if (this.#buffer.length === 0) {
      this.#writing = false;
      return;
    }
    this.#writing = true;
    this.#lastRoundAt = this.#clock.now();
    const round: Round = { entries: this.#buffer, offset: 0, end: 0, limit: this.#buffer.length };
    this.#buffer = [];
    this.#current = round;
    while (round.offset < round.limit) {
      round.end = Math.min(round.limit, round.offset + this.#chunkSize);
      if (!(await this.#writeChunk(round))) return;
      round.offset = round.end;
      this.#attempts = 0;
      this.#settle();
      // Between transactions, let the actors run (unless someone is waiting on a flush).
      if (round.offset < round.limit && this.#waiters.length === 0) await this.#yieldToLoop();
    }
    this.#current = undefined;
    this.#writing = false;
    if (this.#buffer.length > 0) this.#armForInterval();
  }

  /**
   * Writes the round's `[offset, end)` as one transaction. False when it failed and the round
   * ended (its unwritten entries back in the buffer, a retry armed or given up).
   */
  async #writeChunk(round: Round): Promise<boolean> {
    // The call's synchronous part holds the event loop: timed on the host's monotonic clock
    // (the real loop is held whatever the team's clock says; Date.now() is too coarse). Chunk
    // sizes never change what is written, nor its order.
    const started = performance.now();
    const chunk = round.entries.slice(round.offset, round.end);
    try {
      const written = this.#write(chunk);
      const held = performance.now() - started;
      await written;
      this.#sliced(held);
      this.#stats.written += chunk.length;
      this.#stats.batches++;
      this.#failing = false;
    } catch (error) {
      const done = retryable(error) ? 0 : await this.#salvage(chunk, error);
      if (done < chunk.length) {
        this.#current = undefined;
        this.#failed(error, round.entries.slice(round.offset + done, round.limit));
        return false;
      }
    }
    return true;
  }

  /**
   * A batch the store refused as invalid: writes its entries one by one and skips (reports)
   * those refused again, so one bad entry never blocks the rest. Returns how many entries it
   * got through (written or skipped): fewer than all when a write failed for another reason,
   * and the rest is then retried as any failed batch.
   */
  async #salvage(chunk: SessionLogEntry[], first: unknown): Promise<number> {
    if (chunk.length === 1) return this.#skip(chunk[0]!, first);
    for (let i = 0; i < chunk.length; i++) {
      try {
        await this.#write([chunk[i]!]);
        this.#wroteOne();
      } catch (error) {
        if (retryable(error)) return i;
        this.#drop(chunk[i]!, error);
      }
    }
    return chunk.length;
  }

  /** {@link salvage} for `flushSync`: entry by entry, skipping the ones refused as invalid. */
  #salvageSync(
    write: (entries: readonly SessionLogEntry[]) => void,
    chunk: SessionLogEntry[],
    first: unknown,
  ): number {
    if (chunk.length === 1) return this.#skip(chunk[0]!, first);
    for (let i = 0; i < chunk.length; i++) {
      try {
        write([chunk[i]!]);
        this.#wroteOne();
      } catch (error) {
        if (retryable(error)) return i;
        this.#drop(chunk[i]!, error);
      }
    }
    return chunk.length;
  }

  /** One entry written on its own (salvaging a refused batch). */
  #wroteOne(): void {
    this.#stats.written++;
    this.#stats.batches++;
  }

  /** The one entry of a refused batch: skipped, so one entry got through. */
  #skip(entry: SessionLogEntry, error: unknown): 1 {
    this.#drop(entry, error);
    return 1;
  }

  #drop(entry: SessionLogEntry, error: unknown): void {
    this.#stats.dropped++;
    this.#stats.errors++;
    this.#report(error, entry.sessionId, 1, false);
  }

  #failed(error: unknown, unwritten: SessionLogEntry[]): void {
    // Back to the front: entries keep their order across retries.
    this.#buffer = unwritten.concat(this.#buffer);
    this.#stats.errors++;
    this.#attempts++;
    this.#failing = true;
    this.#chunkSize = Math.max(1, this.#chunkSize >> 1);
    const backoff = this.#settings.backoff;
    const willRetry = retryable(error) && this.#attempts < backoff.maxAttempts;
    this.#report(error, unwritten[0]?.sessionId, this.#attempts, willRetry);
    if (willRetry) {
      // Still the one writer: `writing` stays set until the retry's round ends.
      this.#arm(backoff.delay(this.#attempts));
      return;
    }
    // Given up: the entries stay buffered for the next append or flush.
    this.#attempts = 0;
    this.#writing = false;
    this.#settle(error);
  }

  #report(
    error: unknown,
    sessionId: string | undefined,
    attempt: number,
    willRetry: boolean,
  ): void {
    report(this.#settings.onError, error, { sessionId, operation: 'log', attempt, willRetry });
  }
}
