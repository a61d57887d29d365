import type {
  Model,
  ModelRequest,
  ModelResponse,
  ModelUsage,
  StopReason,
  ToolCall,
  ToolSpec,
} from '@troupe/core';
import { invalidArgument } from '@troupe/core';
import type { Json } from './internal/common.js';
import {
  asNumber,
  asObject,
  asString,
  describeErrorBody,
  estimateRequestTokens,
  parseJson,
  parseToolArguments,
  priced,
  readSse,
  toolCache,
  wireParameters,
} from './internal/common.js';
import { failureFromProviderError, malformedResponse } from './internal/failure.js';
import type { Body, ReadContext } from './internal/transport.js';
import { send } from './internal/transport.js';
import type { ProviderOptions, ResolvedOptions } from './options.js';
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

const STOP: Readonly<Record<string, StopReason>> = {
  end_turn: 'end',
  stop_sequence: 'end',
  tool_use: 'tool_calls',
  max_tokens: 'max_tokens',
  refusal: 'content_filter',
};

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

interface UsageParts {
  input: number;
  output: number;
  cacheRead: number | undefined;
  cacheWrite: number | undefined;
}

/** Merges a wire usage object into `parts` (message_delta repeats only what changed). */
function mergeUsage(parts: UsageParts, value: unknown): void {
  const usage = asObject(value);
  if (usage === undefined) return;
  parts.input = asNumber(usage.input_tokens) ?? parts.input;
  parts.output = asNumber(usage.output_tokens) ?? parts.output;
  parts.cacheRead = asNumber(usage.cache_read_input_tokens) ?? parts.cacheRead;
  parts.cacheWrite = asNumber(usage.cache_creation_input_tokens) ?? parts.cacheWrite;
}

/** Anthropic's `input_tokens` excludes cache reads and writes; ours counts every input token. */
function usageOf(parts: UsageParts, options: ResolvedOptions): ModelUsage {
  const usage: {
    inputTokens: number;
    outputTokens: number;
    cacheReadTokens?: number;
    cacheWriteTokens?: number;
  } = {
    inputTokens: parts.input + (parts.cacheRead ?? 0) + (parts.cacheWrite ?? 0),
    outputTokens: parts.output,
  };
  if (parts.cacheRead !== undefined) usage.cacheReadTokens = parts.cacheRead;
  if (parts.cacheWrite !== undefined) usage.cacheWriteTokens = parts.cacheWrite;
  return priced(usage, options.pricing);
}

function stopOf(reason: unknown): StopReason {
  const text = asString(reason);
  return text === undefined ? 'other' : (STOP[text] ?? 'other');
}

function providerFailure(payload: Json, requestId: string | undefined): never {
  const error = asObject(payload.error);
  throw failureFromProviderError(
    asString(error?.type),
    `anthropic error: ${asString(error?.message) ?? 'unknown error'}`,
    requestId === undefined ? {} : { requestId },
  );
}

async function readWhole(
  body: Body,
  context: ReadContext,
  options: ResolvedOptions,
): Promise<ModelResponse> {
  const payload = asObject(parseJson(await body.text(), 'anthropic', context.requestId));
  if (payload === undefined) throw malformedResponse('anthropic answered with a non-object body');
  if (payload.type === 'error') providerFailure(payload, context.requestId);
  if (!Array.isArray(payload.content))
    throw malformedResponse('anthropic answer has no content array');
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const raw of payload.content) {
    const block = asObject(raw);
    if (block?.type === 'text') text += asString(block.text) ?? '';
    else if (block?.type === 'tool_use') {
      toolCalls.push({
        id: asString(block.id) ?? '',
        name: asString(block.name) ?? '',
        arguments: block.input ?? {},
      });
    }
  }
  const parts: UsageParts = { input: 0, output: 0, cacheRead: undefined, cacheWrite: undefined };
  mergeUsage(parts, payload.usage);
  return {
    text,
    toolCalls,
    usage: usageOf(parts, options),
    stopReason: stopOf(payload.stop_reason),
  };
}

