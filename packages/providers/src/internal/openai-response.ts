// Reading Chat Completions answers: whole `chat.completion` objects and chunk streams, with the
// quirks of the compatible servers people run (Ollama, vLLM, DeepSeek, Qwen, Mistral, Gemini).
import type {
  ModelRequest,
  ModelResponse,
  ModelUsage,
  ProviderData,
  StopReason,
  ToolCall,
} from '@troupe/core';
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

const FINISH: Readonly<Record<string, StopReason>> = {
  stop: 'end',
  length: 'max_tokens',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
};

/** Message fields that must go back on the assistant message next turn. */
const MESSAGE_ROUND_TRIP = ['reasoning_content', 'reasoning_details', 'extra_content'] as const;
/** Tool-call fields we read ourselves; anything else on a call round-trips opaquely. */
const CALL_FIELDS = new Set(['id', 'type', 'function', 'index']);

/** Makes ids for calls that came without one (unique within a model instance). */
export interface CallIds {
  next(): string;
}

function usageOf(value: unknown): ModelUsage {
  const usage = asObject(value);
  const cached =
    asNumber(asObject(usage?.prompt_tokens_details)?.cached_tokens) ??
    asNumber(usage?.prompt_cache_hit_tokens);
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

/** A call id as sent: strings as they are, numbers (some servers) as text, `""` as none. */
function idOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Arguments as text: JSON strings as they are, objects (some servers) serialised. */
function argumentsText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return '';
}

function extraFields(call: Json): Json | undefined {
  let extra: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(call)) {
    if (CALL_FIELDS.has(key) || value === null || value === undefined) continue;
    extra ??= {};
    extra[key] = value;
  }
  return extra;
}

function throwIfError(payload: Json, requestId: string | undefined): void {
  const error = asObject(payload.error);
  if (error === undefined) return;
  const code = error.code;
  const status =
    typeof code === 'number' ? code : /^\d{3}$/.test(String(code)) ? Number(code) : undefined;
  throw failureFromProviderError(
    asString(error.code) ?? asString(error.type),
    `openai stream error: ${asString(error.message) ?? 'unknown error'}`,
    requestId === undefined ? {} : { requestId },
    status,
  );
}

/**
 * Text and reasoning out of `content`: a string, or (Mistral's Magistral) an array of parts,
 * `text` ones and `thinking` ones whose `thinking` is text or a list of text parts.
 */
function contentOf(value: unknown): { text: string; reasoning: string } {
  if (typeof value === 'string') return { text: value, reasoning: '' };
  let text = '';
  let reasoning = '';
  for (const raw of asArray(value)) {
    const part = asObject(raw);
    if (part?.type === 'text') text += asString(part.text) ?? '';
    else if (part?.type === 'thinking') {
      const thinking = part.thinking;
      if (typeof thinking === 'string') reasoning += thinking;
      else
        for (const piece of asArray(thinking)) reasoning += asString(asObject(piece)?.text) ?? '';
    }
  }
  return { text, reasoning };
}

/** Reasoning text a message or delta carries beside its content (DeepSeek, vLLM, OpenRouter). */
function reasoningOf(message: Json): string {
  return asString(message.reasoning_content) ?? asString(message.reasoning) ?? '';
}

function withExtras(
  response: { text: string; toolCalls: ToolCall[]; usage: ModelUsage; stopReason: StopReason },
  reasoning: string,
  roundTrip: Record<string, unknown> | undefined,
): ModelResponse {
  const out: {
    -readonly [K in keyof ModelResponse]: ModelResponse[K];
  } = response;
  if (reasoning !== '') out.reasoning = reasoning;
  if (roundTrip !== undefined) out.providerData = { openai: roundTrip } satisfies ProviderData;
  return out;
}

export async function readWhole(
  body: Body,
  context: ReadContext,
  options: ResolvedOptions,
  ids: CallIds,
): Promise<ModelResponse> {
  const payload = asObject(parseJson(await body.text(), 'openai', context.requestId));
  if (payload === undefined) throw malformedResponse('openai answered with a non-object body');
  throwIfError(payload, context.requestId);
  const choice = asObject(asArray(payload.choices)[0]);
  const message = asObject(choice?.message);
  if (message === undefined) throw malformedResponse('openai answer has no choices[0].message');
  const seen = new Set<string>();
  const toolCalls: ToolCall[] = asArray(message.tool_calls).map((raw) => {
    const call = asObject(raw) ?? {};
    const fn = asObject(call.function);
    let id = idOf(call.id);
    // Two calls of one answer never share an id (a server that sends "" for both would).
    if (id === undefined || seen.has(id)) id = ids.next();
    seen.add(id);
    const extra = extraFields(call);
    return {
      id,
      name: asString(fn?.name) ?? '',
      arguments: parseToolArguments(argumentsText(fn?.arguments)),
      ...(extra === undefined ? {} : { providerData: { openai: extra } }),
    };
  });
  const { text, reasoning: inline } = contentOf(message.content);
  let roundTrip: Record<string, unknown> | undefined;
  for (const key of MESSAGE_ROUND_TRIP) {
    if (message[key] === undefined || message[key] === null) continue;
    // DeepSeek wants its reasoning back only on a turn that called tools.
    if (key === 'reasoning_content' && toolCalls.length === 0) continue;
    roundTrip ??= {};
    roundTrip[key] = message[key];
  }
  return withExtras(
    {
      text,
      toolCalls,
      usage: priced(usageOf(payload.usage), options.pricing),
      stopReason: stopOf(choice?.finish_reason),
    },
    reasoningOf(message) + inline,
    roundTrip,
  );
}

