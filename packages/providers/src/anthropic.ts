import type { Model, ModelRequest, ModelResponse, ToolSpec } from '@troupe/core';
import { invalidArgument } from '@troupe/core';
import { readStream, readWhole } from './internal/anthropic-response.js';
import type { Json } from './internal/common.js';
import {
  describeErrorBody,
  estimateRequestTokens,
  toolCache,
  wireParameters,
} from './internal/common.js';
import { send } from './internal/transport.js';
import type { ProviderOptions } from './options.js';
import { parseBaseURL, requireString, resolveOptions } from './options.js';

/**
 * Options for {@link anthropic}.
 *
 * @example
 * ```ts
 * const options: AnthropicOptions = { apiKey: 'sk-ant-…', model: 'claude-sonnet-4-5', maxTokens: 2048 };
 * ```
 */
export interface AnthropicOptions extends ProviderOptions {
  readonly apiKey: string;
  readonly model: string;
  /** Without the version segment. Default `https://api.anthropic.com`. */
  readonly baseURL?: string;
  /** `max_tokens` when the request sets no `maxOutputTokens` (the API requires one). Default 4096. */
  readonly maxTokens?: number;
  /** The `anthropic-version` header. Default `2023-06-01`. */
  readonly anthropicVersion?: string;
  /**
   * Prompt caching: mark the system prompt and the tool list with `cache_control: ephemeral`
   * breakpoints, so later calls read them from the cache (see `usage.cacheReadTokens`).
   * Default false.
   */
  readonly promptCaching?: boolean;
}

const wireTools = toolCache((tool) => ({
  name: tool.name,
  description: tool.description,
  input_schema: wireParameters(tool.parameters),
}));

const EPHEMERAL = { type: 'ephemeral' } as const;

// The same tools with a cache breakpoint on the last one (which caches the whole list), made
// once per list like the plain ones.
const markedTools = new WeakMap<readonly ToolSpec[], readonly Json[]>();
function wireToolsMarked(tools: readonly ToolSpec[]): readonly Json[] {
  let marked = markedTools.get(tools);
  if (marked === undefined) {
    const plain = wireTools(tools);
    marked = plain.map((tool, index) =>
      index === plain.length - 1 ? { ...tool, cache_control: EPHEMERAL } : tool,
    );
    markedTools.set(tools, marked);
  }
  return marked;
}

/**
 * Provider-neutral messages to Messages API turns. Tool results become `tool_result` blocks in
 * a user turn; consecutive results (and a user message right after them) share one user turn,
 * as the API requires every result for a `tool_use` turn in the very next message. The system
 * prompt is not a message: it goes in the request's top-level `system`.
 *
 * @example
 * ```ts
 * toAnthropicMessages({
 *   messages: [
 *     { role: 'user', content: 'Find x' },
 *     { role: 'assistant', content: '', toolCalls: [{ id: 't1', name: 'find', arguments: { q: 'x' } }] },
 *     { role: 'tool', toolCallId: 't1', name: 'find', content: 'found' },
 *   ],
 *   tools: [],
 * });
 * // [{ role: 'user', content: 'Find x' },
 * //  { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'find', input: { q: 'x' } }] },
 * //  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'found' }] }]
 * ```
 */
export function toAnthropicMessages(request: ModelRequest): Json[] {
  const out: { role: 'user' | 'assistant'; content: Json[] }[] = [];
  const userTurn = (): Json[] => {
    const last = out.at(-1);
    if (last !== undefined && last.role === 'user') return last.content;
    const content: Json[] = [];
    out.push({ role: 'user', content });
    return content;
  };
  for (const message of request.messages) {
    if (message.role === 'user') {
      userTurn().push({ type: 'text', text: message.content });
    } else if (message.role === 'tool') {
      const block: Record<string, unknown> = {
        type: 'tool_result',
        tool_use_id: message.toolCallId,
        content: message.content,
      };
      if (message.isError === true) block.is_error = true;
      userTurn().push(block);
    } else {
      const content: Json[] = [];
      if (message.content !== '') content.push({ type: 'text', text: message.content });
      for (const call of message.toolCalls ?? []) {
        content.push({
          type: 'tool_use',
          id: call.id,
          name: call.name,
          input: call.arguments ?? {},
        });
      }
      // The API refuses empty assistant turns; an empty one carries nothing worth sending.
      if (content.length > 0) out.push({ role: 'assistant', content });
    }
  }
  // A lone text block is sent as a plain string: the shape most servers and proxies expect.
  return out.map((turn) => {
    const only = turn.content[0];
    return turn.content.length === 1 && only?.type === 'text'
      ? { role: turn.role, content: only.text }
      : { role: turn.role, content: turn.content };
  });
}

/**
 * A {@link Model} speaking the Anthropic Messages API.
 *
 * @example
 * ```ts
 * const model = anthropic({
 *   apiKey: process.env.ANTHROPIC_API_KEY ?? '',
 *   model: 'claude-sonnet-4-5',
 *   pricing: { inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 },
 * });
 * const answer = await model.generate({ system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }], tools: [] });
 * ```
 */
export function anthropic(options: AnthropicOptions): Model {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  const apiKey = requireString('apiKey', options.apiKey);
  const model = requireString('model', options.model);
  const { origin, basePath } = parseBaseURL(
    'baseURL',
    options.baseURL ?? 'https://api.anthropic.com',
  );
  const maxTokens = options.maxTokens ?? 4096;
  if (!Number.isInteger(maxTokens) || maxTokens < 1)
    throw invalidArgument('maxTokens must be a positive integer', { maxTokens });
  const version = requireString('anthropicVersion', options.anthropicVersion ?? '2023-06-01');
  const promptCaching = options.promptCaching ?? false;
  if (typeof promptCaching !== 'boolean')
    throw invalidArgument('promptCaching must be a boolean', { promptCaching });
  const resolved = resolveOptions(options);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'anthropic-version': version,
    ...resolved.headers,
    'x-api-key': apiKey,
  };
  const streamHeaders = { ...headers, accept: 'text/event-stream' };
  const plainHeaders = { ...headers, accept: 'application/json' };
  const path = `${basePath}/v1/messages`;

  return {
    id: options.id ?? `anthropic:${model}`,
    toolFormat: 'json-schema',
    estimateTokens: (request) =>
      estimateRequestTokens(request, request.maxOutputTokens ?? maxTokens),
    generate(request: ModelRequest): Promise<ModelResponse> {
      const stream = resolved.stream === 'auto' ? request.onDelta !== undefined : resolved.stream;
      const body: Record<string, unknown> = {
        model,
        max_tokens: request.maxOutputTokens ?? maxTokens,
        messages: toAnthropicMessages(request),
      };
      if (request.system !== undefined && request.system !== '') {
        body.system = promptCaching
          ? [{ type: 'text', text: request.system, cache_control: EPHEMERAL }]
          : request.system;
      }
      if (request.tools.length > 0)
        body.tools = promptCaching ? wireToolsMarked(request.tools) : wireTools(request.tools);
      if (request.temperature !== undefined) body.temperature = request.temperature;
      if (stream) body.stream = true;
      return send(
        resolved,
        {
          provider: 'anthropic',
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
