import type { ChatMessage, Model, ModelRequest, ModelResponse } from '@troupe/core';
import { invalidArgument } from '@troupe/core';
import type { Json } from './internal/common.js';
import {
  describeErrorBody,
  estimateRequestTokens,
  toolCache,
  wireParameters,
} from './internal/common.js';
import { readStream, readWhole } from './internal/openai-response.js';
import { send } from './internal/transport.js';
import type { ProviderOptions } from './options.js';
import { parseBaseURL, requireString, resolveOptions } from './options.js';

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

const wireTools = toolCache((tool) => ({
  type: 'function',
  function: {
    name: tool.name,
    description: tool.description,
    parameters: wireParameters(tool.parameters),
  },
}));

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

function toOpenAIMessage(message: ChatMessage): Json {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: message.content };
    case 'assistant': {
      const calls = message.toolCalls ?? [];
      if (calls.length === 0) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        content: message.content === '' ? null : message.content,
        tool_calls: calls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: JSON.stringify(call.arguments ?? {}) },
        })),
      };
    }
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

/**
 * A {@link Model} speaking OpenAI Chat Completions: OpenAI itself and every server that mimics
 * it (vLLM, Ollama, llama.cpp's server, LM Studio, OpenRouter, Groq, Together).
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
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  const { origin, basePath } = parseBaseURL('baseURL', options.baseURL);
  const model = requireString('model', options.model);
  if (options.apiKey !== undefined && typeof options.apiKey !== 'string') {
    throw invalidArgument('apiKey must be a string', {});
  }
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
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...resolved.headers,
  };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  const streamHeaders = { ...headers, accept: 'text/event-stream' };
  const plainHeaders = { ...headers, accept: 'application/json' };
  const path = `${basePath}/chat/completions`;

  return {
    id: options.id ?? `openai:${model}`,
    toolFormat: 'json-schema',
    estimateTokens: (request) => estimateRequestTokens(request, request.maxOutputTokens ?? 0),
    generate(request: ModelRequest): Promise<ModelResponse> {
      const stream = resolved.stream === 'auto' ? request.onDelta !== undefined : resolved.stream;
      const body: Record<string, unknown> = { model, messages: toOpenAIMessages(request) };
      if (request.tools.length > 0) body.tools = wireTools(request.tools);
      if (request.maxOutputTokens !== undefined) body[maxTokensField] = request.maxOutputTokens;
      if (request.temperature !== undefined) body.temperature = request.temperature;
      if (stream) {
        body.stream = true;
        if (includeUsage) body.stream_options = { include_usage: true };
      }
      return send(
        resolved,
        {
          provider: 'openai',
          origin,
          path,
          headers: stream ? streamHeaders : plainHeaders,
          body: JSON.stringify(body),
          describeError: describeErrorBody,
          read: (chunks, context) =>
            stream
              ? readStream(chunks, context, request, resolved)
              : readWhole(chunks, context, resolved),
        },
        request.signal,
        request.onRateLimit,
      );
    },
  };
}
