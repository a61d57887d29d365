import type { Model, ModelRequest } from '@troupe/core';
import { invalidArgument } from '@troupe/core';
import type { Json } from './internal/common.js';
import { httpModel, wireHeaders } from './internal/http-model.js';
import { chatBody, toOpenAIMessage } from './internal/openai-request.js';
import type { CallIds } from './internal/openai-response.js';
import { readStream, readWhole } from './internal/openai-response.js';
import type { ProviderOptions } from './options.js';
import {
  checkOptionNames,
  headerValue,
  parseBaseURL,
  requireString,
  resolveOptions,
} from './options.js';

/**
 * Options for {@link openaiCompatible}.
 *
 * @example
 * ```ts
 * const options: OpenAICompatibleOptions = { baseURL: 'http://localhost:11434/v1', model: 'llama3.2' };
 * ```
 */
export interface OpenAICompatibleOptions extends ProviderOptions {
  /** Up to and including the version segment: `https://api.openai.com/v1`. */
  readonly baseURL: string;
  /** Sent as `Authorization: Bearer …`. Local servers (Ollama, vLLM) often need none. */
  readonly apiKey?: string;
  readonly model: string;
  /** Which body field carries `maxOutputTokens`. Default `max_tokens` (widest support). */
  readonly maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** Ask for the usage chunk when streaming (`stream_options.include_usage`). Default true. */
  readonly includeUsage?: boolean;
}

const OWN_OPTIONS = ['baseURL', 'apiKey', 'model', 'maxTokensField', 'includeUsage'];

/**
 * Provider-neutral messages to Chat Completions messages (the system prompt first).
 *
 * @example
 * ```ts
 * toOpenAIMessages({ system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }], tools: [] });
 * // [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]
 * ```
 */
export function toOpenAIMessages(request: ModelRequest): Json[] {
  const out: Json[] = [];
  if (request.system !== undefined && request.system !== '')
    out.push({ role: 'system', content: request.system });
  for (const message of request.messages) out.push(toOpenAIMessage(message));
  return out;
}

/** Ids for calls a server sent without one: `call_troupe_<n>`, unique per model. */
export function callIds(): CallIds {
  let serial = 0;
  return { next: () => `call_troupe_${++serial}` };
}

/**
 * A {@link Model} speaking OpenAI Chat Completions: OpenAI itself and every server that mimics
 * it (vLLM, Ollama, llama.cpp's server, LM Studio, OpenRouter, Groq, Together, DeepSeek, Qwen,
 * Mistral, Gemini's OpenAI endpoint), with their known quirks handled.
 *
 * @example
 * ```ts
 * const model = openaiCompatible({
 *   baseURL: 'https://api.openai.com/v1',
 *   apiKey: process.env.OPENAI_API_KEY,
 *   model: 'gpt-4o-mini',
 *   pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6, cacheReadPerMTok: 0.075 },
 * });
 * const answer = await model.generate({ messages: [{ role: 'user', content: 'Hi' }], tools: [] });
 * ```
 */
export function openaiCompatible(options: OpenAICompatibleOptions): Model {
  checkOptionNames('openaiCompatible', options, OWN_OPTIONS);
  const { origin, basePath } = parseBaseURL('baseURL', options.baseURL);
  const model = requireString('model', options.model);
  if (options.apiKey !== undefined && typeof options.apiKey !== 'string') {
    throw invalidArgument('apiKey must be a string', {});
  }
  if (options.apiKey !== undefined) headerValue('apiKey', options.apiKey);
  const maxTokensField = options.maxTokensField ?? 'max_tokens';
  if (maxTokensField !== 'max_tokens' && maxTokensField !== 'max_completion_tokens') {
    throw invalidArgument("maxTokensField must be 'max_tokens' or 'max_completion_tokens'", {
      maxTokensField,
    });
  }
  const includeUsage = options.includeUsage ?? true;
  if (typeof includeUsage !== 'boolean')
    throw invalidArgument('includeUsage must be a boolean', { includeUsage });
  const resolved = resolveOptions(options);
  const ids = callIds();
  return httpModel({
    id: options.id ?? `openai:${model}`,
    provider: 'openai',
    origin,
    path: `${basePath}/chat/completions`,
    resolved,
    headers: wireHeaders(
      {},
      resolved.headers,
      options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
    ),
    secret: options.apiKey,
    defaultOutputTokens: 0,
    body: (request) => chatBody(model, request, maxTokensField),
    ...(includeUsage ? { streamFields: { stream_options: { include_usage: true } } } : {}),
    readStream: (chunks, context, request) => readStream(chunks, context, request, resolved, ids),
    readWhole: (chunks, context) => readWhole(chunks, context, resolved, ids),
  });
}
