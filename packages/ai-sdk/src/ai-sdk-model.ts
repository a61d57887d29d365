import type { LanguageModelV3, SharedV3ProviderOptions } from '@ai-sdk/provider';
import type { Clock, Model, ModelRequest, ModelResponse, RateLimitFeedback } from '@troupe/core';
import { abortedError, createRng, invalidArgument, systemClock } from '@troupe/core';
import type { Pricing } from '@troupe/providers';
import {
  backoffDelay,
  estimateRequestTokens,
  retryPolicy,
  validatePricing,
} from '@troupe/providers';
import { Answer, readStream } from './internal/answer.js';
import type { Failure } from './internal/failure.js';
import { failureOf, feedbackOf } from './internal/failure.js';
import { callOptions } from './internal/prompt.js';

/**
 * Options for {@link aiSdkModel}.
 *
 * @example
 * ```ts
 * import { createMistral } from '@ai-sdk/mistral';
 * const options: AiSdkModelOptions = { model: createMistral({ apiKey })('mistral-large-latest') };
 * ```
 */
export interface AiSdkModelOptions {
  /** Any AI SDK language model (specification v3): `@ai-sdk/google`, `@ai-sdk/mistral`, ... */
  readonly model: LanguageModelV3;
  /** The Troupe model id (and default limiter key). Default `<provider>:<modelId>`. */
  readonly id?: string;
  /** Source of time for backoff waits. Default `systemClock`. */
  readonly clock?: Clock;
  /** Retries of a retryable failure (429, 5xx, as the provider package marks them). Default 2. */
  readonly maxRetries?: number;
  /** Backoff before retry n is about `retryBaseDelayMs * 2^(n-1)`, jittered. Default 500 ms. */
  readonly retryBaseDelayMs?: number;
  /** Cap on the backoff. Default 8 000 ms. */
  readonly retryMaxDelayMs?: number;
  /**
   * A retry-after longer than this fails the call at once; also the cap on every wait reported
   * to `onRateLimit`. Default 60 000 ms.
   */
  readonly maxRetryAfterMs?: number;
  /** Seed for the backoff jitter. Default: random. */
  readonly seed?: number | string;
  /** Prices in USD per million tokens, to fill `usage.costUsd`. */
  readonly pricing?: Pricing;
  /** Extra request headers, sent on every call. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Provider options passed through on every call (`{ mistral: { ... } }`). */
  readonly providerOptions?: SharedV3ProviderOptions;
  /** `'auto'` (default) streams when the request has `onDelta`; `true`/`false` force it. */
  readonly stream?: boolean | 'auto';
}

const OPTION_NAMES = new Set([
  'model',
  'id',
  'clock',
  'maxRetries',
  'retryBaseDelayMs',
  'retryMaxDelayMs',
  'maxRetryAfterMs',
  'seed',
  'pricing',
  'headers',
  'providerOptions',
  'stream',
]);

function checkOptions(options: AiSdkModelOptions): void {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  for (const name of Object.keys(options))
    if (!OPTION_NAMES.has(name))
      throw invalidArgument(`aiSdkModel: unknown option ${JSON.stringify(name)}`, { option: name });
  const model = options.model as Partial<LanguageModelV3> | undefined;
  if (
    typeof model !== 'object' ||
    model === null ||
    model.specificationVersion !== 'v3' ||
    typeof model.doGenerate !== 'function' ||
    typeof model.doStream !== 'function'
  ) {
    throw invalidArgument('model must be an AI SDK LanguageModelV3 (specificationVersion "v3")');
  }
  if (options.id !== undefined && (typeof options.id !== 'string' || options.id === ''))
    throw invalidArgument('id must be a non-empty string', { id: options.id });
  if (
    options.stream !== undefined &&
    options.stream !== 'auto' &&
    typeof options.stream !== 'boolean'
  )
    throw invalidArgument("stream must be true, false or 'auto'", { stream: options.stream });
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (typeof value !== 'string' || /[\r\n\0]/.test(value))
      throw invalidArgument(`headers.${name} must be a string without CR, LF or NUL`, {
        option: name,
      });
  }
  validatePricing(options.pricing);
}

function checkRequest(request: ModelRequest): void {
  if (typeof request !== 'object' || request === null)
    throw invalidArgument('request must be an object');
  if (!Array.isArray(request.messages)) throw invalidArgument('request.messages must be an array');
  if (!Array.isArray(request.tools)) throw invalidArgument('request.tools must be an array');
  if (request.onDelta !== undefined && typeof request.onDelta !== 'function')
    throw invalidArgument('request.onDelta must be a function');
  if (request.onRateLimit !== undefined && typeof request.onRateLimit !== 'function')
    throw invalidArgument('request.onRateLimit must be a function');
}

