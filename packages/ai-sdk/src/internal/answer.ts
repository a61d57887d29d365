// AI SDK results (whole and streamed) to Troupe responses.
import type {
  LanguageModelV3Content,
  LanguageModelV3FinishReason,
  LanguageModelV3StreamPart,
  LanguageModelV3Usage,
  SharedV3ProviderMetadata,
} from '@ai-sdk/provider';
import type { ModelDelta, ModelResponse, ModelUsage, StopReason, ToolCall } from '@troupe/core';
import type { Pricing } from '@troupe/providers';
import { costOf } from '@troupe/providers';
import type { KeptData } from './prompt.js';
import { AI_SDK } from './prompt.js';

const STOP: Readonly<Record<string, StopReason>> = {
  stop: 'end',
  length: 'max_tokens',
  'content-filter': 'content_filter',
  'tool-calls': 'tool_calls',
};

function stopOf(reason: LanguageModelV3FinishReason | string | undefined): StopReason {
  const unified = typeof reason === 'string' ? reason : reason?.unified;
  return (unified !== undefined && STOP[unified]) || 'other';
}

export function usageOf(
  usage: LanguageModelV3Usage | undefined,
  pricing: Pricing | undefined,
): ModelUsage {
  const out: {
    inputTokens: number;
    outputTokens: number;
    cacheReadTokens?: number;
    cacheWriteTokens?: number;
    costUsd?: number;
  } = {
    inputTokens: usage?.inputTokens.total ?? 0,
    outputTokens: usage?.outputTokens.total ?? 0,
  };
  const read = usage?.inputTokens.cacheRead;
  const write = usage?.inputTokens.cacheWrite;
  if (read !== undefined) out.cacheReadTokens = read;
  if (write !== undefined) out.cacheWriteTokens = write;
  if (pricing !== undefined) out.costUsd = costOf(out, pricing);
  return out;
}

/** Tool input as the AI SDK gives it (JSON text), parsed; raw text when it is not JSON. */
function parseInput(input: string): unknown {
  if (input.trim() === '') return {};
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}

function callOf(
  id: string,
  name: string,
  input: string,
  metadata: SharedV3ProviderMetadata | undefined,
): ToolCall {
  return {
    id,
    name,
    arguments: parseInput(input),
    ...(metadata === undefined ? {} : { providerData: { [AI_SDK]: metadata } }),
  };
}

/** Collects an answer's pieces, whole or streamed, into a {@link ModelResponse}. */
export class Answer {
  text = '';
  readonly toolCalls: ToolCall[] = [];
  readonly #reasoning: { text: string; providerOptions?: SharedV3ProviderMetadata }[] = [];
  usage: ModelUsage = { inputTokens: 0, outputTokens: 0 };
  stop: StopReason = 'other';

  addContent(part: LanguageModelV3Content): void {
    if (part.type === 'text') this.text += part.text;
    else if (part.type === 'reasoning') this.addReasoning(part.text, part.providerMetadata);
    else if (part.type === 'tool-call' && part.providerExecuted !== true)
      this.toolCalls.push(
        callOf(part.toolCallId, part.toolName, part.input, part.providerMetadata),
      );
  }

  addReasoning(text: string, metadata: SharedV3ProviderMetadata | undefined): void {
    this.#reasoning.push(metadata === undefined ? { text } : { text, providerOptions: metadata });
  }

  finish(
    usage: LanguageModelV3Usage | undefined,
    reason: LanguageModelV3FinishReason | undefined,
    pricing: Pricing | undefined,
  ): void {
    this.usage = usageOf(usage, pricing);
    this.stop = stopOf(reason);
  }

  response(): ModelResponse {
    const out: { -readonly [K in keyof ModelResponse]: ModelResponse[K] } = {
      text: this.text,
      toolCalls: this.toolCalls,
      usage: this.usage,
      stopReason: this.stop,
    };
    const reasoning = this.#reasoning.map((part) => part.text).join('');
    if (reasoning !== '') out.reasoning = reasoning;
    if (this.#reasoning.some((part) => part.providerOptions !== undefined)) {
      const kept: KeptData = { reasoning: this.#reasoning };
      out.providerData = { [AI_SDK]: kept };
    }
    return out;
  }
}

/**
 * Reads an AI SDK stream into `answer`, passing deltas on. Returns the stream's error part, if
 * one came (the caller maps it), else `undefined`.
 */
export async function readStream(
  stream: ReadableStream<LanguageModelV3StreamPart>,
  answer: Answer,
  pricing: Pricing | undefined,
  onDelta: ((delta: ModelDelta) => void) | undefined,
  emitted: () => void,
): Promise<{ error: unknown } | undefined> {
  const positions = new Map<string, number>();
  const reasoning = new Map<
    string,
    { text: string; metadata: SharedV3ProviderMetadata | undefined }
  >();
  const emit = (delta: ModelDelta): void => {
    if (onDelta === undefined) return;
    emitted();
    onDelta(delta);
  };
  const position = (id: string): number => {
    let at = positions.get(id);
    if (at === undefined) {
      at = positions.size;
      positions.set(id, at);
    }
    return at;
  };
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value: part } = await reader.read();
      if (done) return undefined;
      switch (part.type) {
        case 'text-delta':
          if (part.delta !== '') {
            answer.text += part.delta;
            emit({ type: 'text', text: part.delta });
          }
          break;
        case 'reasoning-start':
          reasoning.set(part.id, { text: '', metadata: part.providerMetadata });
          break;
        case 'reasoning-delta': {
          const open = reasoning.get(part.id) ?? { text: '', metadata: undefined };
          open.text += part.delta;
          if (part.providerMetadata !== undefined) open.metadata = part.providerMetadata;
          reasoning.set(part.id, open);
          if (part.delta !== '') emit({ type: 'reasoning', text: part.delta });
          break;
        }
        case 'reasoning-end': {
          const open = reasoning.get(part.id);
          reasoning.delete(part.id);
          if (open !== undefined)
            answer.addReasoning(open.text, part.providerMetadata ?? open.metadata);
          break;
        }
        case 'tool-input-start':
          if (part.providerExecuted !== true)
            emit({
              type: 'tool-call',
              index: position(part.id),
              id: part.id,
              name: part.toolName,
              argumentsDelta: '',
            });
          break;
        case 'tool-input-delta':
          if (positions.has(part.id) && part.delta !== '')
            emit({ type: 'tool-call', index: position(part.id), argumentsDelta: part.delta });
          break;
        case 'tool-call':
          if (part.providerExecuted === true) break;
          if (!positions.has(part.toolCallId)) {
            // A call that came whole, without input deltas.
            emit({
              type: 'tool-call',
              index: position(part.toolCallId),
              id: part.toolCallId,
              name: part.toolName,
              argumentsDelta: part.input,
            });
          }
          answer.addContent(part);
          break;
        case 'finish':
          answer.finish(part.usage, part.finishReason, pricing);
          break;
        case 'error':
          await reader.cancel().catch(() => {});
          return { error: part.error };
        default:
          break;
      }
    }
  } finally {
    for (const open of reasoning.values()) answer.addReasoning(open.text, open.metadata);
    reader.releaseLock();
  }
}
