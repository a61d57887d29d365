// The fake model server's public shapes: replies, faults, recorded requests, the server handle.
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock, StopReason } from '@troupe/core';
import type { FakeQuirk } from './fake-quirks.js';
import type { FakeToolCall, FakeUsage } from './fake-wire.js';

export type { FakeToolCall, FakeUsage } from './fake-wire.js';

/**
 * How a reply misbehaves. "Events" are SSE frames when streaming; without streaming, any
 * `afterEvents` means "after half the body".
 *
 * @example
 * ```ts
 * server.reply({ fault: { kind: 'status', status: 429, retryAfter: '1' } }, { text: 'ok' });
 * ```
 */
export type FakeFault =
  /** Hold the response headers back this long. */
  | { readonly kind: 'slow-first-byte'; readonly delayMs: number }
  /** Go quiet after `afterEvents` frames, for `delayMs` (absent: until the client gives up). */
  | { readonly kind: 'stall'; readonly afterEvents: number; readonly delayMs?: number }
  /** Answer with an error status in the protocol's error shape. */
  | {
      readonly kind: 'status';
      readonly status: number;
      /** `retry-after` header value (seconds or an HTTP date). */
      readonly retryAfter?: string;
      /** `retry-after-ms` header value. */
      readonly retryAfterMs?: number;
      readonly message?: string;
    }
  /** A 200 whose body (or one stream frame) is not JSON. */
  | { readonly kind: 'malformed-json' }
  /** `socket.destroy()`: before any response, or after `afterEvents` frames. */
  | { readonly kind: 'reset'; readonly afterEvents?: number }
  /** End the response cleanly after `afterEvents` frames, before the answer is whole. */
  | { readonly kind: 'truncate'; readonly afterEvents: number }
  /** A provider error event mid-stream (e.g. Anthropic `overloaded_error`), then the end. */
  | {
      readonly kind: 'stream-error';
      readonly afterEvents: number;
      readonly type: string;
      readonly message?: string;
      /** Keep the response open after the error frame (until the client lets go). */
      readonly hold?: boolean;
    };

/**
 * One scripted answer.
 *
 * @example
 * ```ts
 * const reply: FakeReply = { text: 'Checking.', toolCalls: [{ name: 'search', arguments: { q: 'x' } }], chunkSize: 2 };
 * ```
 */
export interface FakeReply {
  readonly text?: string;
  /**
   * Reasoning text: OpenAI-compatible `reasoning_content` (or Magistral thinking parts),
   * Anthropic signed `thinking` blocks, a Responses API `reasoning` item.
   */
  readonly reasoning?: string;
  /** Quirks for this reply only, beside the server's own. */
  readonly quirks?: readonly FakeQuirk[];
  readonly toolCalls?: readonly FakeToolCall[];
  /** Default: a rough count from the request and reply sizes. */
  readonly usage?: FakeUsage;
  /** Default `tool_calls` when there are tool calls, else `end`. */
  readonly stopReason?: StopReason;
  /** Characters per streamed text or argument fragment. Default 4. */
  readonly chunkSize?: number;
  /** Extra response headers (rate-limit headers, say). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly fault?: FakeFault;
}

/**
 * A request as the fake server saw it.
 *
 * @example
 * ```ts
 * const [first]: readonly RecordedRequest[] = server.requests;
 * first?.headers['x-api-key'];
 * ```
 */
export interface RecordedRequest {
  readonly protocol: 'openai' | 'anthropic' | 'openai-responses';
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  readonly body: unknown;
  readonly stream: boolean;
  /** Which connection carried it: 1 for the first socket the server accepted. */
  readonly socket: number;
}

/**
 * A list of replies served in order, or a function of each request.
 *
 * @example
 * ```ts
 * const echo: FakeScript = (request) => ({ text: `${request.protocol} ok` });
 * ```
 */
export type FakeScript =
  | readonly FakeReply[]
  | ((request: RecordedRequest) => FakeReply | Promise<FakeReply>);

/**
 * Options of {@link createFakeModelServer}.
 *
 * @example
 * ```ts
 * const options: FakeModelServerOptions = { apiKey: 'sk-test', replies: [{ text: 'hi' }] };
 * ```
 */
export interface FakeModelServerOptions {
  readonly replies?: FakeScript;
  /** When set, requests must carry this key (`Authorization: Bearer` or `x-api-key`), else 401. */
  readonly apiKey?: string;
  /** Clock for scripted delays. Default `systemClock` (delays are real network time). */
  readonly clock?: Clock;
  /** Compatible-server behaviours to play on every reply (see {@link FakeQuirk}). */
  readonly quirks?: readonly FakeQuirk[];
  /**
   * A prompt estimated (about 4 characters a token) above this many tokens is refused with
   * the provider's own context-length error: OpenAI `context_length_exceeded`, Anthropic
   * `prompt is too long`.
   */
  readonly maxContextTokens?: number;
}

/**
 * A running fake server.
 *
 * @example
 * ```ts
 * const server: FakeModelServer = await createFakeModelServer();
 * await server.waitUntil(() => server.socketsOpen === 0);
 * await server.close();
 * ```
 */
export interface FakeModelServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `${url}/v1`, for `openaiCompatible({ baseURL })`. */
  readonly openaiBaseURL: string;
  /** `url`, for `anthropic({ baseURL })`. */
  readonly anthropicBaseURL: string;
  readonly requests: readonly RecordedRequest[];
  /** Sockets accepted so far. */
  readonly socketsOpened: number;
  /** Sockets open now. */
  readonly socketsOpen: number;
  /** Most sockets open at once. */
  readonly maxSocketsOpen: number;
  /** Appends replies to a list script. */
  reply(...replies: FakeReply[]): void;
  /** Resolves once `predicate()` holds; checked after every request and socket change. */
  waitUntil(predicate: () => boolean): Promise<void>;
  close(): Promise<void>;
}
