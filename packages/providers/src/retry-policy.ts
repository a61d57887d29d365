import type { Rng } from '@troupe/core';
import { invalidArgument } from '@troupe/core';

/**
 * How a model call retries: how often, how long it backs off, and the longest wait it accepts
 * (a server's retry-after, or the cap on what rate-limit feedback reports). The providers and
 * `@troupe/ai-sdk` take these four options under these names.
 *
 * @example
 * ```ts
 * const policy: RetryPolicy = { maxRetries: 2, retryBaseDelayMs: 500, retryMaxDelayMs: 8_000, maxRetryAfterMs: 60_000 };
 * ```
 */
export interface RetryPolicy {
  /** Retries after the first attempt. Default 2. */
  readonly maxRetries: number;
  /** Backoff before retry n is about `retryBaseDelayMs * 2^(n-1)`, jittered. Default 500 ms. */
  readonly retryBaseDelayMs: number;
  /** Cap on the backoff (not on retry-after). Default 8 000 ms. */
  readonly retryMaxDelayMs: number;
  /** A longer retry-after fails the call at once; the cap on reported waits. Default 60 000 ms. */
  readonly maxRetryAfterMs: number;
}

function nonNegative(
  name: string,
  value: number | undefined,
  fallback: number,
  integer = false,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw invalidArgument(
      `${name} must be a non-negative ${integer ? 'integer' : 'finite number'}`,
      { [name]: value },
    );
  }
  return value;
}

/**
 * Validates the retry options once, naming the offending option, and fills in the defaults.
 *
 * @example
 * ```ts
 * retryPolicy({ maxRetries: 4 });
 * // { maxRetries: 4, retryBaseDelayMs: 500, retryMaxDelayMs: 8000, maxRetryAfterMs: 60000 }
 * ```
 */
export function retryPolicy(options: Partial<RetryPolicy>): RetryPolicy {
  return {
    maxRetries: nonNegative('maxRetries', options.maxRetries, 2, true),
    retryBaseDelayMs: nonNegative('retryBaseDelayMs', options.retryBaseDelayMs, 500),
    retryMaxDelayMs: nonNegative('retryMaxDelayMs', options.retryMaxDelayMs, 8_000),
    maxRetryAfterMs: nonNegative('maxRetryAfterMs', options.maxRetryAfterMs, 60_000),
  };
}

/**
 * The backoff before retry `retry` (1 for the first), as the official SDKs compute it:
 * exponential from the base, capped, then shortened by up to a quarter at random (jitter).
 *
 * @example
 * ```ts
 * backoffDelay(retryPolicy({}), 1, createRng(7)); // between 375 and 500
 * ```
 */
export function backoffDelay(policy: RetryPolicy, retry: number, rng: Rng): number {
  const ceiling = Math.min(policy.retryMaxDelayMs, policy.retryBaseDelayMs * 2 ** (retry - 1));
  return ceiling * (1 - rng.next() * 0.25);
}
