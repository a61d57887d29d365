// The session log's options, checked once by createSessionLog, naming the offending option.
import { checkOptionNames } from '../backend/validate.js';
import type { Clock } from '../clock.js';
import { invalidArgument } from '../errors.js';
import { LOG_OPTIONS, type SessionLogOptions } from './log-types.js';
import { type Backoff, parseRetry, type WriteErrorHandler } from './retry.js';
import type { SessionStore } from './types.js';

/** {@link SessionLogOptions} checked, with their defaults filled in. */
export interface LogSettings {
  readonly store: SessionStore;
  readonly clock: Clock;
  readonly flushIntervalMs: number;
  readonly maxBatch: number;
  readonly maxPending: number;
  readonly onError: WriteErrorHandler | undefined;
  readonly backoff: Backoff;
}

/** Checks `createSessionLog`'s options and fills in the defaults. */
export function parseLogOptions(options: SessionLogOptions): LogSettings {
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
  const backoff = parseRetry(options.retry);
  return { store, clock, flushIntervalMs, maxBatch, maxPending, onError, backoff };
}
