import type { Model, ModelRequest, ModelResponse } from '@troupe/core';
import { invalidArgument } from '@troupe/core';
import { describeErrorBody, estimateRequestTokens } from './internal/common.js';
import {
  readResponsesStream,
  readResponsesWhole,
  responsesBody,
} from './internal/responses-wire.js';
import { secretsOf } from './internal/scrub.js';
import { send } from './internal/transport.js';
import { validateRequest } from './internal/validate-request.js';
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
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
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
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...resolved.headers,
  };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
  const secrets = secretsOf(options.apiKey, headers);
  const streamHeaders = { ...headers, accept: 'text/event-stream' };
  const plainHeaders = { ...headers, accept: 'application/json' };
  const path = `${basePath}/responses`;

  return {
    id: options.id ?? `openai-responses:${model}`,
    toolFormat: 'json-schema',
    estimateTokens: (request) => estimateRequestTokens(request, request.maxOutputTokens ?? 0),
    generate(request: ModelRequest): Promise<ModelResponse> {
      try {
        validateRequest(request);
      } catch (error) {
        return Promise.reject(error);
      }
      const stream = resolved.stream === 'auto' ? request.onDelta !== undefined : resolved.stream;
      const body = responsesBody(model, request, includeReasoning);
      if (stream) body.stream = true;
      return send(
        resolved,
        {
          provider: 'openai',
          origin,
          path,
          headers: stream ? streamHeaders : plainHeaders,
          body: JSON.stringify(body),
          describeError: describeErrorBody,
          secrets,
          read: (chunks, context) =>
            stream
              ? readResponsesStream(chunks, context, request, resolved)
              : readResponsesWhole(chunks, context, resolved),
        },
        request.signal,
        request.onRateLimit,
      );
    },
  };
}
