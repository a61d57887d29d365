import { EventEmitter } from 'node:events';
import type { Clock, RateLimitFeedback } from '@troupe/core';
import { abortedError, TroupeError } from '@troupe/core';
import type { Dispatcher } from 'undici';
import type { ResolvedOptions } from '../options.js';
import { providerPool } from '../pool.js';
import { hasFeedback, parseRateLimitHeaders, parseRetryAfter } from '../rate-limit-headers.js';
import { backoffDelay } from '../retry-policy.js';
import { AttemptFailure, failureFromStatus } from './failure.js';
import type { Body, BodyWatch } from './response-body.js';
import { WatchedBody } from './response-body.js';
import { scrub } from './scrub.js';
import type { Timer } from './timer.js';
import { arm, disarm } from './timer.js';

/** What a reader may do while it consumes a successful response. */
export interface ReadContext {
  /** A delta reached the caller: from now on this attempt must not be retried. */
  markEmitted(): void;
  /** `x-request-id` / `request-id` of the response, for error details. */
  readonly requestId: string | undefined;
}

/** One provider call: where it goes, what it sends, how its answer and its errors are read. */
export interface Exchange<T> {
  readonly provider: string;
  readonly origin: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Pulls the provider's own message, type and code out of an error body. */
  describeError(text: string): { message: string; type?: string; code?: string };
  /** Credentials this call carries: scrubbed from every error it raises. */
  readonly secrets: readonly string[];
  /** Consumes a 2xx body. Throws {@link AttemptFailure} or `TroupeError` on bad content. */
  read(body: Body, context: ReadContext): Promise<T>;
}

const noop = (): void => {};
/** The abort reason for tearing down a failed call's leftovers (shared: no per-call stack trace). */
const TEARDOWN = new TroupeError('ERR_ABORTED', 'model request torn down after a failure');

/**
 * Cancels one call's undici request(s) and backoff wait. undici takes an EventEmitter as well
 * as an AbortSignal; this one costs a fraction of an AbortController (no EventTarget, no
 * DOMException), which showed at ~1.5 µs of a ~20 µs client path.
 */
class CallSignal extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}

function timeoutError(which: 'total' | 'first-byte' | 'idle', ms: number): TroupeError {
  const what = {
    total: 'the request',
    'first-byte': 'the first byte',
    idle: 'the next piece of the stream',
  }[which];
  return new TroupeError(
    'ERR_TIMEOUT',
    `model request timed out after ${ms} ms waiting for ${what}`,
    {
      details: { timeout: which, timeoutMs: ms },
    },
  );
}

// Connection-level failures worth a retry: resets, refusals, sockets closed under us.
const RETRYABLE_CODE = /^(?:E[A-Z]+|UND_ERR_(?:SOCKET|CLOSED|CONNECT_TIMEOUT))$/;

function classify(error: unknown, origin: string): AttemptFailure | undefined {
  if (error instanceof AttemptFailure) return error;
  if (error instanceof TroupeError) return new AttemptFailure(error, false);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && RETRYABLE_CODE.test(code)) {
    const message = error instanceof Error ? error.message : String(error);
    return new AttemptFailure(
      new TroupeError('ERR_PROVIDER_UNAVAILABLE', `connection to ${origin} failed: ${message}`, {
        cause: error,
        details: { reason: 'connection', code },
      }),
      true,
    );
  }
  return undefined;
}

function withAttempts(error: TroupeError, attempts: number): TroupeError {
  return new TroupeError(error.code, error.message, {
    cause: error.cause,
    details: { ...error.details, attempts },
  });
}

