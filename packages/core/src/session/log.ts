import { checkOptionNames } from '../backend/validate.js';
import type { TimerHandle } from '../clock.js';
import { invalidArgument } from '../errors.js';
import { checkLogEntry } from './checks.js';
import {
  LOG_OPTIONS,
  type SessionLog,
  type SessionLogOptions,
  type SessionLogStats,
} from './log-types.js';
import { redactSecrets } from './redact.js';
import { type Backoff, parseRetry, report, reportClosed, retryable } from './retry.js';
import type { SessionLogEntry } from './types.js';

export type { SessionLog, SessionLogOptions, SessionLogStats } from './log-types.js';

/**
 * Longest a transaction on a synchronous driver should hold the event loop, ms: batches are
 * sized to it (see `sliced`), so actors keep running while a large backlog is written.
 */
const SLICE_MS = 4;

/** A write round: `[offset, end)` is the transaction in flight, `[end, limit)` still to write. */
interface Round {
  readonly entries: SessionLogEntry[];
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
 * - Secret keys in `data` are removed before writing, as in snapshots.
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
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  checkOptionNames(options as unknown as Record<string, unknown>, LOG_OPTIONS, 'session log');
  const { store, clock, flushIntervalMs = 500, maxBatch = 1_000, onError } = options;
  const maxPending = options.maxPending ?? maxBatch * 10;
  if (typeof store?.appendLog !== 'function')
    throw invalidArgument('options.store must be a SessionStore');
  if (typeof clock?.setTimeout !== 'function')
    throw invalidArgument('options.clock must be a Clock');
  if (!(Number.isFinite(flushIntervalMs) && flushIntervalMs >= 0)) {
    throw invalidArgument('options.flushIntervalMs must be a non-negative finite number', {
      flushIntervalMs,
    });
  }
  if (!(Number.isSafeInteger(maxBatch) && maxBatch >= 1)) {
    throw invalidArgument('options.maxBatch must be a positive integer', { maxBatch });
  }
  if (!(Number.isSafeInteger(maxPending) && maxPending >= 1)) {
    throw invalidArgument('options.maxPending must be a positive integer', { maxPending });
  }
  if (onError !== undefined && typeof onError !== 'function') {
    throw invalidArgument('options.onError must be a function');
  }
  const backoff: Backoff = parseRetry(options.retry);
  // Only flushSync and backpressure use it: rounds always go through appendLog, the one async contract.
  const writeSync = store.appendLogSync?.bind(store);

  let buffer: SessionLogEntry[] = [];
  /** The round in progress: its entries from `offset` on are not written yet. */
  let current: Round | undefined;
  let writing = false;
  let timer: TimerHandle | undefined;
  let lastRoundAt = Number.NEGATIVE_INFINITY;
  let attempts = 0;
  /** The last write failed: backpressure waits for the retries instead of failing each append. */
  let failing = false;
  let waiters: Waiter[] = [];
  let closing: Promise<void> | undefined;
  const stats = { appended: 0, written: 0, batches: 0, errors: 0, dropped: 0 };
  /** Entries per transaction now: halved by each failure, doubled back by each success. */
  let chunkSize = maxBatch;
  /**
   * After a transaction that took `ms`: a synchronous driver (a store with `appendLogSync`)
   * blocks the event loop for the whole transaction, so batches shrink until one takes at most
   * {@link SLICE_MS}, and grow back (to `maxBatch`) while they take less than half of it. An
   * async store's time is spent waiting, not blocking: its batches only grow back.
   */
  const sliced = (ms: number): void => {
    if (writeSync !== undefined && ms > SLICE_MS) chunkSize = Math.max(1, chunkSize >> 1);
    else if (writeSync === undefined || ms < SLICE_MS / 2) {
      chunkSize = Math.min(maxBatch, chunkSize * 2);
    }
  };
  /** Entries no longer pending: written, or refused as invalid and skipped. */
  const settled = (): number => stats.written + stats.dropped;

  const arm = (delay: number): void => {
    timer = clock.setTimeout(() => {
      timer = undefined;
      void round();
    }, delay);
  };

  const armForInterval = (): void => {
    if (timer !== undefined) return;
    if (waiters.length > 0) arm(0);
    else arm(Math.max(0, lastRoundAt + flushIntervalMs - clock.now()));
  };

  const settle = (error?: unknown): void => {
    if (waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const waiter of waiters) {
      if (error !== undefined) waiter.reject(error);
      else if (waiter.target <= settled()) waiter.resolve();
      else keep.push(waiter);
    }
    waiters = keep;
  };

