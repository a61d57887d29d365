import {
  abortedError,
  type Clock,
  type ErrorCode,
  invalidArgument,
  systemClock,
  TroupeError,
} from '@troupe/core';
import { type Dispatcher, request } from 'undici';
import { z } from 'zod';
import { parseOptions } from '../internal/validate.js';
import type { Embedder } from './embedder.js';

/**
 * Options of {@link createOpenAIEmbedder}.
 *
 * @example
 * ```ts
 * const options: OpenAIEmbedderOptions = { baseURL: 'https://api.openai.com/v1',
 *   apiKey: process.env.OPENAI_API_KEY, model: 'text-embedding-3-small', dimensions: 1536 };
 * ```
 */
export interface OpenAIEmbedderOptions {
  /** Up to the version path, e.g. `https://api.openai.com/v1`; `/embeddings` is appended. */
  readonly baseURL: string;
  readonly model: string;
  /** Length of the vectors the model returns (sent as `dimensions` when `sendDimensions`). */
  readonly dimensions: number;
  /** Sent as `Authorization: Bearer …` when present. */
  readonly apiKey?: string;
  /** Ask the server for `dimensions` (models that can shorten vectors); default false. */
  readonly sendDimensions?: boolean;
  /** Most texts per request; larger calls are split. Default 256. */
  readonly batchSize?: number;
  /** Per request; default 30 s, timed on `clock`. */
  readonly timeoutMs?: number;
  /** Times the request timeout; default `systemClock`. */
  readonly clock?: Clock;
  readonly headers?: Readonly<Record<string, string>>;
  /** An undici dispatcher (connection pool, proxy, mock agent). */
  readonly dispatcher?: Dispatcher;
}

const optionsSchema = z.strictObject({
  baseURL: z.url(),
  model: z.string().min(1),
  dimensions: z.number().int().min(1).max(65_536),
  apiKey: z.string().min(1).optional(),
  sendDimensions: z.boolean().optional(),
  batchSize: z.number().int().min(1).max(2048).optional(),
  timeoutMs: z.number().positive().optional(),
  clock: z
    .custom<Clock>((v) => typeof v === 'object' && v !== null && 'now' in v, 'must be a Clock')
    .optional(),
  headers: z.record(z.string(), z.string()).optional(),
  dispatcher: z
    .custom<Dispatcher>((v) => typeof v === 'object' && v !== null, 'must be a Dispatcher')
    .optional(),
});

const responseSchema = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()) })),
});

function statusCode(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'ERR_PROVIDER_AUTH';
  if (status === 429) return 'ERR_PROVIDER_RATE_LIMITED';
  if (status >= 400 && status < 500) return 'ERR_PROVIDER_BAD_REQUEST';
  return 'ERR_PROVIDER_UNAVAILABLE';
}

/**
 * An {@link Embedder} for any OpenAI-compatible server: `POST {baseURL}/embeddings` with
 * `{ model, input }`, over undici. Large calls are split into batches of `batchSize`, sent one
 * after another. HTTP failures become `TroupeError`s: 401/403 `ERR_PROVIDER_AUTH`, 429
 * `ERR_PROVIDER_RATE_LIMITED`, other 4xx `ERR_PROVIDER_BAD_REQUEST`, 5xx, resets and timeouts
 * `ERR_PROVIDER_UNAVAILABLE`; a malformed answer or a wrong length `ERR_PROVIDER_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const embedder = createOpenAIEmbedder({ baseURL: 'http://localhost:11434/v1',
 *   model: 'nomic-embed-text', dimensions: 768 });
 * const memory = createInMemoryStore({ clock: systemClock, embedder });
 * ```
 */
export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const parsed = parseOptions(optionsSchema, options, 'createOpenAIEmbedder options');
  const url = `${parsed.baseURL.replace(/\/+$/, '')}/embeddings`;
  const clock = options.clock ?? systemClock;
  const batchSize = parsed.batchSize ?? 256;
  const timeoutMs = parsed.timeoutMs ?? 30_000;
  const dimensions = parsed.dimensions;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...parsed.headers };
  if (parsed.apiKey !== undefined) headers.authorization = `Bearer ${parsed.apiKey}`;

  const post = async (
    input: readonly string[],
    signal: AbortSignal | undefined,
  ): Promise<Float32Array[]> => {
    if (signal?.aborted) throw abortedError(signal, 'embedding');
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = clock.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      const body = {
        model: parsed.model,
        input,
        encoding_format: 'float',
        ...(parsed.sendDimensions ? { dimensions } : {}),
      };
      const response = await request(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: controller.signal,
        ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      });
      const text = await response.body.text();
      if (response.statusCode >= 400) {
        throw new TroupeError(
          statusCode(response.statusCode),
          `embeddings request failed with HTTP ${response.statusCode}`,
          {
            details: { status: response.statusCode, body: text.slice(0, 500) },
          },
        );
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (cause) {
        throw new TroupeError('ERR_PROVIDER_UNAVAILABLE', 'embeddings response is not JSON', {
          cause,
        });
      }
      const result = responseSchema.safeParse(json);
      if (!result.success || result.data.data.length !== input.length) {
        throw new TroupeError(
          'ERR_PROVIDER_UNAVAILABLE',
          'embeddings response has an unexpected shape',
          {
            details: { expected: input.length },
          },
        );
      }
      const out: Float32Array[] = new Array(input.length);
      for (const item of result.data.data) {
        if (item.index >= input.length || item.embedding.length !== dimensions) {
          throw new TroupeError(
            'ERR_PROVIDER_UNAVAILABLE',
            `embeddings response has a vector of ${item.embedding.length} values, expected ${dimensions}`,
            {
              details: { index: item.index, length: item.embedding.length, dimensions },
            },
          );
        }
        out[item.index] = Float32Array.from(item.embedding);
      }
      return out;
    } catch (error) {
      if (error instanceof TroupeError) throw error;
      if (signal?.aborted) throw abortedError(signal, 'embedding');
      if (timedOut)
        throw new TroupeError(
          'ERR_PROVIDER_UNAVAILABLE',
          `embeddings request timed out after ${timeoutMs} ms`,
          { cause: error },
        );
      throw new TroupeError('ERR_PROVIDER_UNAVAILABLE', 'embeddings request failed', {
        cause: error,
      });
    } finally {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  };

  return {
    dimensions,
    async embed(texts, embedOptions = {}) {
      if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
        throw invalidArgument('texts must be an array of strings');
      }
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        out.push(...(await post(texts.slice(i, i + batchSize), embedOptions.signal)));
      }
      return out;
    },
  };
}
