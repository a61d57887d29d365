// Reading Chat Completions answers: whole `chat.completion` objects and chunk streams.
import type { ModelRequest, ModelResponse, ModelUsage, StopReason, ToolCall } from '@troupe/core';
import type { ResolvedOptions } from '../options.js';
import type { Json } from './common.js';
import {
  asArray,
  asNumber,
  asObject,
  asString,
  parseJson,
  parseToolArguments,
  priced,
  readSse,
} from './common.js';
import { failureFromProviderError, malformedResponse } from './failure.js';
import type { Body, ReadContext } from './transport.js';

const FINISH: Readonly<Record<string, StopReason>> = {
  stop: 'end',
  length: 'max_tokens',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
};

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

export async function readWhole(
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
      // Some compatible servers send the arguments as an object rather than JSON text.
      arguments:
        typeof fn?.arguments === 'string'
          ? parseToolArguments(fn.arguments)
          : (fn?.arguments ?? {}),
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

export async function readStream(
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
      // Fragments of one call share its `index`; id and name come with the first one. Servers
      // that omit `index` (some Ollama versions) start a call with an id and continue it without.
      const id = asString(part.id);
      const index =
        asNumber(part.index) ??
        (id === undefined && calls.length > 0 ? calls.length - 1 : calls.length);
      let slot = calls[index];
      if (slot === undefined) {
        slot = { id: '', name: '', args: '' };
        calls[index] = slot;
      }
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
