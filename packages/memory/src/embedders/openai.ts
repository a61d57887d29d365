import type { Lease, LimiterBackend, RateLimitFeedback } from '@troupe/core';
import {
  DEFAULT_LEASE_TIMEOUT_MS,
  invalidArgument,
  isTroupeError,
  TroupeError,
} from '@troupe/core';
import type { EmbeddingsModel, OpenAIEmbeddingsOptions } from '@troupe/providers';
import { OPENAI_EMBEDDINGS_OPTIONS, openaiEmbeddings } from '@troupe/providers';
import { z } from 'zod';
import { parseStrictOptions } from '../internal/validate.js';
import type { Embedder } from './embedder.js';

/**
 * Options of {@link createOpenAIEmbedder}: those of `@troupe/providers`' `openaiEmbeddings`
 * (retries, deadlines, the connection pool, headers), plus the vector length, batching and an
 * optional rate limiter.
 *
 * @example
 * ```ts
 * const options: OpenAIEmbedderOptions = { baseURL: 'https://api.openai.com/v1',
 *   apiKey: process.env.OPENAI_API_KEY, model: 'text-embedding-3-small', dimensions: 1536,
 *   limiter, limiterKey: 'openai-embeddings' };
 * ```
 */
export interface OpenAIEmbedderOptions extends Omit<OpenAIEmbeddingsOptions, 'dimensions' | 'id'> {
  /** Length of the vectors the model returns (sent as `dimensions` when `sendDimensions`). */
  readonly dimensions: number;
  /** Ask the server for `dimensions` (models that can shorten vectors); default false. */
  readonly sendDimensions?: boolean;
  /** Most texts per request; larger calls are split. Default 256. */
  readonly batchSize?: number;
  /** One request (one batch), retries and backoff included; default 60 000 ms, on `clock`. */
  readonly timeoutMs?: number;
  /**
   * Admits every request: a lease on `limiterKey` weighing the batch's estimated tokens,
   * settled with the tokens the provider counted (cancelled when the request fails). The
   * provider's rate-limit headers go to `limiter.observe(limiterKey, …)`. Default: none.
   */
  readonly limiter?: LimiterBackend;
  /** The limiter key leases are taken on and feedback reported to; required with `limiter`. */
  readonly limiterKey?: string;
  /** Longest wait for a lease, then `ERR_RATE_LIMITED`. Default 600 000 ms (as agents wait). */
  readonly leaseTimeoutMs?: number;
}

// The options this package reads itself; every other name goes to `openaiEmbeddings`.
const ownSchema = z.object({
  dimensions: z.number().int().min(1).max(65_536),
  sendDimensions: z.boolean().optional(),
  batchSize: z.number().int().min(1).max(2048).optional(),
  timeoutMs: z.number().positive().optional(),
  limiter: z
    .custom<LimiterBackend>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as Partial<LimiterBackend>).acquire === 'function' &&
        typeof (v as Partial<LimiterBackend>).observe === 'function',
      'must be a limiter (acquire, observe)',
    )
    .optional(),
  limiterKey: z.string().min(1).optional(),
  leaseTimeoutMs: z.number().positive().optional(),
});

/**
 * The names `openaiEmbeddings` takes besides those above (it checks their values); `id` is not
 * one an embedder takes.
 */
const PROVIDER_OPTIONS = OPENAI_EMBEDDINGS_OPTIONS.filter(
  (name) => name !== 'id' && !(name in ownSchema.shape),
);

const WHAT = 'createOpenAIEmbedder options';

/** Where one embedder's requests are admitted and its provider feedback goes. */
interface Admission {
  readonly limiter: LimiterBackend;
  readonly key: string;
  readonly maxWaitMs: number;
  readonly onRateLimit: (feedback: RateLimitFeedback) => void;
}

function admission(parsed: z.output<typeof ownSchema>): Admission | undefined {
  const { limiter, limiterKey } = parsed;
  if ((limiter === undefined) !== (limiterKey === undefined)) {
    const field = limiter === undefined ? 'limiterKey' : 'limiter';
    throw invalidArgument(`${WHAT}.limiter and limiterKey go together`, { field });
  }
  if (limiter === undefined || limiterKey === undefined) {
    if (parsed.leaseTimeoutMs !== undefined)
      throw invalidArgument(`${WHAT}.leaseTimeoutMs needs a limiter`, { field: 'leaseTimeoutMs' });
    return undefined;
  }
  return {
    limiter,
    key: limiterKey,
    maxWaitMs: parsed.leaseTimeoutMs ?? DEFAULT_LEASE_TIMEOUT_MS,
    onRateLimit: (feedback) => ignoreRejection(limiter.observe(limiterKey, feedback)),
  };
}

/** A limiter backend's answer may be a promise (Redis): its failure must not go unhandled. */
function ignoreRejection(result: unknown): void {
  if (result instanceof Promise) result.catch(() => {});
}

