import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { Clock, RateLimitFeedback } from '@troupe/core';
import { abortedError, TroupeError } from '@troupe/core';
import type { Dispatcher } from 'undici';
import type { ResolvedOptions } from '../options.js';
import { providerPool } from '../pool.js';
import { hasFeedback, parseRateLimitHeaders, parseRetryAfter } from '../rate-limit-headers.js';
import { AttemptFailure, failureFromStatus } from './failure.js';
import { scrub } from './scrub.js';
import type { Timer } from './timer.js';
import { arm, disarm } from './timer.js';

/**
 * A response body, read once through one of its two methods. Both restart the idle watchdog on
 * every chunk. Reading is event-driven ('data'/'end'): async iteration of a stream costs an
 * iterator, a generator and a few promises per chunk, which showed in the per-call profile.
 */
export interface Body {
  /** The whole body as text (decoded once; bodies beyond 64 MiB are cut). */
  text(): Promise<string>;
  /**
   * Calls `onChunk` for each chunk, resolving at the end. If `onChunk` throws, reading stops
   * and the promise rejects with what it threw (the call then tears the request down).
   */
  each(onChunk: (chunk: Buffer) => void): Promise<void>;
}

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

/** Bodies are buffered up to this size; a bigger one is drained and truncated (then malformed). */
const MAX_BODY = 64 * 1024 * 1024;
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
  const { clock } = options;
  const call = new CallSignal();
  let outcome: TroupeError | undefined;
  let settle: (error: TroupeError) => void = noop;
  const stopped = new Promise<never>((_, reject) => {
    settle = reject;
  });
  stopped.catch(noop);
  const stop = (error: TroupeError): void => {
    if (outcome !== undefined) return;
    outcome = error;
    settle(error);
    // The caller hears first; the teardown (undici aborting the request and destroying its
    // socket, which was measured at up to ~90 ms under load) runs right after, in its own turn.
    setImmediate(() => call.abort(error));
  };
  const onAbort = (): void => stop(abortedError(signal, 'model request'));
  signal?.addEventListener('abort', onAbort, { once: true });
  const total = arm(clock, () => stop(timeoutError('total', options.timeoutMs)), options.timeoutMs);
  const startedAt = clock.now();
  const dispatcher = options.dispatcher ?? providerPool(exchange.origin, options.connections);

  const once = async (progress: { emitted: boolean }): Promise<T> => {
    const firstByte = arm(
      clock,
      () => stop(timeoutError('first-byte', options.firstByteTimeoutMs)),
      options.firstByteTimeoutMs,
    );
    let response: Dispatcher.ResponseData;
    try {
      response = await dispatcher.request({
        origin: exchange.origin,
        path: exchange.path,
        method: 'POST',
        headers: exchange.headers,
        body: exchange.body,
        signal: call,
        // Our clock owns every deadline; undici's own real-time ones would race it.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
    } finally {
      disarm(clock, firstByte);
    }
    const body = watch(response.body);
    try {
      const headers = response.headers;
      if (onRateLimit !== undefined) {
        const feedback = parseRateLimitHeaders(headers, clock);
        if (hasFeedback(feedback)) onRateLimit(capFeedback(feedback, options.maxRetryAfterMs));
      }
      const requestId = firstHeader(headers, 'x-request-id') ?? firstHeader(headers, 'request-id');
      return await answer(response.statusCode, headers, requestId, body, progress);
    } catch (error) {
      // A failed attempt's leftover body must not hold a pooled connection while a retry runs:
      // destroying an unfinished one makes undici drop its socket (a finished one is untouched).
      response.body.destroy();
      throw error;
    }
  };

  const answer = async (
    status: number,
    headers: Dispatcher.ResponseData['headers'],
    requestId: string | undefined,
    body: Body,
    progress: { emitted: boolean },
  ): Promise<T> => {
    if (status >= 300) {
      const text = await body.text();
      const { message, type, code } = exchange.describeError(text);
      const retryAfterMs = parseRetryAfter(headers, clock);
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
  };

  // Wraps a body so that every chunk restarts the idle watchdog. One timer, re-armed lazily
  // (when it fires early it sleeps the remainder), instead of clear+set per chunk.
  const watch = (stream: Readable): Body => {
    // A sink for errors after reading stopped (a leftover body destroyed on teardown): without
    // a listener, a stream's 'error' event would be an uncaught exception.
    stream.on('error', noop);
    const each = (onChunk: (chunk: Buffer) => void): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const idle = options.idleTimeoutMs;
        let last = clock.now();
        let timer: Timer | undefined;
        let done = false;
        const check = (): void => {
          const quiet = clock.now() - last;
          if (quiet >= idle) stop(timeoutError('idle', idle));
          else timer = arm(clock, check, idle - quiet);
        };
        const finish = (error?: unknown): void => {
          if (done) return;
          done = true;
          disarm(clock, timer);
          stream.off('data', onData);
          stream.off('end', onEnd);
          stream.off('error', finish);
          stream.off('close', onClose);
          if (error === undefined) resolve();
          else reject(error);
        };
        const onData = (chunk: Buffer): void => {
          last = clock.now();
          try {
            onChunk(chunk);
          } catch (error) {
            finish(error);
          }
        };
        const onEnd = (): void => finish();
        // Destroyed without an error event (an abort, say): the outcome explains it.
        const onClose = (): void =>
          finish(
            outcome ??
              new TroupeError('ERR_PROVIDER_UNAVAILABLE', 'response body closed early', {
                details: { reason: 'connection' },
              }),
          );
        timer = arm(clock, check, idle);
        stream.on('data', onData);
        stream.once('end', onEnd);
        stream.once('error', finish);
        stream.once('close', onClose);
      });
    return {
      each,
      async text() {
        const chunks: Buffer[] = [];
        let size = 0;
        await each((chunk) => {
          if (size < MAX_BODY) chunks.push(chunk);
          size += chunk.length;
        });
        return chunks.length === 1
          ? (chunks[0] as Buffer).toString('utf8')
          : Buffer.concat(chunks).toString('utf8');
      },
    };
  };

  const attempts = async (): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      const progress = { emitted: false };
      let failure: AttemptFailure | undefined;
      try {
        return await once(progress);
      } catch (error) {
        if (outcome !== undefined) throw outcome;
        failure = classify(error, exchange.origin);
        if (failure === undefined) throw error;
      }
      const tries = attempt + 1;
      if (!failure.retryable || progress.emitted || attempt >= options.maxRetries) {
        throw withAttempts(failure.error, tries);
      }
      const delayMs = failure.retryAfterMs ?? backoff(options, attempt);
      if (delayMs > options.maxRetryAfterMs) throw withAttempts(failure.error, tries);
      // A wait that would outlast the call's own deadline fails now instead of timing out later.
      if (clock.now() + delayMs >= startedAt + options.timeoutMs)
        throw withAttempts(failure.error, tries);
      options.onRetry?.({ attempt: tries, delayMs, error: failure.error });
      await sleep(clock, delayMs, call);
    }
  };

  let succeeded = false;
  try {
    const result = await Promise.race([attempts(), stopped]);
    succeeded = true;
    return result;
  } catch (error) {
    throw scrub(error, exchange.secrets);
  } finally {
    disarm(clock, total);
    signal?.removeEventListener('abort', onAbort);
    // After a failure, whatever is still in flight (a body a reader gave up on) is torn down
    // with its socket. Not after a success: the body is consumed, and `abort()` without a
    // reason builds a DOMException with a stack trace, which cost ~10 µs a call.
    if (!succeeded && outcome === undefined) setImmediate(() => call.abort(TEARDOWN));
  }
}

/**
 * Backoff before retry `attempt + 1`, as the official SDKs compute it: exponential from the
 * base, capped, then shortened by up to a quarter at random (jitter).
 */
function backoff(options: ResolvedOptions, attempt: number): number {
  const ceiling = Math.min(options.retryMaxDelayMs, options.retryBaseDelayMs * 2 ** attempt);
  return ceiling * (1 - options.rng.next() * 0.25);
}

/**
 * Feedback as the limiter may hear it: no wait longer than `maxRetryAfterMs` (one answer with
 * `retry-after: 999999999` must not pause a key for years).
 */
function capFeedback(feedback: RateLimitFeedback, max: number): RateLimitFeedback {
  const out: {
    -readonly [K in keyof RateLimitFeedback]: RateLimitFeedback[K];
  } = { ...feedback };
  if (out.retryAfterMs !== undefined) out.retryAfterMs = Math.min(out.retryAfterMs, max);
  if (out.resetRequestsMs !== undefined) out.resetRequestsMs = Math.min(out.resetRequestsMs, max);
  if (out.resetTokensMs !== undefined) out.resetTokensMs = Math.min(out.resetTokensMs, max);
  return out;
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
