import type { RateLimitFeedback } from '@troupe/core';
import { invalidArgument } from '@troupe/core';
import { describeErrorBody, parseJson } from './internal/common.js';
import { malformedResponse } from './internal/failure.js';
import { secretsOf } from './internal/scrub.js';
import { send } from './internal/transport.js';
import type { ProviderOptions } from './options.js';
import {
  checkOptionNames,
  headerValue,
  parseBaseURL,
  requireString,
  resolveOptions,
  SHARED_OPTIONS,
} from './options.js';

/**
 * Options for {@link openaiEmbeddings}: the shared provider options (time, retries, pooling,
 * headers) without `stream` and `pricing`, which an embeddings call does not use.
 *
 * @example
 * ```ts
 * const options: OpenAIEmbeddingsOptions = { baseURL: 'https://api.openai.com/v1',
 *   apiKey: process.env.OPENAI_API_KEY, model: 'text-embedding-3-small', maxRetries: 4 };
 * ```
 */
export interface OpenAIEmbeddingsOptions extends Omit<ProviderOptions, 'stream' | 'pricing'> {
  /** Up to and including the version segment: `https://api.openai.com/v1`. */
  readonly baseURL: string;
  /** Sent as `Authorization: Bearer …`. Local servers (Ollama, vLLM) often need none. */
  readonly apiKey?: string;
  readonly model: string;
  /** Sent as `dimensions`, for models that can shorten their vectors. Default: not sent. */
  readonly dimensions?: number;
}

/**
 * One embeddings call: the texts, an abort signal, and where the provider's rate-limit headers
 * go (typically `limiter.observe(key, feedback)`).
 *
 * @example
 * ```ts
 * const request: EmbeddingsRequest = { input: ['hello'], onRateLimit: (f) => limiter.observe('openai', f) };
 * ```
 */
export interface EmbeddingsRequest {
  readonly input: readonly string[];
  readonly signal?: AbortSignal;
  readonly onRateLimit?: (feedback: RateLimitFeedback) => void;
}

/**
 * The answer to one {@link EmbeddingsRequest}.
 *
 * @example
 * ```ts
 * const { vectors, inputTokens } = await embeddings.embed({ input: ['a', 'b'] });
 * ```
 */
export interface EmbeddingsResponse {
  /** One vector per input text, in input order (whatever order the server answered in). */
  readonly vectors: Float32Array[];
  /** Tokens the provider counted (`usage.prompt_tokens`), else the estimate. */
  readonly inputTokens: number;
}

/**
 * An embeddings endpoint: what {@link openaiEmbeddings} returns.
 *
 * @example
 * ```ts
 * const embeddings: EmbeddingsModel = openaiEmbeddings({ baseURL, model: 'nomic-embed-text' });
 * const lease = await limiter.acquire('openai', { tokens: embeddings.estimateTokens(texts) });
 * ```
 */
export interface EmbeddingsModel {
  /** `openai:<model>` unless the `id` option says otherwise. */
  readonly id: string;
  /** About four characters a token: for a limiter's up-front reservation. */
  estimateTokens(input: readonly string[]): number;
  embed(request: EmbeddingsRequest): Promise<EmbeddingsResponse>;
}

const OWN_OPTIONS = ['baseURL', 'apiKey', 'model', 'dimensions'];

/**
 * Every option name {@link openaiEmbeddings} takes: its own and the shared provider options
 * but `stream` and `pricing`. For wrappers that pass options on and check names up front.
 */
export const OPENAI_EMBEDDINGS_OPTIONS: readonly string[] = Object.freeze([
  ...OWN_OPTIONS,
  ...SHARED_OPTIONS.filter((name) => name !== 'stream' && name !== 'pricing'),
]);

function estimate(input: readonly string[]): number {
  let chars = 0;
  for (const text of input) chars += text.length;
  return Math.ceil(chars / 4);
}