  const yieldToLoop = (): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, 0));

  const round = async (): Promise<void> => {
    if (buffer.length === 0) {
      writing = false;
      return;
    }
    writing = true;
    lastRoundAt = clock.now();
    const round: Round = { entries: buffer, offset: 0, end: 0, limit: buffer.length };
    buffer = [];
    current = round;
    while (round.offset < round.limit) {
      round.end = Math.min(round.limit, round.offset + chunkSize);
      const started = clock.now();
      const chunk = prepare(round.entries, round.offset, round.end);
      try {
        await store.appendLog(chunk);
        stats.written += chunk.length;
        stats.batches++;
        failing = false;
        sliced(clock.now() - started);
      } catch (error) {
        const done = retryable(error) ? 0 : await salvage(chunk, error);
        if (done < chunk.length) {
          current = undefined;
          failed(error, round.entries.slice(round.offset + done, round.limit));
          return;
        }
      }
      round.offset = round.end;
      attempts = 0;
      settle();
      // Between transactions, let the actors run (unless someone is waiting on a flush).
      if (round.offset < round.limit && waiters.length === 0) await yieldToLoop();
    }
    current = undefined;
    writing = false;
    if (buffer.length > 0) armForInterval();
  };

  /**
   * A batch the store refused as invalid: writes its entries one by one and skips (reports)
   * those refused again, so one bad entry never blocks the rest. Returns how many entries it
   * got through (written or skipped): fewer than all when a write failed for another reason,
   * and the rest is then retried as any failed batch.
   */
  const salvage = async (chunk: SessionLogEntry[], first: unknown): Promise<number> => {
    if (chunk.length === 1) {
      drop(chunk[0]!, first);
      return 1;
    }
    for (let i = 0; i < chunk.length; i++) {
      try {
        await store.appendLog([chunk[i]!]);
        stats.written++;
        stats.batches++;
      } catch (error) {
        if (retryable(error)) return i;
        drop(chunk[i]!, error);
      }
    }
    return chunk.length;
  };

  const drop = (entry: SessionLogEntry, error: unknown): void => {
    stats.dropped++;
    stats.errors++;
    report(onError, error, {
      sessionId: entry.sessionId,
      operation: 'log',
      attempt: 1,
      willRetry: false,
    });
  };

  const failed = (error: unknown, unwritten: SessionLogEntry[]): void => {
    // Back to the front: entries keep their order across retries.
    buffer = unwritten.concat(buffer);
    stats.errors++;
    attempts++;
    failing = true;
    chunkSize = Math.max(1, chunkSize >> 1);
    const willRetry = retryable(error) && attempts < backoff.maxAttempts;
    report(onError, error, {
      sessionId: unwritten[0]?.sessionId,
      operation: 'log',
      attempt: attempts,
      willRetry,
    });
    if (willRetry) {
      // Still the one writer: `writing` stays set until the retry's round ends.
      arm(backoff.delay(attempts));
      return;
    }
    // Given up: the entries stay buffered for the next append or flush.
    attempts = 0;
    writing = false;
    settle(error);
  };

  const flush = (): Promise<void> => {
    const target = stats.appended;
    if (settled() >= target) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      waiters.push({ target, resolve, reject });
      if (!writing) {
        if (timer !== undefined) clock.clearTimeout(timer);
        timer = undefined;
        void round();
      }
    });
  };

  const flushSync = (): boolean => {
    if (writeSync === undefined) return false;
    // Take over the current round's tail after the transaction in flight (a store with
    // appendLogSync does its appendLog work inside the call, so that one is already written).
    let entries = buffer;
    if (current !== undefined) {
      entries = current.entries.slice(current.end, current.limit).concat(buffer);
      current.limit = current.end;
    }
    buffer = [];
    for (let offset = 0; offset < entries.length; ) {
      const end = Math.min(entries.length, offset + maxBatch);
      const chunk = prepare(entries, offset, end);
      try {
        writeSync(chunk);
        stats.written += chunk.length;
        stats.batches++;
      } catch (error) {
        const done = retryable(error) ? 0 : salvageSync(writeSync, chunk, error);
        if (done < chunk.length) {
          buffer = entries.slice(offset + done).concat(buffer);
          failing = true;
          stats.errors++;
          report(onError, error, {
            sessionId: chunk[0]?.sessionId,
            operation: 'log',
            attempt: 1,
            willRetry: false,
          });
          return false;
        }
      }
      offset = end;
    }
    failing = false;
    settle();
    return true;
  };

  /** {@link salvage} for `flushSync`: entry by entry, skipping the ones refused as invalid. */
  const salvageSync = (
    write: (entries: readonly SessionLogEntry[]) => void,
    chunk: SessionLogEntry[],
    first: unknown,
  ): number => {
    if (chunk.length === 1) {
      drop(chunk[0]!, first);
      return 1;
    }
    for (let i = 0; i < chunk.length; i++) {
      try {
        write([chunk[i]!]);
        stats.written++;
        stats.batches++;
      } catch (error) {
        if (retryable(error)) return i;
        drop(chunk[i]!, error);
      }
    }
    return chunk.length;
  };

  return {
    append(entry: SessionLogEntry): void {
      checkLogEntry(entry);
      if (closing !== undefined) {
        stats.errors++;
        reportClosed(onError, 'session log', entry.sessionId, 'log');
        return;
      }
      buffer.push(entry);
      stats.appended++;
      if (stats.appended - settled() > maxPending && !failing && writeSync !== undefined) {
        // Backpressure: the appender outruns the store; it pays for the write itself.
        flushSync();
        return;
      }
      if (writing) return;
      if (buffer.length >= maxBatch && timer !== undefined) {
        // A full batch does not wait for the interval.
        clock.clearTimeout(timer);
        timer = undefined;
        arm(0);
        return;
      }
      armForInterval();
    },

    flush,

    flushSync,

    close(): Promise<void> {
      closing ??= flush().finally(() => {
        if (timer !== undefined) clock.clearTimeout(timer);
        timer = undefined;
      });
      return closing;
    },

    pending(): number {
      return stats.appended - settled();
    },

    stats(): SessionLogStats {
      return { ...stats };
    },
  };
}

/** The entries of `[from, to)`, with secret keys removed from their data. */
function prepare(entries: readonly SessionLogEntry[], from: number, to: number): SessionLogEntry[] {
  const out = new Array<SessionLogEntry>(to - from);
  for (let i = from; i < to; i++) {
    const entry = entries[i]!;
    const data = redactSecrets(entry.data);
    out[i - from] = data === entry.data ? entry : { ...entry, data };
  }
  return out;
}
