// Provider feedback to a rate limiter (remaining counts, resets, retry-after), shared by every
// LimiterBackend: how it is checked, and how long it pauses a key.

import { invalidArgument } from '../errors.js';
import type { RateLimitFeedback } from './interfaces.js';
import { requireRecord } from './validate.js';

/**
 * Default longest pause provider feedback may put on a key (`retryAfterMs`, a reset time):
 * 5 minutes. A `retry-after: 999999999` pauses the key this long, not for 31 years. Set per
 * limiter with the `maxFeedbackPauseMs` option.
 *
 * @example
 * ```ts
 * createRateLimiter({ clock, rules, maxFeedbackPauseMs: DEFAULT_MAX_FEEDBACK_PAUSE_MS * 2 });
 * ```
 */
export const DEFAULT_MAX_FEEDBACK_PAUSE_MS = 300_000;

const FEEDBACK_FIELDS = new Set([
  'remainingRequests',
  'remainingTokens',
  'resetRequestsMs',
  'resetTokensMs',
  'retryAfterMs',
]);

const isNonNegative = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/**
 * Validates provider feedback (every field a non-negative number).
 *
 * @example
 * ```ts
 * parseFeedback({ remainingRequests: 0, resetRequestsMs: 20_000 });
 * ```
 */
export function parseFeedback(feedback: unknown): RateLimitFeedback {
  const record = requireRecord(feedback, 'feedback');
  for (const name in record) {
    const value = record[name];
    if (!FEEDBACK_FIELDS.has(name)) {
      throw invalidArgument(`feedback.${name} is not a feedback field`, { option: name });
    }
    if (value !== undefined && !isNonNegative(value)) {
      throw invalidArgument(`feedback.${name} must be a non-negative finite number`, {
        [name]: value,
      });
    }
  }
  return feedback as RateLimitFeedback;
}

/**
 * When a key's admissions pause after provider feedback: `requestsUntil` and `tokensUntil` are
 * clock times (`-Infinity` when that dimension does not pause). `retryAfterMs` pauses requests;
 * a remaining count of 0 pauses its dimension until its reset, or for the rule's window when
 * the provider gave no reset. No pause reaches past `now + maxPauseMs` (default
 * {@link DEFAULT_MAX_FEEDBACK_PAUSE_MS}): one absurd `retry-after` cannot stop a key for years.
 * Returns `undefined` when nothing pauses past `now`.
 *
 * @example
 * ```ts
 * const pause = feedbackPause({ remainingTokens: 0 }, clock.now(), 60_000);
 * if (pause !== undefined) console.log(pause.tokensUntil); // now + 60000
 * ```
 */
export function feedbackPause(
  feedback: unknown,
  now: number,
  windowMs: number | undefined,
  maxPauseMs: number = DEFAULT_MAX_FEEDBACK_PAUSE_MS,
): { requestsUntil: number; tokensUntil: number } | undefined {
  const { remainingRequests, remainingTokens, resetRequestsMs, resetTokensMs, retryAfterMs } =
    parseFeedback(feedback);
  const fallback = windowMs !== undefined && Number.isFinite(windowMs) ? windowMs : undefined;
  let requestsUntil = Number.NEGATIVE_INFINITY;
  let tokensUntil = Number.NEGATIVE_INFINITY;
  if (retryAfterMs !== undefined) requestsUntil = now + retryAfterMs;
  if (remainingRequests === 0) {
    const reset = resetRequestsMs ?? fallback;
    if (reset !== undefined) requestsUntil = Math.max(requestsUntil, now + reset);
  }
  if (remainingTokens === 0) {
    const reset = resetTokensMs ?? fallback;
    if (reset !== undefined) tokensUntil = now + reset;
  }
  if (requestsUntil <= now && tokensUntil <= now) return undefined;
  const latest = now + maxPauseMs;
  return {
    requestsUntil: Math.min(requestsUntil, latest),
    tokensUntil: Math.min(tokensUntil, latest),
  };
}