/** Reads `{ data: [{ index, embedding }], usage? }` into vectors in input order. */
function readEmbeddings(
  text: string,
  input: readonly string[],
  requestId: string | undefined,
): EmbeddingsResponse {
  const count = input.length;
  const payload = parseJson(text, 'openai', requestId) as {
    data?: unknown;
    usage?: { prompt_tokens?: unknown };
  } | null;
  const data = payload?.data;
  if (!Array.isArray(data) || data.length !== count) {
    throw malformedResponse(`openai embeddings answer has no data array of ${count} items`, {
      expected: count,
    });
  }
  const vectors: Float32Array[] = new Array(count);
  for (const item of data as { index?: unknown; embedding?: unknown }[]) {
    const index = item?.index;
    const embedding = item?.embedding;
    if (
      typeof index !== 'number' ||
      !Number.isInteger(index) ||
      index < 0 ||
      index >= count ||
      vectors[index] !== undefined ||
      !Array.isArray(embedding) ||
      !embedding.every((value) => typeof value === 'number')
    ) {
      throw malformedResponse('openai embeddings answer has a bad item', { index });
    }
    vectors[index] = Float32Array.from(embedding as number[]);
  }
  const tokens = payload?.usage?.prompt_tokens;
  return {
    vectors,
    inputTokens:
      typeof tokens === 'number' && Number.isFinite(tokens) && tokens >= 0
        ? tokens
        : estimate(input),
  };
}

/**
 * An {@link EmbeddingsModel} for any OpenAI-compatible `POST {baseURL}/embeddings` (OpenAI,
 * vLLM, Ollama, llama.cpp's server, LM Studio), over the same transport as the chat providers:
 * the shared undici pool per origin, deadlines on the injected clock, retries with jitter on
 * 429, 5xx and resets (honouring `retry-after`), rate-limit headers to `onRateLimit`, coded
 * `ERR_PROVIDER_*` / `ERR_TIMEOUT` errors with credentials scrubbed.
 *
 * @example
 * ```ts
 * const embeddings = openaiEmbeddings({ baseURL: 'http://localhost:11434/v1', model: 'nomic-embed-text' });
 * const { vectors } = await embeddings.embed({ input: ['deploy on Tuesday'] });
 * ```
 */
export function openaiEmbeddings(options: OpenAIEmbeddingsOptions): EmbeddingsModel {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  for (const name of ['stream', 'pricing']) {
    if (name in options)
      throw invalidArgument(`openaiEmbeddings: unknown option ${JSON.stringify(name)}`, {
        option: name,
      });
  }
  checkOptionNames('openaiEmbeddings', options, OWN_OPTIONS);
  const { origin, basePath } = parseBaseURL('baseURL', options.baseURL);
  const model = requireString('model', options.model);
  if (options.apiKey !== undefined) headerValue('apiKey', requireString('apiKey', options.apiKey));
  const { dimensions } = options;
  if (dimensions !== undefined && !(Number.isInteger(dimensions) && dimensions > 0))
    throw invalidArgument('dimensions must be a positive integer', { dimensions });
  const resolved = resolveOptions(options);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    ...resolved.headers,
  };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
  const secrets = secretsOf(options.apiKey, headers);
  const path = `${basePath}/embeddings`;

  return {
    id: options.id ?? `openai:${model}`,
    estimateTokens: estimate,
    async embed(request) {
      const input = request.input;
      if (!Array.isArray(input) || input.some((text) => typeof text !== 'string'))
        throw invalidArgument('input must be an array of strings');
      const body = {
        model,
        input,
        encoding_format: 'float',
        ...(dimensions === undefined ? {} : { dimensions }),
      };
      return send(
        resolved,
        {
          provider: 'openai',
          origin,
          path,
          headers,
          body: JSON.stringify(body),
          describeError: describeErrorBody,
          secrets,
          read: async (chunks, context) =>
            readEmbeddings(await chunks.text(), input, context.requestId),
        },
        request.signal,
        request.onRateLimit,
      );
    },
  };
}
