// Reading Messages API answers: whole `message` objects and SSE event streams.
import type { ModelRequest, ModelResponse, ModelUsage, StopReason, ToolCall } from '@troupe/core';
import type { ResolvedOptions } from '../options.js';
import type { Json } from './common.js';
import {
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

const STOP: Readonly<Record<string, StopReason>> = {
  end_turn: 'end',
  stop_sequence: 'end',
  tool_use: 'tool_calls',
  max_tokens: 'max_tokens',
  refusal: 'content_filter',
};

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

export async function readWhole(
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

export async function readStream(
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
