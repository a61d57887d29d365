import type { Clock, RateLimitFeedback } from '@troupe/core';
import { systemClock } from '@troupe/core';

/**
 * Response headers as undici (or node:http) gives them: lower-case names.
 *
 * @example
 * ```ts
 * const headers: HeaderBag = { 'retry-after': '2', 'set-cookie': ['a=1', 'b=2'] };
 * ```
 */
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

const UNIT_MS: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000_001,
};
const DURATION = /^(?:\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns))+$/;
const PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;

/**
 * Parses an OpenAI-style reset duration (`6m0s`, `1s`, `20ms`, `1h2m3.5s`) to milliseconds.
 * A bare number is seconds. Returns `undefined` for anything else.
 *
 * @example
 * ```ts
 * parseDuration('6m0s'); // 360000
 * parseDuration('20ms'); // 20
 * ```
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  if (value === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(value)) return Number(value) * 1_000;
  if (!DURATION.test(value)) return undefined;
  let ms = 0;
  for (const match of value.matchAll(PART))
    ms += Number(match[1]) * (UNIT_MS[match[2] as string] ?? 0);
  return ms;
}

/**
 * Parses `retry-after-ms` (milliseconds) or else `retry-after` (seconds, or an HTTP date measured
 * against `clock`). Negative waits become 0.
 *
 * @example
 * ```ts
 * parseRetryAfter({ 'retry-after': '2' }); // 2000
 * parseRetryAfter({ 'retry-after-ms': '150' }); // 150
 * ```
 */
export function parseRetryAfter(
  headers: HeaderBag,
  clock: Clock = systemClock,
): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined) {
    const value = Number(ms);
    if (ms.trim() !== '' && Number.isFinite(value)) return Math.max(0, value);
  }
  const after = header(headers, 'retry-after');
  if (after === undefined || after.trim() === '') return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
  const at = Date.parse(after);
  return Number.isNaN(at) ? undefined : Math.max(0, at - clock.now());
}

/**
 * Reads a provider's rate-limit headers into {@link RateLimitFeedback}: OpenAI-style
 * `x-ratelimit-remaining-{requests,tokens}` / `x-ratelimit-reset-{requests,tokens}` (durations),
 * Anthropic `anthropic-ratelimit-{requests,tokens}-{remaining,reset}` (RFC 3339 times, turned
 * into durations with `clock`), and `retry-after` / `retry-after-ms`. Only fields present are set.
 * With `maxWaitMs`, no wait is longer than that (one answer with `retry-after: 999999999` must
 * not pause a limiter key for years).
 *
 * @example
 * ```ts
 * parseRateLimitHeaders({ 'x-ratelimit-remaining-requests': '59', 'x-ratelimit-reset-requests': '1s' });
 * // { remainingRequests: 59, resetRequestsMs: 1000 }
 * ```
 */
export function parseRateLimitHeaders(
  headers: HeaderBag,
  clock: Clock = systemClock,
  maxWaitMs = Number.POSITIVE_INFINITY,
): RateLimitFeedback {
  const out: {
    remainingRequests?: number;
    remainingTokens?: number;
    resetRequestsMs?: number;
    resetTokensMs?: number;
    retryAfterMs?: number;
  } = {};
  const remainingRequests =
    count(header(headers, 'x-ratelimit-remaining-requests')) ??
    count(header(headers, 'anthropic-ratelimit-requests-remaining'));
  if (remainingRequests !== undefined) out.remainingRequests = remainingRequests;
  const remainingTokens =
    count(header(headers, 'x-ratelimit-remaining-tokens')) ??
    count(header(headers, 'anthropic-ratelimit-tokens-remaining')) ??
    count(header(headers, 'anthropic-ratelimit-input-tokens-remaining'));
  if (remainingTokens !== undefined) out.remainingTokens = remainingTokens;
  const resetRequests =
    duration(header(headers, 'x-ratelimit-reset-requests')) ??
    until(header(headers, 'anthropic-ratelimit-requests-reset'), clock);
  if (resetRequests !== undefined) out.resetRequestsMs = Math.min(resetRequests, maxWaitMs);
  const resetTokens =
    duration(header(headers, 'x-ratelimit-reset-tokens')) ??
    until(header(headers, 'anthropic-ratelimit-tokens-reset'), clock) ??
    until(header(headers, 'anthropic-ratelimit-input-tokens-reset'), clock);
  if (resetTokens !== undefined) out.resetTokensMs = Math.min(resetTokens, maxWaitMs);
  const retryAfter = parseRetryAfter(headers, clock);
  if (retryAfter !== undefined) out.retryAfterMs = Math.min(retryAfter, maxWaitMs);
  return out;
}

/** True when the feedback carries at least one field. */
export function hasFeedback(feedback: RateLimitFeedback): boolean {
  for (const _ in feedback) return true;
  return false;
}

function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function count(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function duration(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseDuration(text);
}

function until(text: string | undefined, clock: Clock): number | undefined {
  if (text === undefined) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - clock.now());
}
