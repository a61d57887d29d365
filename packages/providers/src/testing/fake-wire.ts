import type { StopReason } from '@troupe/core';
import type { FakeQuirk } from './fake-quirks.js';

/**
 * A tool call the fake model makes. `id` defaults to a generated one.
 *
 * @example
 * ```ts
 * const call: FakeToolCall = { name: 'search', arguments: { q: 'troupe' } };
 * ```
 */
export interface FakeToolCall {
  readonly id?: string;
  readonly name: string;
  readonly arguments: unknown;
}

/**
 * Usage the fake model reports; `inputTokens` counts cached input too, as `ModelUsage` does.
 *
 * @example
 * ```ts
 * const usage: FakeUsage = { inputTokens: 1000, outputTokens: 20, cacheReadTokens: 800 };
 * ```
 */
export interface FakeUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens?: number;
  readonly cacheWriteTokens?: number;
}

/** A normalised reply, ready to be framed for either protocol. */
export interface WireReply {
  readonly id: string;
  readonly model: string;
  readonly text: string;
  readonly toolCalls: readonly {
    readonly id: string;
    readonly name: string;
    readonly arguments: unknown;
  }[];
  readonly usage: FakeUsage;
  readonly stopReason: StopReason;
  readonly chunkSize: number;
  readonly includeUsage: boolean;
  /** Reasoning (thinking) text the answer carries. */
  readonly reasoning: string;
  readonly quirks: ReadonlySet<FakeQuirk>;
}

export const OPENAI_FINISH: Record<StopReason, string> = {
  end: 'stop',
  tool_calls: 'tool_calls',
  max_tokens: 'length',
  content_filter: 'content_filter',
  other: 'stop',
};

const ANTHROPIC_STOP: Record<StopReason, string> = {
  end: 'end_turn',
  tool_calls: 'tool_use',
  max_tokens: 'max_tokens',
  content_filter: 'refusal',
  other: 'pause_turn',
};

export function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

export function openaiUsage(usage: FakeUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cacheReadTokens ?? 0 },
  };
}

function anthropicUsage(usage: FakeUsage): Record<string, unknown> {
  const read = usage.cacheReadTokens ?? 0;
  const write = usage.cacheWriteTokens ?? 0;
  return {
    input_tokens: Math.max(0, usage.inputTokens - read - write),
    cache_creation_input_tokens: write,
    cache_read_input_tokens: read,
    output_tokens: usage.outputTokens,
  };
}

/** A whole Messages API `message` object. */
export function anthropicBody(reply: WireReply): string {
  const content: Record<string, unknown>[] = [];
  if (reply.reasoning !== '')
    content.push({ type: 'thinking', thinking: reply.reasoning, signature: THINKING_SIGNATURE });
  if (reply.text !== '') content.push({ type: 'text', text: reply.text });
  for (const call of reply.toolCalls)
    content.push({ type: 'tool_use', id: call.id, name: call.name, input: call.arguments });
  return JSON.stringify({
    id: reply.id,
    type: 'message',
    role: 'assistant',
    model: reply.model,
    content,
    stop_reason: ANTHROPIC_STOP[reply.stopReason],
    stop_sequence: null,
    usage: anthropicUsage(reply.usage),
  });
}

/** The signature the fake puts on thinking blocks (and wants back with them). */
export const THINKING_SIGNATURE = 'fake-signature-EqQBCgIYAhIM';

function event(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** Messages API SSE events, message_start to message_stop, with a ping after the start. */
export function anthropicFrames(reply: WireReply): string[] {
  const usage = anthropicUsage(reply.usage);
  // Some proxies put the answer's text in message_start itself.
  const inStart = reply.quirks.has('anthropic-start-content') && reply.text !== '';
  const start = event('message_start', {
    message: {
      id: reply.id,
      type: 'message',
      role: 'assistant',
      model: reply.model,
      content: inStart ? [{ type: 'text', text: reply.text }] : [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });
  const frames = [start, event('ping', {})];
  if (reply.quirks.has('anthropic-double-start')) frames.push(start);
  let index = inStart ? 1 : 0;
  if (reply.reasoning !== '') {
    frames.push(
      event('content_block_start', { index, content_block: { type: 'thinking', thinking: '' } }),
    );
    for (const piece of pieces(reply.reasoning, reply.chunkSize)) {
      frames.push(
        event('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } }),
      );
    }
    frames.push(
      event('content_block_delta', {
        index,
        delta: { type: 'signature_delta', signature: THINKING_SIGNATURE },
      }),
    );
    frames.push(event('content_block_stop', { index }));
    index++;
  }
  if (reply.text !== '' && !inStart) {
    frames.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
    for (const piece of pieces(reply.text, reply.chunkSize)) {
      frames.push(
        event('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }),
      );
    }
    frames.push(event('content_block_stop', { index }));
    index++;
  }
  for (const call of reply.toolCalls) {
    frames.push(
      event('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
      }),
    );
    for (const piece of pieces(JSON.stringify(call.arguments), reply.chunkSize)) {
      frames.push(
        event('content_block_delta', {
          index,
          delta: { type: 'input_json_delta', partial_json: piece },
        }),
      );
    }
    frames.push(event('content_block_stop', { index }));
    index++;
  }
  frames.push(
    event('message_delta', {
      delta: { stop_reason: ANTHROPIC_STOP[reply.stopReason], stop_sequence: null },
      usage: { output_tokens: reply.usage.outputTokens },
    }),
  );
  frames.push(event('message_stop', {}));
  return frames;
}

/** An error body in the protocol's own shape. */
export function errorBody(protocol: 'openai' | 'anthropic', type: string, message: string): string {
  return protocol === 'openai'
    ? JSON.stringify({ error: { message, type, param: null, code: null } })
    : JSON.stringify({ type: 'error', error: { type, message } });
}

/** An error event in the middle of a stream. */
export function errorFrame(
  protocol: 'openai' | 'anthropic',
  type: string,
  message: string,
): string {
  return protocol === 'openai'
    ? `data: ${JSON.stringify({ error: { message, type, param: null, code: null } })}\n\n`
    : event('error', { error: { type, message } });
}

/** The error `type` each protocol uses for an HTTP status. */
export function errorType(protocol: 'openai' | 'anthropic', status: number): string {
  if (protocol === 'anthropic') {
    if (status === 401) return 'authentication_error';
    if (status === 403) return 'permission_error';
    if (status === 404) return 'not_found_error';
    if (status === 429) return 'rate_limit_error';
    if (status === 529) return 'overloaded_error';
    return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
  if (status === 401) return 'invalid_api_key';
  if (status === 429) return 'rate_limit_exceeded';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}
