import type { Model } from '@troupe/core';
import { invalidArgument } from '@troupe/core';
import { httpModel, wireHeaders } from './internal/http-model.js';
import {
  readResponsesStream,
  readResponsesWhole,
  responsesBody,
} from './internal/responses-wire.js';
import type { ProviderOptions } from './options.js';
import {
  checkOptionNames,
  headerValue,
  parseBaseURL,
  requireString,
  resolveOptions,
} from './options.js';

/**
 * Options for {@link openaiResponses}.
 *
 * @example
 * ```ts
 * const options: OpenAIResponsesOptions = { apiKey: process.env.OPENAI_API_KEY, model: 'gpt-5-mini' };
 * ```
 */
export interface OpenAIResponsesOptions extends ProviderOptions {
  readonly model: string;
  /** Sent as `Authorization: Bearer …`. */
  readonly apiKey?: string;
  /** Up to and including the version segment. Default `https://api.openai.com/v1`. */
  readonly baseURL?: string;
  /**
   * Ask for reasoning items with their encrypted content (`include:
   * ['reasoning.encrypted_content']`), so a reasoning model keeps its reasoning across turns
   * without server-side storage. Default true.
   */
  readonly includeReasoning?: boolean;
}

const OWN_OPTIONS = ['model', 'apiKey', 'baseURL', 'includeReasoning'];

/**
 * A {@link Model} speaking the OpenAI Responses API (`POST /responses`): tool calls, streaming,
 * usage with cached input, and reasoning items carried across turns in `providerData` (the
 * calls are stateless: `store: false`).
 *
 * @example
 * ```ts
 * const model = openaiResponses({ apiKey: process.env.OPENAI_API_KEY, model: 'gpt-5-mini' });
 * const answer = await model.generate({ messages: [{ role: 'user', content: 'Hi' }], tools: [] });
 * ```
 */
export function openaiResponses(options: OpenAIResponsesOptions): Model {
  checkOptionNames('openaiResponses', options, OWN_OPTIONS);
  const { origin, basePath } = parseBaseURL(
    'baseURL',
    options.baseURL ?? 'https://api.openai.com/v1',
  );
  const model = requireString('model', options.model);
  if (options.apiKey !== undefined) headerValue('apiKey', requireString('apiKey', options.apiKey));
  const includeReasoning = options.includeReasoning ?? true;
  if (typeof includeReasoning !== 'boolean')
    throw invalidArgument('includeReasoning must be a boolean', { includeReasoning });
  const resolved = resolveOptions(options);
  return httpModel({
    id: options.id ?? `openai-responses:${model}`,
    provider: 'openai',
    origin,
    path: `${basePath}/responses`,
    resolved,
    headers: wireHeaders(
      {},
      resolved.headers,
      options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` },
    ),
    secret: options.apiKey,
    defaultOutputTokens: 0,
    body: (request) => responsesBody(model, request, includeReasoning),
    readStream: (chunks, context, request) =>
      readResponsesStream(chunks, context, request, resolved),
    readWhole: (chunks, context) => readResponsesWhole(chunks, context, resolved),
  });
}
