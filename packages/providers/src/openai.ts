import type {
  ChatMessage,
  Model,
  ModelRequest,
  ModelResponse,
  ModelUsage,
  StopReason,
  ToolCall,
} from '@troupe/core';
import { invalidArgument } from '@troupe/core';
import type { Json } from './internal/common.js';
import {
  asArray,
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

const FINISH: Readonly<Record<string, StopReason>> = {
  stop: 'end',
  length: 'max_tokens',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
};

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

function usageOf(value: unknown): ModelUsage {
  const usage = asObject(value);
  const cached = asNumber(asObject(usage?.prompt_tokens_details)?.cached_tokens);
  const out: { inputTokens: number; outputTokens: number; cacheReadTokens?: number } = {
    inputTokens: asNumber(usage?.prompt_tokens) ?? 0,
    outputTokens: asNumber(usage?.completion_tokens) ?? 0,
  };
  if (cached !== undefined) out.cacheReadTokens = cached;
  return out;
}

function stopOf(reason: unknown): StopReason {
  const text = asString(reason);
  return text === undefined ? 'other' : (FINISH[text] ?? 'other');
}

function throwIfError(payload: Json, requestId: string | undefined): void {
  const error = asObject(payload.error);
  if (error === undefined) return;
  throw failureFromProviderError(
    asString(error.type) ?? asString(error.code),
    `openai stream error: ${asString(error.message) ?? 'unknown error'}`,
    requestId === undefined ? {} : { requestId },
  );
}

async function readWhole(
  body: Body,
  context: ReadContext,
  options: ResolvedOptions,
): Promise<ModelResponse> {
  const payload = asObject(parseJson(await body.text(), 'openai', context.requestId));
  if (payload === undefined) throw malformedResponse('openai answered with a non-object body');
  throwIfError(payload, context.requestId);
  const choice = asObject(asArray(payload.choices)[0]);
  const message = asObject(choice?.message);
  if (message === undefined) throw malformedResponse('openai answer has no choices[0].message');
  const toolCalls: ToolCall[] = asArray(message.tool_calls).map((raw, index) => {
    const call = asObject(raw);
    const fn = asObject(call?.function);
    return {
      id: asString(call?.id) ?? `call_${index}`,
      name: asString(fn?.name) ?? '',
      arguments: parseToolArguments(asString(fn?.arguments) ?? ''),
    };
  });
  return {
    text: asString(message.content) ?? '',
    toolCalls,
    usage: priced(usageOf(payload.usage), options.pricing),
    stopReason: stopOf(choice?.finish_reason),
  };
}

interface PartialCall {
  id: string;
  name: string;
  args: string;
}

async function readStream(
  body: Body,
  context: ReadContext,
  request: ModelRequest,
  options: ResolvedOptions,
): Promise<ModelResponse> {
  const onDelta = request.onDelta;
  let text = '';
  const calls: PartialCall[] = [];
  let usage: ModelUsage = { inputTokens: 0, outputTokens: 0 };
  let finish: unknown;
  let done = false;
  await readSse(body, 'openai', (event) => {
    // Read on to the end after `[DONE]`: a body left unread would cost the socket its reuse.
    if (done) return;
    if (event.data === '[DONE]') {
      done = true;
      return;
    }
    const payload = asObject(parseJson(event.data, 'openai', context.requestId));
    if (payload === undefined) throw malformedResponse('openai stream sent a non-object chunk');
    throwIfError(payload, context.requestId);
    if (payload.usage !== undefined && payload.usage !== null) usage = usageOf(payload.usage);
    const choice = asObject(asArray(payload.choices)[0]);
    if (choice === undefined) return;
    if (choice.finish_reason !== undefined && choice.finish_reason !== null)
      finish = choice.finish_reason;
    const delta = asObject(choice.delta);
    if (delta === undefined) return;
    const content = asString(delta.content);
    if (content !== undefined && content !== '') {
      text += content;
      if (onDelta !== undefined) {
        context.markEmitted();
        onDelta({ type: 'text', text: content });
      }
    }
    for (const raw of asArray(delta.tool_calls)) {
      const part = asObject(raw);
      if (part === undefined) continue;
      // Fragments of one call share its `index`; id and name come with the first one.
      const index = asNumber(part.index) ?? calls.length;
      let slot = calls[index];
      if (slot === undefined) {
        slot = { id: '', name: '', args: '' };
        calls[index] = slot;
      }
      const id = asString(part.id);
      const fn = asObject(part.function);
      const name = asString(fn?.name);
      const args = asString(fn?.arguments) ?? '';
      if (id !== undefined) slot.id = id;
      if (name !== undefined && name !== '') slot.name = name;
      slot.args += args;
      if (onDelta !== undefined) {
        context.markEmitted();
        onDelta({
          type: 'tool-call',
          index,
          ...(id === undefined ? {} : { id }),
          ...(name === undefined ? {} : { name }),
          argumentsDelta: args,
        });
      }
    }
  });
  // Some servers omit `[DONE]`; a finish reason is enough to know the answer is whole.
  if (!done && finish === undefined)
    throw malformedResponse('openai stream ended before the answer finished');
  const toolCalls: ToolCall[] = [];
  calls.forEach((call, index) => {
    toolCalls.push({
      id: call.id || `call_${index}`,
      name: call.name,
      arguments: parseToolArguments(call.args),
    });
  });
  return { text, toolCalls, usage: priced(usage, options.pricing), stopReason: stopOf(finish) };
}