interface Block {
  readonly kind: 'text' | 'tool_use' | 'other';
  /** Position among this response's tool calls (tool_use blocks only). */
  readonly call: number;
  readonly id: string;
  readonly name: string;
  readonly input: unknown;
  json: string;
}

async function readStream(
  body: Body,
  context: ReadContext,
  request: ModelRequest,
  options: ResolvedOptions,
): Promise<ModelResponse> {
  const onDelta = request.onDelta;
  const blocks = new Map<number, Block>();
  const calls: Block[] = [];
  const parts: UsageParts = { input: 0, output: 0, cacheRead: undefined, cacheWrite: undefined };
  let text = '';
  let stop: unknown;
  let started = false;
  let done = false;
  await readSse(body, 'anthropic', (event) => {
    // Read on to the end after message_stop: a body left unread would cost the socket its reuse.
    if (done) return;
    const payload = asObject(parseJson(event.data, 'anthropic', context.requestId));
    if (payload === undefined) throw malformedResponse('anthropic stream sent a non-object event');
    switch (payload.type) {
      case 'message_start':
        started = true;
        mergeUsage(parts, asObject(payload.message)?.usage);
        break;
      case 'content_block_start': {
        const index = asNumber(payload.index) ?? blocks.size;
        const start = asObject(payload.content_block);
        const kind =
          start?.type === 'text' ? 'text' : start?.type === 'tool_use' ? 'tool_use' : 'other';
        const block: Block = {
          kind,
          call: kind === 'tool_use' ? calls.length : -1,
          id: asString(start?.id) ?? '',
          name: asString(start?.name) ?? '',
          input: start?.input,
          json: '',
        };
        blocks.set(index, block);
        if (kind === 'tool_use') {
          calls.push(block);
          if (onDelta !== undefined) {
            context.markEmitted();
            onDelta({
              type: 'tool-call',
              index: block.call,
              id: block.id,
              name: block.name,
              argumentsDelta: '',
            });
          }
        } else if (kind === 'text') {
          const initial = asString(start?.text) ?? '';
          if (initial !== '') {
            text += initial;
            if (onDelta !== undefined) {
              context.markEmitted();
              onDelta({ type: 'text', text: initial });
            }
          }
        }
        break;
      }
      case 'content_block_delta': {
        const block = blocks.get(asNumber(payload.index) ?? -1);
        const delta = asObject(payload.delta);
        if (block === undefined || delta === undefined) break;
        if (delta.type === 'text_delta' && block.kind === 'text') {
          const piece = asString(delta.text) ?? '';
          text += piece;
          if (onDelta !== undefined && piece !== '') {
            context.markEmitted();
            onDelta({ type: 'text', text: piece });
          }
        } else if (delta.type === 'input_json_delta' && block.kind === 'tool_use') {
          const piece = asString(delta.partial_json) ?? '';
          block.json += piece;
          if (onDelta !== undefined && piece !== '') {
            context.markEmitted();
            onDelta({ type: 'tool-call', index: block.call, argumentsDelta: piece });
          }
        }
        break;
      }
      case 'message_delta':
        stop = asObject(payload.delta)?.stop_reason ?? stop;
        mergeUsage(parts, payload.usage);
        break;
      case 'message_stop':
        done = true;
        break;
      case 'error':
        providerFailure(payload, context.requestId);
        break;
      default:
        // ping, content_block_stop and event types added later carry nothing we need.
        break;
    }
  });
  if (!started || !done) throw malformedResponse('anthropic stream ended before message_stop');
  const toolCalls: ToolCall[] = calls.map((block) => ({
    id: block.id,
    name: block.name,
    // Deltas, when any came, are the whole input; the start block's `input` is then `{}`.
    arguments: block.json === '' ? (block.input ?? {}) : parseToolArguments(block.json),
  }));
  return { text, toolCalls, usage: usageOf(parts, options), stopReason: stopOf(stop) };
}
