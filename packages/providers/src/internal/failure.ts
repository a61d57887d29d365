import type { ErrorCode } from '@troupe/core';
import { TroupeError } from '@troupe/core';

/**
 * A failed attempt, before the retry policy decides what it becomes. `retryable` failures are
 * retried while attempts remain and no delta has reached the caller; the last one is thrown.
 */
export class AttemptFailure {
  constructor(
    readonly error: TroupeError,
    readonly retryable: boolean,
    /** What the provider asked us to wait (retry-after), if anything. */
    readonly retryAfterMs?: number,
  ) {}
}

// The context-length refusals of the servers people run: OpenAI `context_length_exceeded`,
// vLLM "maximum context length is N tokens", Anthropic "prompt is too long", llama.cpp
// "exceeds the available context size", Ollama/others "context window".
const CONTEXT_LENGTH =
  /context_length_exceeded|maximum context length|prompt is too long|context (?:window|size)|context length|too many (?:input )?tokens/i;

/** True when a provider's error says the prompt does not fit the model's context window. */
export function isContextLength(type: string | undefined, message: string): boolean {
  return type === 'context_length_exceeded' || CONTEXT_LENGTH.test(message);
}

function failure(
  code: ErrorCode,
  message: string,
  details: Record<string, unknown>,
  retryable: boolean,
  retryAfterMs?: number,
): AttemptFailure {
  return new AttemptFailure(new TroupeError(code, message, { details }), retryable, retryAfterMs);
}

/** Provider error types (Anthropic `error.type`, OpenAI `error.type`/`code`) to our codes. */
export function failureFromProviderError(
  type: string | undefined,
  message: string,
  details: Record<string, unknown>,
  status?: number,
): AttemptFailure {
  const t = type ?? '';
  if (isContextLength(t, message)) return failure('ERR_CONTEXT_LENGTH', message, details, false);
  if (t === 'authentication_error' || t === 'permission_error' || t === 'invalid_api_key') {
    return failure('ERR_PROVIDER_AUTH', message, details, false);
  }
  if (t.includes('rate_limit')) return failure('ERR_PROVIDER_RATE_LIMITED', message, details, true);
  // A status in the error object (vLLM's in-stream `{ code: 400 }`) decides the rest.
  if (status !== undefined) return failureFromStatus(status, message, details, undefined);
  if (
    t.includes('invalid_request') ||
    t === 'not_found_error' ||
    t === 'request_too_large' ||
    t === 'BadRequestError'
  ) {
    return failure('ERR_PROVIDER_BAD_REQUEST', message, details, false);
  }
  // overloaded_error, api_error, server_error and anything unknown: the provider failed.
  return failure('ERR_PROVIDER_UNAVAILABLE', message, details, true);
}

/**
 * An HTTP error status to a failure, as the official SDKs decide: 408, 409, 429 and 5xx are
 * retried, and the server's `x-should-retry: true|false` overrides that either way.
 */
export function failureFromStatus(
  status: number,
  message: string,
  details: Record<string, unknown>,
  retryAfterMs: number | undefined,
  shouldRetry?: boolean,
  type?: string,
): AttemptFailure {
  const retryable =
    shouldRetry ?? (status === 408 || status === 409 || status === 429 || status >= 500);
  if (status === 401 || status === 403)
    return failure('ERR_PROVIDER_AUTH', message, details, shouldRetry ?? false);
  if (status === 429)
    return failure('ERR_PROVIDER_RATE_LIMITED', message, details, retryable, retryAfterMs);
  if (status >= 500 || status === 408 || status === 409)
    return failure('ERR_PROVIDER_UNAVAILABLE', message, details, retryable, retryAfterMs);
  if (isContextLength(type, message)) return failure('ERR_CONTEXT_LENGTH', message, details, false);
  return failure('ERR_PROVIDER_BAD_REQUEST', message, details, retryable, retryAfterMs);
}

/**
 * The server answered but its body cannot be read (bad JSON, a truncated stream). Not
 * retried: deltas may already have reached the caller, and a server that garbles one answer
 * usually garbles the next.
 */
export function malformedResponse(
  message: string,
  details: Record<string, unknown> = {},
): AttemptFailure {
  return new AttemptFailure(
    new TroupeError('ERR_PROVIDER_UNAVAILABLE', message, {
      details: { ...details, reason: 'malformed-response' },
    }),
    false,
  );
}
