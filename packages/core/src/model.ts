import type { RateLimitFeedback } from './backends.js';

/**
 * The model boundary. `@troupe/providers` implements {@link Model} over HTTP; the scripted
 * model in `@troupe/core/testing` implements it for tests and simulation. Messages are
 * provider-neutral; each provider maps them to its own wire format.
 */

/** A tool call the model asked for. `arguments` is the parsed JSON object it sent. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: unknown;
}

export type ChatMessage =
  | { readonly role: 'user'; readonly content: string }
  | {
      readonly role: 'assistant';
      readonly content: string;
      readonly toolCalls?: readonly ToolCall[];
    }
  | {
      readonly role: 'tool';
      readonly toolCallId: string;
      readonly name: string;
      readonly content: string;
      readonly isError?: boolean;
    };

/** A JSON Schema object, as produced by zod's `toJSONSchema`. */
export type JsonSchema = { readonly [key: string]: unknown };

/** A tool as the model sees it. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: JsonSchema;
}

/** Incremental output while a response streams. */
export type ModelDelta =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'tool-call';
      /** Position of the call in this response. */
      readonly index: number;
      readonly id?: string;
      readonly name?: string;
      /** A fragment of the arguments' JSON text. */
      readonly argumentsDelta: string;
    };

export interface ModelRequest {
  /** The agent's instructions (a system prompt). */
  readonly system?: string;
  readonly messages: readonly ChatMessage[];
  readonly tools: readonly ToolSpec[];
  readonly maxOutputTokens?: number;
  readonly temperature?: number;
  /** Interrupt or cancel: the call must settle promptly with `ERR_ABORTED`. */
  readonly signal?: AbortSignal;
  /** Streaming: called with each delta as it arrives. Absent means no streaming needed. */
  readonly onDelta?: (delta: ModelDelta) => void;
  /** Called whenever the provider reports its rate-limit state (headers, 429s). */
  readonly onRateLimit?: (feedback: RateLimitFeedback) => void;
}

export interface ModelUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens?: number;
  readonly cacheWriteTokens?: number;
  /** Cost of this call, when the provider or model config knows prices. */
  readonly costUsd?: number;
}

export type StopReason = 'end' | 'tool_calls' | 'max_tokens' | 'content_filter' | 'other';

export interface ModelResponse {
  /** The text of the answer (may be empty when the model only calls tools). */
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  readonly usage: ModelUsage;
  readonly stopReason: StopReason;
}

/**
 * A language model. Implementations throw `TroupeError` (`ERR_ABORTED`, `ERR_TIMEOUT`,
 * `ERR_PROVIDER_*`) and never leave a call pending after its signal aborts.
 *
 * @example
 * ```ts
 * const echo: Model = {
 *   id: 'echo',
 *   async generate(request) {
 *     const last = request.messages.at(-1);
 *     return {
 *       text: last?.role === 'user' ? last.content : '',
 *       toolCalls: [],
 *       usage: { inputTokens: 1, outputTokens: 1 },
 *       stopReason: 'end',
 *     };
 *   },
 * };
 * ```
 */
export interface Model {
  /** e.g. `openai:gpt-4o-mini`, `anthropic:claude-sonnet-4`, `scripted`. */
  readonly id: string;
  /**
   * Which JSON Schema flavour the provider wants for tools (a cache key for converted
   * schemas). Default `'json-schema'`.
   */
  readonly toolFormat?: string;
  /** Rough token estimate used for limiter leases before the call. */
  estimateTokens?(request: ModelRequest): number;
  generate(request: ModelRequest): Promise<ModelResponse>;
}