/** Waits `ms` on the clock; an abort ends the wait at once. */
function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(signal, 'model request'));
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(abortedError(signal, 'model request'));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A Troupe {@link Model} from any Vercel AI SDK language model (specification v3), through
 * its public interface: tool calls, streaming deltas (text, reasoning, tool-call arguments),
 * usage with cache tokens and an optional cost, abort, retries of what the provider package
 * marks retryable, and rate-limit feedback from the response headers it exposes. Reasoning
 * parts with their provider metadata (signatures) and each tool call's metadata round-trip in
 * `providerData`.
 *
 * @example
 * ```ts
 * import { createMistral } from '@ai-sdk/mistral';
 * const model = aiSdkModel({
 *   model: createMistral({ apiKey: process.env.MISTRAL_API_KEY })('mistral-large-latest'),
 *   pricing: { inputPerMTok: 2, outputPerMTok: 6 },
 * });
 * const answer = await model.generate({ messages: [{ role: 'user', content: 'Hi' }], tools: [] });
 * ```
 */
export function aiSdkModel(options: AiSdkModelOptions): Model {
  checkOptions(options);
  const { model, pricing, providerOptions } = options;
  const clock = options.clock ?? systemClock;
  const retry = retryPolicy(options);
  const { maxRetries, maxRetryAfterMs } = retry;
  const rng = createRng(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const headers = options.headers === undefined ? undefined : { ...options.headers };
  const streamMode = options.stream ?? 'auto';
  const provider = model.provider;

  const report = (
    request: ModelRequest,
    raw: Record<string, string | undefined> | undefined,
  ): void => {
    if (request.onRateLimit === undefined) return;
    const feedback: RateLimitFeedback | undefined = feedbackOf(raw, clock, maxRetryAfterMs);
    if (feedback !== undefined) request.onRateLimit(feedback);
  };

  const attempt = async (
    request: ModelRequest,
    progress: { emitted: boolean },
  ): Promise<ModelResponse> => {
    const call = callOptions(request, providerOptions);
    if (request.signal !== undefined) call.abortSignal = request.signal;
    if (headers !== undefined) call.headers = headers;
    const answer = new Answer();
    const stream = streamMode === 'auto' ? request.onDelta !== undefined : streamMode;
    if (!stream) {
      const result = await model.doGenerate(call);
      report(request, result.response?.headers);
      for (const part of result.content) answer.addContent(part);
      answer.finish(result.usage, result.finishReason, pricing);
      return answer.response();
    }
    const result = await model.doStream(call);
    report(request, result.response?.headers);
    const failed = await readStream(result.stream, answer, pricing, request.onDelta, () => {
      progress.emitted = true;
    });
    if (failed !== undefined) throw failed.error;
    return answer.response();
  };

  const run = async (request: ModelRequest): Promise<ModelResponse> => {
    for (let tries = 1; ; tries++) {
      const progress = { emitted: false };
      let failure: Failure;
      try {
        return await attempt(request, progress);
      } catch (error) {
        if (request.signal?.aborted) throw abortedError(request.signal, 'model request');
        failure = failureOf(error, clock, provider);
      }
      report(request, failure.headers);
      if (!failure.retryable || progress.emitted || tries > maxRetries) throw failure.error;
      const delay = failure.retryAfterMs ?? backoffDelay(retry, tries, rng);
      if (delay > maxRetryAfterMs) throw failure.error;
      await sleep(clock, delay, request.signal);
    }
  };

  return {
    id: options.id ?? `${provider}:${model.modelId}`,
    toolFormat: 'json-schema',
    estimateTokens: (request) => estimateRequestTokens(request, request.maxOutputTokens ?? 0),
    generate(request: ModelRequest): Promise<ModelResponse> {
      try {
        checkRequest(request);
      } catch (error) {
        return Promise.reject(error);
      }
      const signal = request.signal;
      if (signal?.aborted) return Promise.reject(abortedError(signal, 'model request'));
      if (signal === undefined) return run(request);
      // Settle at once on abort, even if the provider package is slow to honour its signal.
      return new Promise<ModelResponse>((resolve, reject) => {
        const onAbort = (): void => reject(abortedError(signal, 'model request'));
        signal.addEventListener('abort', onAbort, { once: true });
        run(request).then(
          (value) => {
            signal.removeEventListener('abort', onAbort);
            resolve(value);
          },
          (error: unknown) => {
            signal.removeEventListener('abort', onAbort);
            reject(error);
          },
        );
      });
    },
  };
}