function firstHeader(
  headers: Dispatcher.ResponseData['headers'],
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Runs one model call: attempts with retries and jittered backoff, a total deadline, a
 * first-byte deadline per attempt, an idle watchdog on the body, and abort. Everything that
 * ends the call early (abort, a timeout) settles the returned promise at once, then tears down
 * the request, which makes undici destroy its socket so the pool slot is freed.
 */
export async function send<T>(
  options: ResolvedOptions,
  exchange: Exchange<T>,
  signal: AbortSignal | undefined,
  onRateLimit: ((feedback: RateLimitFeedback) => void) | undefined,
): Promise<T> {
  if (signal?.aborted) throw abortedError(signal, 'model request');
  return new ProviderCall(options, exchange, signal, onRateLimit).run();
}

/** One call's state: its deadlines, its teardown signal and how it ended early, if it did. */
class ProviderCall<T> implements BodyWatch {
  readonly #options: ResolvedOptions;
  readonly #exchange: Exchange<T>;
  readonly #signal: AbortSignal | undefined;
  readonly #onRateLimit: ((feedback: RateLimitFeedback) => void) | undefined;
  readonly #clock: Clock;
  readonly #call = new CallSignal();
  #outcome: TroupeError | undefined;
  #settle: (error: TroupeError) => void = noop;
  readonly #stopped: Promise<never>;
  readonly #onAbort: () => void;
  readonly #total: Timer | undefined;
  readonly #startedAt: number;
  readonly #dispatcher: Dispatcher;

  constructor(
    options: ResolvedOptions,
    exchange: Exchange<T>,
    signal: AbortSignal | undefined,
    onRateLimit: ((feedback: RateLimitFeedback) => void) | undefined,
  ) {
    this.#options = options;
    this.#exchange = exchange;
    this.#signal = signal;
    this.#onRateLimit = onRateLimit;
    const clock = options.clock;
    this.#clock = clock;
    this.#stopped = new Promise<never>((_, reject) => {
      this.#settle = reject;
    });
    this.#stopped.catch(noop);
    this.#onAbort = () => this.#stop(abortedError(signal, 'model request'));
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#total = arm(
      clock,
      () => this.#stop(timeoutError('total', options.timeoutMs)),
      options.timeoutMs,
    );
    this.#startedAt = clock.now();
    this.#dispatcher = options.dispatcher ?? providerPool(exchange.origin, options.connections);
  }

  async run(): Promise<T> {
    let succeeded = false;
    try {
      const result = await Promise.race([this.#attempts(), this.#stopped]);
      succeeded = true;
      return result;
    } catch (error) {
      throw scrub(error, this.#exchange.secrets);
    } finally {
      disarm(this.#clock, this.#total);
      this.#signal?.removeEventListener('abort', this.#onAbort);
      // After a failure, whatever is still in flight (a body a reader gave up on) is torn down
      // with its socket. Not after a success: the body is consumed, and `abort()` without a
      // reason builds a DOMException with a stack trace, which cost ~10 µs a call.
      if (!succeeded && this.#outcome === undefined) setImmediate(() => this.#call.abort(TEARDOWN));
    }
  }

  #stop(error: TroupeError): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = error;
    this.#settle(error);
    // The caller hears first; the teardown (undici aborting the request and destroying its
    // socket, which was measured at up to ~90 ms under load) runs right after, in its own turn.
    setImmediate(() => this.#call.abort(error));
  }

  async #attempts(): Promise<T> {
    const options = this.#options;
    for (let attempt = 0; ; attempt++) {
      const progress = { emitted: false };
      let failure: AttemptFailure | undefined;
      try {
        return await this.#once(progress);
      } catch (error) {
        if (this.#outcome !== undefined) throw this.#outcome;
        failure = classify(error, this.#exchange.origin);
        if (failure === undefined) throw error;
      }
      const tries = attempt + 1;
      if (!failure.retryable || progress.emitted || attempt >= options.maxRetries) {
        throw withAttempts(failure.error, tries);
      }
      const delayMs = failure.retryAfterMs ?? backoffDelay(options, tries, options.rng);
      if (delayMs > options.maxRetryAfterMs) throw withAttempts(failure.error, tries);
      // A wait that would outlast the call's own deadline fails now instead of timing out later.
      if (this.#clock.now() + delayMs >= this.#startedAt + options.timeoutMs)
        throw withAttempts(failure.error, tries);
      options.onRetry?.({ attempt: tries, delayMs, error: failure.error });
      await sleep(this.#clock, delayMs, this.#call);
    }
  }

  async #once(progress: { emitted: boolean }): Promise<T> {
    const { clock } = this;
    const options = this.#options;
    const exchange = this.#exchange;
    const firstByte = arm(
      clock,
      () => this.#stop(timeoutError('first-byte', options.firstByteTimeoutMs)),
      options.firstByteTimeoutMs,
    );
    let response: Dispatcher.ResponseData;
    try {
      response = await this.#dispatcher.request({
        origin: exchange.origin,
        path: exchange.path,
        method: 'POST',
        headers: exchange.headers,
        body: exchange.body,
        signal: this.#call,
        // Our clock owns every deadline; undici's own real-time ones would race it.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
    } finally {
      disarm(clock, firstByte);
    }
    const body = new WatchedBody(response.body, this);
    try {
      const headers = response.headers;
      if (this.#onRateLimit !== undefined) {
        const feedback = parseRateLimitHeaders(headers, clock, options.maxRetryAfterMs);
        if (hasFeedback(feedback)) this.#onRateLimit(feedback);
      }
      const requestId = firstHeader(headers, 'x-request-id') ?? firstHeader(headers, 'request-id');
      return await this.#answer(response.statusCode, headers, requestId, body, progress);
    } catch (error) {
      // A failed attempt's leftover body must not hold a pooled connection while a retry runs:
      // destroying an unfinished one makes undici drop its socket (a finished one is untouched).
      response.body.destroy();
      throw error;
    }
  }

  async #answer(
    status: number,
    headers: Dispatcher.ResponseData['headers'],
    requestId: string | undefined,
    body: Body,
    progress: { emitted: boolean },
  ): Promise<T> {
    const exchange = this.#exchange;
    if (status >= 300) {
      const text = await body.text();
      const { message, type, code } = exchange.describeError(text);
      const retryAfterMs = parseRetryAfter(headers, this.#clock);
      const should = firstHeader(headers, 'x-should-retry');
      const details: Record<string, unknown> = { status, provider: exchange.provider };
      if (requestId !== undefined) details.requestId = requestId;
      if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
      if (type !== undefined) details.type = type;
      throw failureFromStatus(
        status,
        `${exchange.provider} answered ${status}: ${message}`,
        details,
        retryAfterMs,
        should === 'true' ? true : should === 'false' ? false : undefined,
        code ?? type,
      );
    }
    return exchange.read(body, {
      requestId,
      markEmitted: () => {
        progress.emitted = true;
      },
    });
  }

  // BodyWatch: what a watched body asks of its call.
  get clock(): Clock {
    return this.#clock;
  }

  get idleTimeoutMs(): number {
    return this.#options.idleTimeoutMs;
  }

  onIdle(): void {
    this.#stop(timeoutError('idle', this.#options.idleTimeoutMs));
  }

  outcome(): TroupeError | undefined {
    return this.#outcome;
  }
}

function sleep(clock: Clock, ms: number, signal: CallSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      disarm(clock, handle);
      reject(signal.reason);
    };
    const handle = arm(
      clock,
      () => {
        signal.off('abort', onAbort);
        resolve();
      },
      ms,
    );
    signal.once('abort', onAbort);
  });
}
