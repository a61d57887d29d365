// AI SDK errors and response headers to Troupe errors and rate-limit feedback.
import { APICallError } from '@ai-sdk/provider';
import type { Clock, RateLimitFeedback } from '@troupe/core';
import { TroupeError } from '@troupe/core';

type Headers = Record<string, string | undefined> | undefined;

function header(headers: Headers, name: string): string | undefined {
  if (headers === undefined) return undefined;
  const direct = headers[name];
  if (direct !== undefined) return direct;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function count(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

const UNIT: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/** `1s`, `6m0s`, `20ms` (OpenAI-style), a bare number of seconds, or an RFC 3339 time. */
function duration(text: string | undefined, clock: Clock): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(value)) return Number(value) * 1_000;
  if (/^(?:\d+(?:\.\d+)?(?:h|ms|m|s))+$/.test(value)) {
    let ms = 0;
    for (const [, n, unit] of value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g))
      ms += Number(n) * (UNIT[unit as string] ?? 0);
    return ms;
  }
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - clock.now());
}

/** `retry-after-ms`, else `retry-after` (seconds or an HTTP date). */
export function retryAfterOf(headers: Headers, clock: Clock): number | undefined {
  const ms = count(header(headers, 'retry-after-ms'));
  if (ms !== undefined) return ms;
  const after = header(headers, 'retry-after');
  if (after === undefined || after.trim() === '') return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
  const at = Date.parse(after);
  return Number.isNaN(at) ? undefined : Math.max(0, at - clock.now());
}

/**
 * Rate-limit feedback from the response headers a provider package exposes (OpenAI-style
 * `x-ratelimit-*`, Anthropic `anthropic-ratelimit-*`, `retry-after`), every wait capped at
 * `maxMs`. `undefined` when the headers say nothing.
 */
export function feedbackOf(
  headers: Headers,
  clock: Clock,
  maxMs: number,
): RateLimitFeedback | undefined {
  const out: { -readonly [K in keyof RateLimitFeedback]: RateLimitFeedback[K] } = {};
  const cap = (ms: number | undefined): number | undefined =>
    ms === undefined ? undefined : Math.min(ms, maxMs);
  const remainingRequests =
    count(header(headers, 'x-ratelimit-remaining-requests')) ??
    count(header(headers, 'anthropic-ratelimit-requests-remaining'));
  const remainingTokens =
    count(header(headers, 'x-ratelimit-remaining-tokens')) ??
    count(header(headers, 'anthropic-ratelimit-tokens-remaining'));
  const resetRequestsMs = cap(
    duration(
      header(headers, 'x-ratelimit-reset-requests') ??
        header(headers, 'anthropic-ratelimit-requests-reset'),
      clock,
    ),
  );
  const resetTokensMs = cap(
    duration(
      header(headers, 'x-ratelimit-reset-tokens') ??
        header(headers, 'anthropic-ratelimit-tokens-reset'),
      clock,
    ),
  );
  const retryAfterMs = cap(retryAfterOf(headers, clock));
  if (remainingRequests !== undefined) out.remainingRequests = remainingRequests;
  if (remainingTokens !== undefined) out.remainingTokens = remainingTokens;
  if (resetRequestsMs !== undefined) out.resetRequestsMs = resetRequestsMs;
  if (resetTokensMs !== undefined) out.resetTokensMs = resetTokensMs;
  if (retryAfterMs !== undefined) out.retryAfterMs = retryAfterMs;
  return Object.keys(out).length === 0 ? undefined : out;
}

const CONTEXT_LENGTH =
  /context_length_exceeded|maximum context length|prompt is too long|context (?:window|size)|context length|too many (?:input )?tokens/i;

/** A failed attempt: the error to raise, whether a retry may help, and the server's wait. */
export interface Failure {
  readonly error: TroupeError;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly headers: Headers;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** Maps what a provider package threw (usually an `APICallError`) to a Troupe failure. */
export function failureOf(error: unknown, clock: Clock, provider: string): Failure {
  if (error instanceof TroupeError)
    return { error, retryable: false, retryAfterMs: undefined, headers: undefined };
  if (isAbort(error)) {
    return {
      error: new TroupeError('ERR_ABORTED', 'model request was aborted', { cause: error }),
      retryable: false,
      retryAfterMs: undefined,
      headers: undefined,
    };
  }
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const text = `${error.message} ${error.responseBody ?? ''}`;
    const details: Record<string, unknown> = { provider };
    if (status !== undefined) details.status = status;
    const retryAfterMs = retryAfterOf(error.responseHeaders, clock);
    if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
    const code =
      status === 401 || status === 403
        ? 'ERR_PROVIDER_AUTH'
        : status === 429
          ? 'ERR_PROVIDER_RATE_LIMITED'
          : CONTEXT_LENGTH.test(text)
            ? 'ERR_CONTEXT_LENGTH'
            : status !== undefined &&
                status >= 400 &&
                status < 500 &&
                status !== 408 &&
                status !== 409
              ? 'ERR_PROVIDER_BAD_REQUEST'
              : 'ERR_PROVIDER_UNAVAILABLE';
    return {
      error: new TroupeError(code, `${provider}: ${error.message}`, { cause: error, details }),
      retryable: error.isRetryable && code !== 'ERR_CONTEXT_LENGTH',
      retryAfterMs,
      headers: error.responseHeaders,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    error: new TroupeError('ERR_PROVIDER_UNAVAILABLE', `${provider}: ${message}`, {
      cause: error,
      details: { provider },
    }),
    retryable: false,
    retryAfterMs: undefined,
    headers: undefined,
  };
}
