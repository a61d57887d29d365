import type { RateLimitFeedback } from './backend/interfaces.js';

/**
 * The model boundary. `@troupe/providers` implements {@link Model} over HTTP; the scripted
 * model in `@troupe/core/testing` implements it for tests and simulation. Messages are
 * provider-neutral; each provider maps them to its own wire format.
 */

/**
 * A tool call the model asked for. `arguments` is the parsed JSON object it sent.
 */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: unknown;
  /**
   * Provider-specific fields of this call, kept opaque and sent back unchanged on the next
   * turn (Gemini's `extra_content.google.thought_signature`, say). Keyed by wire protocol
   * (`openai`, `anthropic`, `openai-responses`); a provider reads only its own key.
   */
  readonly providerData?: ProviderData;
}

/**
 * Opaque provider fields that must round-trip: keyed by wire protocol, each value JSON. Copy it
 * from a {@link ModelResponse} onto the assistant message you append to history.
 */
export type ProviderData = { readonly [protocol: string]: unknown };

/**
 * An image in a user message: base64 `data` or a `url` (exactly one).
 */
export interface ImagePart {
  readonly type: 'image';
  /** `image/png`, `image/jpeg`, `image/gif` or `image/webp`. */
  readonly mediaType: string;
  readonly data?: string;
  readonly url?: string;
}

/**
 * A document in a user message (a PDF or plain text): base64 `data` or a `url` (exactly one).
 */
export interface DocumentPart {
  readonly type: 'document';
  /** `application/pdf` or `text/plain`. */
  readonly mediaType: string;
  readonly data?: string;
  readonly url?: string;
  /** Shown to the model where the provider supports it. */
  readonly filename?: string;
}

/**
 * One part of a multimodal user message.
 *
 * @example
 * ```ts
 * const parts: ContentPart[] = [
 *   { type: 'image', mediaType: 'image/jpeg', url: 'https://example.com/cat.jpg' },
 *   { type: 'text', text: 'What is in this picture?' },
 * ];
 * ```
 */
export type ContentPart =
  | { readonly type: 'text'; readonly text: string }
  | ImagePart
  | DocumentPart;

/**
 * One message of a conversation, provider-neutral: a user message, an assistant answer (with
 * the tool calls it made) or the result of one tool call. The system prompt is not a message:
 * it is {@link ModelRequest.system}.
 *
 * @example
 * ```ts
 * const history: ChatMessage[] = [
 *   { role: 'user', content: 'How long is src/app.ts?' },
 *   { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'count_lines', arguments: { file: 'src/app.ts' } }] },
 *   { role: 'tool', toolCallId: 'c1', name: 'count_lines', content: '{"lines":120}' },
 *   { role: 'assistant', content: 'It has 120 lines.' },
 * ];
 * ```
 */
export type ChatMessage =
  | {
      readonly role: 'user';
      readonly content: string;
      /** Who sent it: another agent's name, or the sender given to `team.post`/`team.send`. */
      readonly from?: string;
      /**
       * Its position in the agent's mailbox (`inbox:<agent>`), when it came from there: each
       * mailbox message is handled once, and a resumed agent goes on after the last one.
       */
      readonly seq?: number;
      /**
       * Multimodal content (text, images, documents), sent in order instead of `content`.
       * `content` stays the message's plain-text form (logs, token estimates).
       */
      readonly parts?: readonly ContentPart[];
      /** Prompt-cache hint: cache the prompt up to and including this message. */
      readonly cache?: boolean;
      /**
       * Set on a summary that context compaction wrote into history (see the core docs,
       * `context.md`): it stands for the history before this position, pinned messages
       * excepted. The model sees it in their place; resume rebuilds the same view from it.
       */
      readonly summarizes?: number;
    }
  | {
      readonly role: 'assistant';
      readonly content: string;
      readonly toolCalls?: readonly ToolCall[];
      /** The model's reasoning text for this answer, as the provider returned it. */
      readonly reasoning?: string;
      /** Opaque provider fields of this answer, sent back as they came (see {@link ProviderData}). */
      readonly providerData?: ProviderData;
      /** Prompt-cache hint: cache the prompt up to and including this message. */
      readonly cache?: boolean;
    }
  | {
      readonly role: 'tool';
      readonly toolCallId: string;
      readonly name: string;
      readonly content: string;
      readonly isError?: boolean;
      /** Prompt-cache hint: cache the prompt up to and including this message. */
      readonly cache?: boolean;
    };

/**
 * A JSON Schema object, as produced by zod's `toJSONSchema`.
 */
export type JsonSchema = { readonly [key: string]: unknown };

