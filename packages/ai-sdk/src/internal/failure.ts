// AI SDK errors and response headers to Troupe errors and rate-limit feedback.
import { APICallError } from '@ai-sdk/provider';
import type { Clock, RateLimitFeedback } from '@troupe/core';
import { TroupeError } from '@troupe/core';
import type { HeaderBag } from '@troupe/providers';
import { parseRateLimitHeaders, parseRetryAfter } from '@troupe/providers';

type Headers = Record<string, string | undefined> | undefined;

/**
 * Headers as `@troupe/providers`' parsers read them: lower-case names. A provider package built
 * on fetch gives them so already; one that does not is read case-insensitively (an exact
 * lower-case name wins over another spelling).
 */
function lowerCased(headers: Headers): HeaderBag {
  const out: Record<string, string | undefined> = {};
  if (headers === undefined) return out;
  for (const [key, value] of Object.entries(headers)) {
    const name = key.toLowerCase();
    if (key === name || out[name] === undefined) out[name] = value;
  }
  return out;
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
  if (headers === undefined) return undefined;
  const feedback = parseRateLimitHeaders(lowerCased(headers), clock, maxMs);
  return Object.keys(feedback).length === 0 ? undefined : feedback;
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
    const retryAfterMs =
      error.responseHeaders === undefined
        ? undefined
        : parseRetryAfter(lowerCased(error.responseHeaders), clock);
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
