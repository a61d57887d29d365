import { invalidArgument } from '@troupe/core';
import { optionalRecord } from '@troupe/core/backend';

/**
 * How much of a stream (bus topic, discoveries) Redis keeps: at most `maxCount` entries
 * (trimmed approximately, in whole stream nodes) and none older than `maxAgeMs` (dropped as
 * new entries arrive). Unset: everything is kept.
 *
 * @example
 * ```ts
 * const retention: StreamRetention = { maxCount: 100_000, maxAgeMs: 86_400_000 };
 * ```
 */
export interface StreamRetention {
  readonly maxCount?: number;
  readonly maxAgeMs?: number;
}

/** `{ maxCount, maxAgeMs }` with 0 meaning unbounded, checked and named. */
export function parseRetention(value: unknown): { maxCount: number; maxAgeMs: number } {
  const record = optionalRecord(value, 'options.retention');
  const maxCount = record.maxCount ?? 0;
  if (
    record.maxCount !== undefined &&
    !(Number.isSafeInteger(maxCount) && (maxCount as number) > 0)
  ) {
    throw invalidArgument('options.retention.maxCount must be a positive integer', { maxCount });
  }
  const maxAgeMs = record.maxAgeMs ?? 0;
  if (
    record.maxAgeMs !== undefined &&
    !(typeof maxAgeMs === 'number' && Number.isFinite(maxAgeMs) && maxAgeMs > 0)
  ) {
    throw invalidArgument('options.retention.maxAgeMs must be a positive finite number', {
      maxAgeMs,
    });
  }
  return { maxCount: maxCount as number, maxAgeMs: maxAgeMs as number };
}
