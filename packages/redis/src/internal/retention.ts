import { optionalRecord, requireDuration, requirePositiveInteger } from '@troupe/core/backend';

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
  return {
    maxCount:
      record.maxCount === undefined
        ? 0
        : requirePositiveInteger(record.maxCount, 'options.retention.maxCount'),
    maxAgeMs:
      record.maxAgeMs === undefined
        ? 0
        : requireDuration(record.maxAgeMs, 'options.retention.maxAgeMs'),
  };
}