/** One request: a lease (when there is a limiter), the call, the lease settled or given back. */
async function embedBatch(
  model: EmbeddingsModel,
  admit: Admission | undefined,
  dimensions: number,
  input: readonly string[],
  signal: AbortSignal | undefined,
): Promise<Float32Array[]> {
  let lease: Lease | undefined;
  if (admit !== undefined) {
    lease = await admit.limiter.acquire(admit.key, {
      tokens: model.estimateTokens(input),
      maxWaitMs: admit.maxWaitMs,
      ...(signal === undefined ? {} : { signal }),
    });
  }
  let answer: Awaited<ReturnType<EmbeddingsModel['embed']>>;
  try {
    answer = await model.embed({
      input,
      ...(signal === undefined ? {} : { signal }),
      ...(admit === undefined ? {} : { onRateLimit: admit.onRateLimit }),
    });
  } catch (error) {
    if (lease !== undefined) ignoreRejection(lease.cancel());
    throw error;
  }
  if (lease !== undefined) ignoreRejection(lease.settle({ tokens: answer.inputTokens }));
  answer.vectors.forEach((vector, index) => {
    if (vector.length !== dimensions) {
      throw new TroupeError(
        'ERR_PROVIDER_UNAVAILABLE',
        `embeddings response has a vector of ${vector.length} values, expected ${dimensions}`,
        { details: { index, length: vector.length, dimensions } },
      );
    }
  });
  return answer.vectors;
}

/**
 * The provider side: every option this package does not read itself goes to `openaiEmbeddings`,
 * whose refusals are renamed after this factory's options (`details.field` names the option).
 */
function embeddingsModel(
  options: OpenAIEmbedderOptions,
  parsed: z.output<typeof ownSchema>,
): EmbeddingsModel {
  const {
    dimensions: _dimensions,
    sendDimensions: _sendDimensions,
    batchSize: _batchSize,
    timeoutMs: _timeoutMs,
    limiter: _limiter,
    limiterKey: _limiterKey,
    leaseTimeoutMs: _leaseTimeoutMs,
    ...providerOptions
  } = options;
  try {
    return openaiEmbeddings({
      ...providerOptions,
      timeoutMs: parsed.timeoutMs ?? 60_000,
      ...(parsed.sendDimensions ? { dimensions: parsed.dimensions } : {}),
    });
  } catch (error) {
    if (!isTroupeError(error, 'ERR_INVALID_ARGUMENT')) throw error;
    const option = /^[\w.-]+/.exec(error.message)?.[0] ?? '';
    throw invalidArgument(`${WHAT}.${error.message}`, {
      ...error.details,
      field: `${WHAT}.${option}`,
    });
  }
}

/**
 * An {@link Embedder} for any OpenAI-compatible server: `POST {baseURL}/embeddings` with
 * `{ model, input }`, built on `@troupe/providers`' `openaiEmbeddings` and so on the chat
 * providers' transport: the shared undici pool per origin, deadlines on `clock`, retries with
 * jittered backoff on 429, 5xx and connection resets (honouring `retry-after`), credentials
 * scrubbed from every error. Large calls are split into batches of `batchSize`, sent one after
 * another; with a `limiter`, each batch waits for a lease first and the provider's rate-limit
 * headers reach `limiter.observe`.
 *
 * Errors: 401/403 `ERR_PROVIDER_AUTH`, 429 `ERR_PROVIDER_RATE_LIMITED`, other 4xx
 * `ERR_PROVIDER_BAD_REQUEST`, 5xx and resets `ERR_PROVIDER_UNAVAILABLE` (after the retries),
 * a deadline `ERR_TIMEOUT`, a malformed answer or a vector of the wrong length
 * `ERR_PROVIDER_UNAVAILABLE`, an abort `ERR_ABORTED`; from the limiter, `ERR_RATE_LIMITED`
 * after `leaseTimeoutMs` and `ERR_BUDGET_EXHAUSTED`. Bad options: `ERR_INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * const embedder = createOpenAIEmbedder({ baseURL: 'http://localhost:11434/v1',
 *   model: 'nomic-embed-text', dimensions: 768 });
 * const memory = createInMemoryStore({ clock: systemClock, embedder });
 * ```
 */
export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const parsed = parseStrictOptions(ownSchema, options, WHAT, PROVIDER_OPTIONS);
  const admit = admission(parsed);
  const { dimensions } = parsed;
  const model = embeddingsModel(options, parsed);
  const batchSize = parsed.batchSize ?? 256;

  return {
    dimensions,
    async embed(texts, embedOptions = {}) {
      if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
        throw invalidArgument('texts must be an array of strings');
      }
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        const input = texts.slice(i, i + batchSize);
        out.push(...(await embedBatch(model, admit, dimensions, input, embedOptions.signal)));
      }
      return out;
    },
  };
}