/**
 * A tool as the model sees it. The runtime builds these from `defineTool` definitions
 * (see `toolSpecs`); providers map them to their wire format.
 *
 * @example
 * ```ts
 * const spec: ToolSpec = {
 *   name: 'count_lines',
 *   description: 'Counts the lines of a file',
 *   parameters: { type: 'object', properties: { file: { type: 'string' } }, required: ['file'] },
 * };
 * ```
 */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: JsonSchema;
}

/**
 * Incremental output while a response streams: a fragment of text, or a fragment of one tool
 * call's arguments (its `id` and `name` arrive with its first fragment).
 */
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
    }
  /** A fragment of the model's reasoning (thinking) text, where the provider streams it. */
  | { readonly type: 'reasoning'; readonly text: string };

/**
 * Structured output: the final answer must be JSON matching `schema`. Providers send it as their
 * native response format (OpenAI `response_format: { type: 'json_schema' }`, ...); a model
 * without one may ignore it, and the runtime still checks the answer.
 *
 * @example
 * ```ts
 * const format: ResponseFormat = {
 *   type: 'json_schema',
 *   name: 'verdict',
 *   schema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
 * };
 * ```
 */
export interface ResponseFormat {
  readonly type: 'json_schema';
  /** A name for the schema (letters, digits, `_` and `-`; providers require one). */
  readonly name: string;
  readonly schema: JsonSchema;
  /** Ask the provider to enforce the schema exactly where it can (default true). */
  readonly strict?: boolean;
}

/**
 * Which tools a model may or must call.
 */
export type ToolChoice =
  | 'auto'
  | 'required'
  | 'none'
  | { readonly type: 'tool'; readonly name: string };

/**
 * One call to a model: instructions, the conversation so far and the tools it may call.
 *
 * @example
 * ```ts
 * const response = await model.generate({
 *   system: 'You are terse.',
 *   messages: [{ role: 'user', content: 'Say hi' }],
 *   tools: [],
 *   signal: AbortSignal.timeout(30_000),
 * });
 * ```
 */
export interface ModelRequest {
  /** The agent's instructions (a system prompt). */
  readonly system?: string;
  readonly messages: readonly ChatMessage[];
  readonly tools: readonly ToolSpec[];
  readonly maxOutputTokens?: number;
  readonly temperature?: number;
  /** Structured output: the final answer must be JSON matching this schema. */
  readonly responseFormat?: ResponseFormat;
  /**
   * Which tools the model may or must call: `'auto'` (the provider default when tools are
   * given), `'required'` (at least one), `'none'`, or one tool by name.
   */
  readonly toolChoice?: ToolChoice;
  /** Allow several tool calls in one answer (`true`, the providers' default) or at most one. */
  readonly parallelToolCalls?: boolean;
  /** Interrupt or cancel: the call must settle promptly with `ERR_ABORTED`. */
  readonly signal?: AbortSignal;
  /** Streaming: called with each delta as it arrives. Absent means no streaming needed. */
  readonly onDelta?: (delta: ModelDelta) => void;
  /** Called whenever the provider reports its rate-limit state (headers, 429s). */
  readonly onRateLimit?: (feedback: RateLimitFeedback) => void;
}

/**
 * What one call used. `inputTokens` includes cached input; the cache fields say how much of it
 * was read from or written to the provider's prompt cache.
 */
export interface ModelUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens?: number;
  readonly cacheWriteTokens?: number;
  /** Cost of this call, when the provider or model config knows prices. */
  readonly costUsd?: number;
}

/**
 * Why the model stopped: it finished (`end`), wants tools run (`tool_calls`), hit its output
 * limit (`max_tokens`), was filtered (`content_filter`), or anything else a provider reports.
 */
export type StopReason = 'end' | 'tool_calls' | 'max_tokens' | 'content_filter' | 'other';

/**
 * A model's answer: its text, the tool calls it asks for, what it used and why it stopped.
 *
 * @example
 * ```ts
 * const answer: ModelResponse = {
 *   text: 'Done.',
 *   toolCalls: [],
 *   usage: { inputTokens: 10, outputTokens: 2 },
 *   stopReason: 'end',
 * };
 * ```
 */
export interface ModelResponse {
  /** The text of the answer (may be empty when the model only calls tools). */
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  readonly usage: ModelUsage;
  readonly stopReason: StopReason;
  /** The model's reasoning text, where the provider returns it (DeepSeek, Magistral, Claude). */
  readonly reasoning?: string;
  /**
   * Provider fields of the answer that must go back on its assistant message next turn
   * (DeepSeek's `reasoning_content`, Claude's signed thinking blocks, Responses API reasoning
   * items): copy it onto the assistant message with `reasoning`.
   */
  readonly providerData?: ProviderData;
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
