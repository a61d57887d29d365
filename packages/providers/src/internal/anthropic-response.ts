// Reading Messages API answers: whole `message` objects and SSE event streams.
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
import type { Body } from './response-body.js';
import { StreamedText } from './streamed-text.js';
import type { ReadContext } from './transport.js';

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

/** Reasoning text and the blocks to send back (thinking blocks are signed: kept whole). */
interface Thinking {
  text: string;
  blocks: Json[];
}

function withThinking(
  response: { text: string; toolCalls: ToolCall[]; usage: ModelUsage; stopReason: StopReason },
  thinking: Thinking,
): ModelResponse {
  const out: { -readonly [K in keyof ModelResponse]: ModelResponse[K] } = response;
  if (thinking.text !== '') out.reasoning = thinking.text;
  if (thinking.blocks.length > 0) out.providerData = { anthropic: { thinking: thinking.blocks } };
  return out;
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
  const thinking: Thinking = { text: '', blocks: [] };
  for (const raw of payload.content) {
    const block = asObject(raw);
    if (block?.type === 'text') text += asString(block.text) ?? '';
    else if (block?.type === 'tool_use') {
      toolCalls.push({
        id: asString(block.id) ?? '',
        name: asString(block.name) ?? '',
        arguments: block.input ?? {},
      });
    } else if (block?.type === 'thinking' || block?.type === 'redacted_thinking') {
      thinking.text += asString(block.thinking) ?? '';
      thinking.blocks.push(block);
    }
  }
  const parts: UsageParts = { input: 0, output: 0, cacheRead: undefined, cacheWrite: undefined };
  mergeUsage(parts, payload.usage);
  return withThinking(
    { text, toolCalls, usage: usageOf(parts, options), stopReason: stopOf(payload.stop_reason) },
    thinking,
  );
}

interface Block {
  readonly kind: 'text' | 'tool_use' | 'thinking' | 'other';
  /** A thinking block as it will be sent back (text and signature filled as they stream). */
  readonly raw: Record<string, unknown> | undefined;
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
  const answer = new StreamedMessage(context, request.onDelta);
  await readSse(body, 'anthropic', (event) => answer.event(event.data));
  return answer.response(options);
}

