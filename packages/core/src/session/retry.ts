import { checkOptionNames, closedError } from '../backend/validate.js';
import { invalidArgument, isTroupeError } from '../errors.js';

/**
 * How a background writer retries a failing store.
 *
 * @example
 * ```ts
 * createSessionLog({ store, clock, retry: { baseMs: 50, maxMs: 2_000, maxAttempts: 10 } });
 * ```
 */
export interface RetryOptions {
  /** First backoff, ms (default 100); doubles per consecutive failure. */
  readonly baseMs?: number;
  /** Backoff cap, ms (default 5000). */
  readonly maxMs?: number;
  /**
   * Consecutive failures before a write is given up (default 5): its data stays queued for the
   * next trigger (a new entry, a `save()`, a `flush()`), and callers waiting on it are rejected.
   */
  readonly maxAttempts?: number;
}

/**
 * What an `onError` callback learns besides the error itself.
 *
 * @example
 * ```ts
 * onError: (error, { sessionId, operation, attempt, willRetry }) => {
 *   if (!willRetry) console.error(`${operation} of ${sessionId} given up after ${attempt} attempts`, error);
 * }
 * ```
 */
export interface WriteErrorInfo {
  /** The session whose write failed (the first of the batch for a log write). */
  readonly sessionId: string | undefined;
  readonly operation: 'snapshot' | 'history' | 'log';
  /** Consecutive failures so far, from 1. */
  readonly attempt: number;
  /** False when the write was given up or its data was refused as invalid. */
  readonly willRetry: boolean;
}

/**
 * Receives store errors that background writers caught (they never throw into the caller).
 *
 * @example
 * ```ts
 * const onError: WriteErrorHandler = (error, info) => console.warn('persistence', info, error);
 * ```
 */
export type WriteErrorHandler = (error: unknown, info: WriteErrorInfo) => void;

export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly maxAttempts: number;
  delay(attempt: number): number;
}

const RETRY_OPTIONS: ReadonlySet<string> = new Set(['baseMs', 'maxMs', 'maxAttempts']);

export function parseRetry(retry: RetryOptions | undefined): Backoff {
  if (retry !== undefined) {
    if (typeof retry !== 'object' || retry === null) {
      throw invalidArgument('options.retry must be an object', { retry });
    }
    checkOptionNames(retry as Record<string, unknown>, RETRY_OPTIONS, 'retry', 'options.retry');
  }
  const { baseMs = 100, maxMs = 5_000, maxAttempts = 5 } = retry ?? {};
  if (!(Number.isFinite(baseMs) && baseMs >= 0)) {
    throw invalidArgument('options.retry.baseMs must be a non-negative finite number', { baseMs });
  }
  if (!(Number.isFinite(maxMs) && maxMs >= baseMs)) {
    throw invalidArgument('options.retry.maxMs must be a finite number >= retry.baseMs', { maxMs });
  }
  if (!(Number.isSafeInteger(maxAttempts) && maxAttempts >= 1)) {
    throw invalidArgument('options.retry.maxAttempts must be a positive integer', { maxAttempts });
  }
  return {
    baseMs,
    maxMs,
    maxAttempts,
    delay: (attempt) => Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1)),
  };
}

/** Invalid data never becomes valid by waiting: such errors are not retried. */
export function retryable(error: unknown): boolean {
  return !(isTroupeError(error, 'ERR_INVALID_ARGUMENT') || isTroupeError(error, 'ERR_CLOSED'));
}

/** Calls the user's handler; a handler that throws must not break the writer. */
export function report(
  handler: WriteErrorHandler | undefined,
  error: unknown,
  info: WriteErrorInfo,
) {
  if (handler === undefined) return;
  try {
    handler(error, info);
  } catch {
    // The handler's own failure has nowhere better to go.
  }
}

/**
 * Reports a write refused because the writer (`what`) is closing: `ERR_CLOSED`, not retried.
 * Writers count it in their own stats.
 */
export function reportClosed(
  handler: WriteErrorHandler | undefined,
  what: string,
  sessionId: string,
  operation: WriteErrorInfo['operation'],
): void {
  report(handler, closedError(what), { sessionId, operation, attempt: 1, willRetry: false });
}
