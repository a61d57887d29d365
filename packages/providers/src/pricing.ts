import type { ModelUsage } from '@troupe/core';
import { invalidArgument } from '@troupe/core';

/**
 * Prices in US dollars per million tokens. Cache reads and writes default to the input price
 * when not given.
 *
 * @example
 * ```ts
 * const pricing: Pricing = { inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 };
 * ```
 */
export interface Pricing {
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  readonly cacheReadPerMTok?: number;
  readonly cacheWritePerMTok?: number;
}

/**
 * Checks a pricing table once, at construction: every price a non-negative finite number, the
 * cache prices optional. Throws `ERR_INVALID_ARGUMENT` naming the offending price.
 *
 * @example
 * ```ts
 * validatePricing({ inputPerMTok: 3, outputPerMTok: 15 }); // fine
 * validatePricing({ inputPerMTok: -1, outputPerMTok: 15 }); // throws: pricing.inputPerMTok must be …
 * ```
 */
export function validatePricing(pricing: Pricing | undefined): void {
  if (pricing === undefined) return;
  if (typeof pricing !== 'object' || pricing === null)
    throw invalidArgument('pricing must be an object of prices per million tokens', { pricing });
  for (const key of [
    'inputPerMTok',
    'outputPerMTok',
    'cacheReadPerMTok',
    'cacheWritePerMTok',
  ] as const) {
    const value = pricing[key];
    if (value === undefined && (key === 'cacheReadPerMTok' || key === 'cacheWritePerMTok'))
      continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw invalidArgument(`pricing.${key} must be a non-negative finite number`, {
        [key]: value,
      });
    }
  }
}

/**
 * The cost of one call. `usage.inputTokens` counts every input token, cached or not (the
 * provider adapters normalise to that), so uncached input is what remains after cache reads
 * and writes.
 *
 * @example
 * ```ts
 * costOf({ inputTokens: 1_000_000, outputTokens: 0 }, { inputPerMTok: 3, outputPerMTok: 15 }); // 3
 * ```
 */
export function costOf(usage: ModelUsage, pricing: Pricing): number {
  const read = usage.cacheReadTokens ?? 0;
  const write = usage.cacheWriteTokens ?? 0;
  const plain = Math.max(0, usage.inputTokens - read - write);
  return (
    (plain * pricing.inputPerMTok +
      read * (pricing.cacheReadPerMTok ?? pricing.inputPerMTok) +
      write * (pricing.cacheWritePerMTok ?? pricing.inputPerMTok) +
      usage.outputTokens * pricing.outputPerMTok) /
    1_000_000
  );
}
