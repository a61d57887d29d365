/**
 * Stable error codes. Outside code matches on `error.code`, never on the message.
 *
 * | code | meaning |
 * | --- | --- |
 * | `ERR_INVALID_ARGUMENT` | bad input; nothing was changed |
 * | `ERR_ABORTED` | an `AbortSignal` fired before the operation finished |
 * | `ERR_TIMEOUT` | a deadline passed |
 * | `ERR_RATE_LIMITED` | a limiter wait gave up (`maxWaitMs`) |
 * | `ERR_LIMIT_EXCEEDS_CAPACITY` | a single request is larger than a rule's whole limit |
 * | `ERR_INVALID_UPDATE` | a context update cannot apply to the value it targets |
 * | `ERR_CLOSED` | the service or team was closed |
 * | `ERR_NOT_FOUND` | a named agent, session or entry does not exist |
 * | `ERR_CONFLICT` | an operation collided with another writer |
 * | `ERR_UNKNOWN_VERSION` | stored data has a version this code cannot read |
 * | `ERR_BACKEND_UNAVAILABLE` | a remote backend (Redis, SQLite) cannot be reached |
 * | `ERR_BACKEND_AUTH` | a remote backend refused the credentials or the ACL forbids the command |
 * | `ERR_ALREADY_EXISTS` | a name that must be unique (an agent in a team directory) is taken |
 * | `ERR_BUS_GAP` | a bus topic's sequence restarted or jumped: messages may be lost |
 * | `ERR_PROVIDER_AUTH` | the model provider refused the credentials |
 * | `ERR_PROVIDER_RATE_LIMITED` | the model provider kept answering 429 |
 * | `ERR_PROVIDER_BAD_REQUEST` | the model provider refused the request (4xx) |
 * | `ERR_PROVIDER_UNAVAILABLE` | the model provider failed (5xx, reset) after retries |
 * | `ERR_CONTEXT_LENGTH` | the prompt is longer than the model's context window (compact, then retry) |
 * | `ERR_PROVIDER_RESPONSE_TOO_LARGE` | a provider's answer broke a size bound (an SSE line or event) |
 * | `ERR_DEADLOCK` | a wait that can never be answered (agents asking each other in a cycle) |
 * | `ERR_INVALID_OUTPUT` | the final answer did not match the agent's `output` schema after its retries |
 * | `ERR_BUDGET_EXHAUSTED` | a lifetime budget is spent: the refusal can never clear |
 * | `ERR_INTERNAL` | a bug in Troupe: please report it |
 *
 * @example
 * ```ts
 * if ((ErrorCodes as readonly string[]).includes(code)) console.log(`${code} is a Troupe code`);
 * ```
 */
export const ErrorCodes = [
  'ERR_INVALID_ARGUMENT',
  'ERR_ABORTED',
  'ERR_TIMEOUT',
  'ERR_RATE_LIMITED',
  'ERR_LIMIT_EXCEEDS_CAPACITY',
  'ERR_INVALID_UPDATE',
  'ERR_CLOSED',
  'ERR_NOT_FOUND',
  'ERR_CONFLICT',
  'ERR_UNKNOWN_VERSION',
  'ERR_BACKEND_UNAVAILABLE',
  'ERR_BACKEND_AUTH',
  'ERR_ALREADY_EXISTS',
  'ERR_BUS_GAP',
  'ERR_PROVIDER_AUTH',
  'ERR_PROVIDER_RATE_LIMITED',
  'ERR_PROVIDER_BAD_REQUEST',
  'ERR_PROVIDER_UNAVAILABLE',
  'ERR_CONTEXT_LENGTH',
  'ERR_PROVIDER_RESPONSE_TOO_LARGE',
  'ERR_DEADLOCK',
  'ERR_INVALID_OUTPUT',
  'ERR_BUDGET_EXHAUSTED',
  'ERR_INTERNAL',
] as const;

/**
 * One of {@link ErrorCodes}.
 */
export type ErrorCode = (typeof ErrorCodes)[number];

const BRAND = Symbol.for('troupe.error');

/**
 * The one error type Troupe throws. `code` is stable; `details` carries machine-readable
 * context (the offending option, the retry delay, ...).
 *
 * `instanceof TroupeError` holds even across two installed copies of `@troupe/core`
 * (a pool worker and the coordinator, say): the check uses a `Symbol.for` brand.
 *
 * @example
 * ```ts
 * try {
 *   await limiter.acquire('openai', { maxWaitMs: 100 });
 * } catch (error) {
 *   if (error instanceof TroupeError && error.code === 'ERR_RATE_LIMITED') {
 *     // back off
 *   }
 * }
 * ```
 */
export class TroupeError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TroupeError';
    this.code = code;
    this.details = options.details;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && BRAND in value;
  }

  /** A plain object for logs and structured clone (worker messages). */
  toJSON(): { name: string; code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { name: this.name, code: this.code, message: this.message }
      : { name: this.name, code: this.code, message: this.message, details: { ...this.details } };
  }
}

/**
 * Shorthand for `new TroupeError('ERR_INVALID_ARGUMENT', message)`.
 *
 * @example
 * ```ts
 * if (!(ttlMs > 0)) throw invalidArgument('ttlMs must be a positive finite number', { ttlMs });
 * ```
 */
export function invalidArgument(message: string, details?: Record<string, unknown>): TroupeError {
  return new TroupeError('ERR_INVALID_ARGUMENT', message, details === undefined ? {} : { details });
}

/**
 * True when `error` is a {@link TroupeError}, optionally with the given code.
 *
 * @example
 * ```ts
 * if (isTroupeError(error, 'ERR_CLOSED')) return;
 * ```
 */
export function isTroupeError(error: unknown, code?: ErrorCode): error is TroupeError {
  return error instanceof TroupeError && (code === undefined || error.code === code);
}

/**
 * The error an aborted operation rejects with, carrying the signal's reason as `cause`.
 *
 * @example
 * ```ts
 * signal.addEventListener('abort', () => reject(abortedError(signal, 'wait')), { once: true });
 * ```
 */
export function abortedError(signal: AbortSignal | undefined, what = 'operation'): TroupeError {
  return new TroupeError('ERR_ABORTED', `${what} was aborted`, { cause: signal?.reason });
}
