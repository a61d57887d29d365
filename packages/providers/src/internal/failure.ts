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

/** Provider error types (Anthropic `error.type`, OpenAI `error.type`/`code`) to our codes. */
export function failureFromProviderError(
  type: string | undefined,
  message: string,
  details: Record<string, unknown>,
): AttemptFailure {
  const t = type ?? '';
  if (t === 'authentication_error' || t === 'permission_error' || t === 'invalid_api_key') {
    return new AttemptFailure(new TroupeError('ERR_PROVIDER_AUTH', message, { details }), false);
  }
  if (t.includes('rate_limit')) {
    return new AttemptFailure(
      new TroupeError('ERR_PROVIDER_RATE_LIMITED', message, { details }),
      true,
    );
  }
  if (t.includes('invalid_request') || t === 'not_found_error' || t === 'request_too_large') {
    return new AttemptFailure(
      new TroupeError('ERR_PROVIDER_BAD_REQUEST', message, { details }),
      false,
    );
  }
  // overloaded_error, api_error, server_error and anything unknown: the provider failed.
  return new AttemptFailure(
    new TroupeError('ERR_PROVIDER_UNAVAILABLE', message, { details }),
    true,
  );
}

/** An HTTP error status to a failure. Only 429 and 5xx are retryable. */
export function failureFromStatus(
  status: number,
  message: string,
  details: Record<string, unknown>,
  retryAfterMs: number | undefined,
): AttemptFailure {
  if (status === 401 || status === 403) {
    return new AttemptFailure(new TroupeError('ERR_PROVIDER_AUTH', message, { details }), false);
  }
  if (status === 429) {
    return new AttemptFailure(
      new TroupeError('ERR_PROVIDER_RATE_LIMITED', message, { details }),
      true,
      retryAfterMs,
    );
  }
  if (status >= 500) {
    return new AttemptFailure(
      new TroupeError('ERR_PROVIDER_UNAVAILABLE', message, { details }),
      true,
      retryAfterMs,
    );
  }
  return new AttemptFailure(
    new TroupeError('ERR_PROVIDER_BAD_REQUEST', message, { details }),
    false,
  );
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