interface PartialCall {
  /** Position among this answer's calls (what deltas report as `index`). */
  readonly position: number;
  id: string;
  name: string;
  args: string;
  extra: Record<string, unknown> | undefined;
}

export async function readStream(
  body: Body,
  context: ReadContext,
  request: ModelRequest,
  options: ResolvedOptions,
  ids: CallIds,
): Promise<ModelResponse> {
  const answer = new StreamedCompletion(context, request.onDelta);
  await readSse(body, 'openai', (event) => answer.event(event.data));
  return answer.response(options, ids);
}

/** One streamed chat completion, assembled chunk by chunk. */
class StreamedCompletion {
  readonly #context: ReadContext;
  readonly #out: StreamedText;
  /** The server sent `reasoning_content` (DeepSeek), which must go back next turn. */
  #reasoningContent = false;
  readonly #calls: PartialCall[] = [];
  // The call each wire `index` currently stands for. Servers disagree on indices: Ollama sends
  // every parallel call at index 0 (with distinct ids), Anthropic's compatible endpoint starts
  // at 1, some omit it. Positions in `calls` are ours.
  readonly #byIndex = new Map<number, PartialCall>();
  #usage: ModelUsage = { inputTokens: 0, outputTokens: 0 };
  #finish: unknown;
  #done = false;

  constructor(context: ReadContext, onDelta: ModelRequest['onDelta']) {
    this.#context = context;
    this.#out = new StreamedText(context, onDelta);
  }

  /** Handles one SSE event's data; `true` ends the stream. */
  event(data: string): true | undefined {
    if (data === '[DONE]') {
      this.#done = true;
      return true;
    }
    const payload = asObject(parseJson(data, 'openai', this.#context.requestId));
    if (payload === undefined) throw malformedResponse('openai stream sent a non-object chunk');
    throwIfError(payload, this.#context.requestId);
    if (payload.usage !== undefined && payload.usage !== null) this.#usage = usageOf(payload.usage);
    const choice = asObject(asArray(payload.choices)[0]);
    if (choice === undefined) return undefined;
    if (choice.finish_reason !== undefined && choice.finish_reason !== null)
      this.#finish = choice.finish_reason;
    const delta = asObject(choice.delta);
    if (delta === undefined) return undefined;
    const content = contentOf(delta.content);
    this.#out.addReasoning(content.reasoning);
    if (typeof delta.reasoning_content === 'string') this.#reasoningContent = true;
    this.#out.addReasoning(reasoningOf(delta));
    this.#out.addText(content.text);
    for (const raw of asArray(delta.tool_calls)) {
      const part = asObject(raw);
      if (part !== undefined) this.#callPart(part);
    }
    return undefined;
  }

  response(options: ResolvedOptions, ids: CallIds): ModelResponse {
    // Some servers omit `[DONE]`; a finish reason is enough to know the answer is whole.
    if (!this.#done && this.#finish === undefined)
      throw malformedResponse('openai stream ended before the answer finished');
    const seen = new Set<string>();
    const toolCalls: ToolCall[] = this.#calls.map((call) => {
      let id = call.id;
      if (id === '' || seen.has(id)) id = ids.next();
      seen.add(id);
      return {
        id,
        name: call.name,
        arguments: parseToolArguments(call.args),
        ...(call.extra === undefined ? {} : { providerData: { openai: call.extra } }),
      };
    });
    const roundTrip =
      this.#reasoningContent && toolCalls.length > 0
        ? { reasoning_content: this.#out.reasoning }
        : undefined;
    return withExtras(
      {
        text: this.#out.text,
        toolCalls,
        usage: priced(this.#usage, options.pricing),
        stopReason: stopOf(this.#finish),
      },
      this.#out.reasoning,
      roundTrip,
    );
  }

  /** One fragment of a tool call from a delta's `tool_calls`. */
  #callPart(part: Json): void {
    const id = idOf(part.id);
    const slot = this.#slotFor(part, id);
    const fn = asObject(part.function);
    const name = asString(fn?.name);
    const args = argumentsText(fn?.arguments);
    // An empty id never overwrites a real one (Qwen repeats `"id": ""` on continuations).
    if (id !== undefined) slot.id = id;
    if (name !== undefined && name !== '') slot.name = name;
    slot.args += args;
    const extra = extraFields(part);
    if (extra !== undefined) slot.extra = { ...slot.extra, ...extra };
    this.#out.emit({
      type: 'tool-call',
      index: slot.position,
      ...(id === undefined ? {} : { id }),
      ...(name === undefined ? {} : { name }),
      argumentsDelta: args,
    });
  }

  #slotFor(part: Json, id: string | undefined): PartialCall {
    const index = asNumber(part.index);
    let slot = index === undefined ? this.#calls.at(-1) : this.#byIndex.get(index);
    // A new id where a call with another id stands starts a new call (Ollama's index 0); with
    // no index, a new id starts one and a fragment without an id continues the last call.
    if (slot !== undefined && id !== undefined && slot.id !== '' && slot.id !== id)
      slot = undefined;
    if (slot === undefined) {
      slot = { position: this.#calls.length, id: '', name: '', args: '', extra: undefined };
      this.#calls.push(slot);
      if (index !== undefined) this.#byIndex.set(index, slot);
    }
    return slot;
  }
}