/** One streamed message, assembled event by event. */
class StreamedMessage {
  readonly #context: ReadContext;
  readonly #out: StreamedText;
  readonly #blocks = new Map<number, Block>();
  readonly #calls: Block[] = [];
  readonly #parts: UsageParts = {
    input: 0,
    output: 0,
    cacheRead: undefined,
    cacheWrite: undefined,
  };
  /** Thinking blocks as they will be sent back (the text is in `#out.reasoning`). */
  readonly #thinkingBlocks: Json[] = [];
  #stop: unknown;
  #started = false;
  #done = false;

  constructor(context: ReadContext, onDelta: ModelRequest['onDelta']) {
    this.#context = context;
    this.#out = new StreamedText(context, onDelta);
  }

  /** Handles one SSE event's data; `true` ends the stream. */
  event(data: string): true | undefined {
    const payload = asObject(parseJson(data, 'anthropic', this.#context.requestId));
    if (payload === undefined) throw malformedResponse('anthropic stream sent a non-object event');
    switch (payload.type) {
      case 'message_start':
        this.#messageStart(payload);
        break;
      case 'content_block_start':
        this.#openBlock(
          asNumber(payload.index) ?? this.#blocks.size,
          asObject(payload.content_block),
        );
        break;
      case 'content_block_delta':
        this.#blockDelta(payload);
        break;
      case 'message_delta':
        this.#stop = asObject(payload.delta)?.stop_reason ?? this.#stop;
        mergeUsage(this.#parts, payload.usage);
        break;
      case 'message_stop':
        if (!this.#started)
          throw malformedResponse('anthropic stream stopped a message it never started');
        this.#done = true;
        return true;
      case 'error':
        providerFailure(payload, this.#context.requestId);
        break;
      default:
        // ping, content_block_stop and event types added later carry nothing we need.
        break;
    }
    return undefined;
  }

  response(options: ResolvedOptions): ModelResponse {
    if (!this.#started || !this.#done)
      throw malformedResponse('anthropic stream ended before message_stop');
    const toolCalls: ToolCall[] = this.#calls.map((block) => ({
      id: block.id,
      name: block.name,
      // Deltas, when any came, are the whole input; the start block's `input` is then `{}`.
      arguments: block.json === '' ? (block.input ?? {}) : parseToolArguments(block.json),
    }));
    return withThinking(
      {
        text: this.#out.text,
        toolCalls,
        usage: usageOf(this.#parts, options),
        stopReason: stopOf(this.#stop),
      },
      { text: this.#out.reasoning, blocks: this.#thinkingBlocks },
    );
  }

  #messageStart(payload: Json): void {
    // One message per response: a second start before the first ends is a broken stream.
    if (this.#started) throw malformedResponse('anthropic stream started a second message');
    this.#started = true;
    const message = asObject(payload.message);
    mergeUsage(this.#parts, message?.usage);
    // A start that already carries content (some proxies) is read like streamed blocks.
    for (const [index, raw] of asArray(message?.content).entries()) {
      const block = asObject(raw);
      this.#openBlock(index, block);
      const opened = this.#blocks.get(index);
      if (opened?.kind === 'tool_use' && block?.input !== undefined) {
        opened.json = JSON.stringify(block.input);
      }
    }
  }

  #blockDelta(payload: Json): void {
    const block = this.#blocks.get(asNumber(payload.index) ?? -1);
    const delta = asObject(payload.delta);
    if (block === undefined || delta === undefined) return;
    if (delta.type === 'text_delta' && block.kind === 'text') {
      this.#out.addText(asString(delta.text) ?? '');
    } else if (delta.type === 'input_json_delta' && block.kind === 'tool_use') {
      const piece = asString(delta.partial_json) ?? '';
      block.json += piece;
      if (piece !== '')
        this.#out.emit({ type: 'tool-call', index: block.call, argumentsDelta: piece });
    } else if (delta.type === 'thinking_delta' && block.kind === 'thinking') {
      this.#emitThinking(block, asString(delta.thinking) ?? '');
    } else if (delta.type === 'signature_delta' && block.raw !== undefined) {
      block.raw.signature = `${asString(block.raw.signature) ?? ''}${asString(delta.signature) ?? ''}`;
    }
  }

  #openBlock(index: number, start: Json | undefined): void {
    const type = start?.type;
    const kind = blockKind(type);
    const block: Block = {
      kind,
      raw: kind === 'thinking' ? { ...start, thinking: '' } : undefined,
      call: kind === 'tool_use' ? this.#calls.length : -1,
      id: asString(start?.id) ?? '',
      name: asString(start?.name) ?? '',
      input: start?.input,
      json: '',
    };
    this.#blocks.set(index, block);
    if (kind === 'tool_use') {
      this.#calls.push(block);
      this.#out.emit({
        type: 'tool-call',
        index: block.call,
        id: block.id,
        name: block.name,
        argumentsDelta: '',
      });
    } else if (kind === 'text') {
      this.#out.addText(asString(start?.text) ?? '');
    } else if (kind === 'thinking' && block.raw !== undefined) {
      if (type === 'redacted_thinking') block.raw.thinking = undefined;
      this.#thinkingBlocks.push(block.raw);
      this.#emitThinking(block, asString(start?.thinking) ?? '');
    }
  }

  #emitThinking(block: Block, piece: string): void {
    if (piece === '' || block.raw === undefined) return;
    block.raw.thinking = `${asString(block.raw.thinking) ?? ''}${piece}`;
    this.#out.addReasoning(piece);
  }
}

function blockKind(type: unknown): Block['kind'] {
  if (type === 'text') return 'text';
  if (type === 'tool_use') return 'tool_use';
  if (type === 'thinking' || type === 'redacted_thinking') return 'thinking';
  return 'other';
}
