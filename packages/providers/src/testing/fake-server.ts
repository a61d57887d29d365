import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import type { TimerHandle } from '@troupe/core';
import { systemClock } from '@troupe/core';
import { openaiBody, openaiFrames } from './fake-openai.js';
import type { FakeQuirk } from './fake-quirks.js';
import { FAKE_QUIRKS, quirkProblem } from './fake-quirks.js';
import { responsesBody, responsesFrames, responsesProblem } from './fake-responses.js';
import type {
  FakeModelServer,
  FakeModelServerOptions,
  FakeReply,
  RecordedRequest,
} from './fake-types.js';
import { anthropicProblem, openaiProblem } from './fake-validate.js';
import type { WireReply } from './fake-wire.js';
import {
  anthropicBody,
  anthropicFrames,
  errorBody,
  errorFrame,
  errorType,
  THINKING_SIGNATURE,
} from './fake-wire.js';

type Protocol = RecordedRequest['protocol'];

/** Models that refuse sampling parameters (Claude Opus 4.7 and later, Claude 5). */
const FIXED_SAMPLING =
  /claude-(?:opus-4-(?:[7-9]|\d\d)|(?:opus|sonnet|haiku|fable|mythos)-(?:[5-9]|\d\d))/;

function promptTokens(body: unknown): number {
  const b = body as { system?: unknown; messages?: unknown; input?: unknown; tools?: unknown };
  return approxTokens(JSON.stringify([b.system, b.messages, b.input, b.tools]));
}

function contextLengthBody(protocol: Protocol, tokens: number, max: number): string {
  if (protocol === 'anthropic') {
    return JSON.stringify({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: `prompt is too long: ${tokens} tokens > ${max} maximum`,
      },
    });
  }
  return JSON.stringify({
    error: {
      message: `This model's maximum context length is ${max} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`,
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    },
  });
}

const decoder = (chunks: Buffer[]): string => Buffer.concat(chunks).toString('utf8');

function approxTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/**
 * A real HTTP server on 127.0.0.1 (random port) that speaks OpenAI Chat Completions
 * (`POST /v1/chat/completions`) and the Anthropic Messages API (`POST /v1/messages`), streaming
 * and not, exactly as the providers frame them, and misbehaves on command.
 *
 * @example
 * ```ts
 * const server = await createFakeModelServer({
 *   replies: [{ toolCalls: [{ name: 'search', arguments: { q: 'x' } }] }, { text: 'done' }],
 * });
 * const model = openaiCompatible({ baseURL: server.openaiBaseURL, model: 'fake' });
 * await model.generate({ messages: [{ role: 'user', content: 'go' }], tools: [] });
 * await server.close();
 * ```
 */
export async function createFakeModelServer(
  options: FakeModelServerOptions = {},
): Promise<FakeModelServer> {
  const clock = options.clock ?? systemClock;
  const serverQuirks = new Set<FakeQuirk>(options.quirks ?? []);
  for (const quirk of serverQuirks)
    if (!FAKE_QUIRKS.includes(quirk))
      throw new Error(`fake server: unknown quirk ${String(quirk)}`);
  const script = options.replies;
  const queue: FakeReply[] = Array.isArray(script) ? [...(script as readonly FakeReply[])] : [];
  const replyFn = typeof script === 'function' ? script : undefined;
  const requests: RecordedRequest[] = [];
  const sockets = new Map<Socket, number>();
  const timers = new Set<TimerHandle>();
  const waiters: { predicate: () => boolean; resolve: () => void }[] = [];
  let opened = 0;
  let maxOpen = 0;
  let serial = 0;

  const changed = (): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i] as (typeof waiters)[number];
      if (waiter.predicate()) {
        waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  };

  /** Waits `ms` on the clock, or until the response closes; true if it is still writable. */
  const pause = (res: ServerResponse, ms: number | undefined): Promise<boolean> =>
    new Promise((resolve) => {
      if (res.destroyed) {
        resolve(false);
        return;
      }
      let handle: TimerHandle | undefined;
      const onClose = (): void => {
        if (handle !== undefined) {
          clock.clearTimeout(handle);
          timers.delete(handle);
        }
        resolve(false);
      };
      res.once('close', onClose);
      if (ms !== undefined) {
        handle = clock.setTimeout(() => {
          if (handle !== undefined) timers.delete(handle);
          res.off('close', onClose);
          resolve(!res.destroyed);
        }, ms);
        timers.add(handle);
      }
    });

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(error), type: 'server_error' } }));
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, ++opened);
    maxOpen = Math.max(maxOpen, sockets.size);
    socket.once('close', () => {
      sockets.delete(socket);
      changed();
    });
    changed();
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = decoder(chunks);
    const path = (req.url ?? '/').split('?')[0] as string;
    const protocol: Protocol | undefined = path.endsWith('/chat/completions')
      ? 'openai'
      : path.endsWith('/messages')
        ? 'anthropic'
        : path.endsWith('/responses')
          ? 'openai-responses'
          : undefined;
    if (req.method !== 'POST' || protocol === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(errorBody('openai', 'not_found', `no route for ${req.method} ${path}`));
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      body = raw;
    }
    const stream =
      typeof body === 'object' && body !== null && (body as { stream?: unknown }).stream === true;
    const socket = req.socket;
    const recorded: RecordedRequest = {
      protocol,
      path,
      headers: req.headers,
      body,
      stream,
      socket: sockets.get(socket) ?? 0,
    };
    requests.push(recorded);
    const requestId = `req_${++serial}`;
    const family = protocol === 'anthropic' ? 'anthropic' : 'openai';
    const idHeader = family === 'openai' ? 'x-request-id' : 'request-id';
    const fail = (status: number, message: string, extra: Record<string, string> = {}): void => {
      res.writeHead(status, {
        'content-type': 'application/json',
        [idHeader]: requestId,
        ...extra,
      });
      res.end(errorBody(family, errorType(family, status), message));
    };
    changed();

    const bearer = /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1];
    const key = family === 'openai' ? bearer : (req.headers['x-api-key'] ?? bearer);
    if (protocol === 'anthropic' && typeof key !== 'string')
      return fail(401, 'x-api-key header is required');
    if (options.apiKey !== undefined && key !== options.apiKey) return fail(401, 'invalid api key');
    if (protocol === 'anthropic') {
      const version = req.headers['anthropic-version'];
      if (version === undefined) return fail(400, 'anthropic-version header is required');
      if (version !== '2023-06-01' && version !== '2026-10-21')
        return fail(400, `anthropic-version: unknown version ${version}`);
    }
    const problem =
      protocol === 'openai'
        ? (openaiProblem(body) ?? quirkProblem(body, serverQuirks))
        : protocol === 'anthropic'
          ? (anthropicProblem(body, THINKING_SIGNATURE) ??
            samplingProblem(body, req.headers['anthropic-version'] === '2026-10-21'))
          : responsesProblem(body);
    if (problem !== undefined) return fail(400, problem);
    if (options.maxContextTokens !== undefined) {
      const tokens = promptTokens(body);
      if (tokens > options.maxContextTokens) {
        res.writeHead(400, { 'content-type': 'application/json', [idHeader]: requestId });
        res.end(contextLengthBody(protocol, tokens, options.maxContextTokens));
        return;
      }
    }

    const reply = replyFn !== undefined ? await replyFn(recorded) : queue.shift();
    if (reply === undefined) return fail(500, 'fake server: no scripted reply left');
    const quirks = new Set<FakeQuirk>([...serverQuirks, ...(reply.quirks ?? [])]);
    const fault = reply.fault;
    if (fault?.kind === 'reset' && fault.afterEvents === undefined) {
      socket.destroy();
      return;
    }
    if (fault?.kind === 'slow-first-byte' && !(await pause(res, fault.delayMs))) return;
    if (fault?.kind === 'status') {
      const extra: Record<string, string> = { ...reply.headers };
      if (fault.retryAfter !== undefined) extra['retry-after'] = fault.retryAfter;
      if (fault.retryAfterMs !== undefined) extra['retry-after-ms'] = String(fault.retryAfterMs);
      return fail(fault.status, fault.message ?? `fake ${fault.status}`, extra);
    }

    const wire = normalise(reply, body, requestId, quirks);
    const headers: Record<string, string> = {
      'content-type': stream ? 'text/event-stream' : 'application/json',
      [idHeader]: requestId,
      ...reply.headers,
    };
    if (stream) headers['cache-control'] = 'no-cache';
    let frames: string[];
    if (stream) {
      frames =
        protocol === 'openai'
          ? openaiFrames(wire)
          : protocol === 'anthropic'
            ? anthropicFrames(wire)
            : responsesFrames(wire);
      if (fault?.kind === 'malformed-json') frames.splice(1, 0, 'data: {"choices": [oops\n\n');
      if (quirks.has('bom')) frames[0] = `\uFEFF${frames[0]}`;
    } else {
      const whole =
        fault?.kind === 'malformed-json'
          ? '{"id": "broken", "content": ['
          : protocol === 'openai'
            ? openaiBody(wire)
            : protocol === 'anthropic'
              ? anthropicBody(wire)
              : responsesBody(wire);
      const half = Math.floor(whole.length / 2);
      // Split so a stall or reset "mid-body" has something before it.
      frames = [whole.slice(0, half), whole.slice(half)];
    }
    const at =
      fault !== undefined && 'afterEvents' in fault ? (stream ? fault.afterEvents : 1) : -1;
    res.writeHead(200, headers);
    res.flushHeaders();
    for (let i = 0; i <= frames.length; i++) {
      if (i === at && fault !== undefined) {
        if (fault.kind === 'reset') {
          socket.destroy();
          return;
        }
        if (fault.kind === 'stall' && !(await pause(res, fault.delayMs))) return;
        if (fault.kind === 'truncate') {
          res.end();
          return;
        }
        if (fault.kind === 'stream-error') {
          const frame = errorFrame(family, fault.type, fault.message ?? fault.type);
          if (fault.hold === true) {
            res.write(frame);
            await pause(res, undefined);
          } else {
            res.end(frame);
          }
          return;
        }
      }
      const frame = frames[i];
      if (frame === undefined) continue;
      if (i + 1 === at) {
        // Before a fault, make sure what precedes it has left this process: a destroyed socket
        // drops writes still buffered in it.
        await new Promise<void>((resolve) => res.write(frame, () => resolve()));
      } else {
        res.write(frame);
      }
    }
    // The answer is whole, but the connection stays open until the client lets go.
    if (stream && quirks.has('done-keep-open')) {
      await pause(res, undefined);
      return;
    }
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake server has no port');
  const url = `http://127.0.0.1:${address.port}`;

  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    requests,
    get socketsOpened() {
      return opened;
    },
    get socketsOpen() {
      return sockets.size;
    },
    get maxSocketsOpen() {
      return maxOpen;
    },
    reply(...replies) {
      if (replyFn !== undefined)
        throw new Error('this fake server answers with a function; reply() adds nothing');
      queue.push(...replies);
    },
    waitUntil(predicate) {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    async close() {
      for (const handle of timers) clock.clearTimeout(handle);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * Sampling parameters, refused as the real API does: by every model under API version
 * 2026-10-21, and by the newer models (Opus 4.7 and later, Claude 5) under 2023-06-01.
 */
function samplingProblem(body: unknown, removed: boolean): string | undefined {
  const b = body as { model?: unknown; temperature?: unknown; top_p?: unknown; top_k?: unknown };
  if (!removed && (typeof b.model !== 'string' || !FIXED_SAMPLING.test(b.model))) return undefined;
  for (const name of ['temperature', 'top_p', 'top_k'] as const)
    if (b[name] !== undefined) return `\`${name}\` is deprecated for this model.`;
  return undefined;
}

function normalise(
  reply: FakeReply,
  body: unknown,
  requestId: string,
  quirks: ReadonlySet<FakeQuirk>,
): WireReply {
  const text = reply.text ?? '';
  const toolCalls = (reply.toolCalls ?? []).map((call, index) => ({
    id: call.id ?? `call_${requestId}_${index}`,
    name: call.name,
    arguments: call.arguments,
  }));
  const request = body as { model?: unknown; stream_options?: { include_usage?: unknown } };
  const chunkSize = reply.chunkSize ?? 4;
  return {
    id: `msg_${requestId}`,
    model: typeof request.model === 'string' ? request.model : 'fake',
    text,
    toolCalls,
    usage: reply.usage ?? {
      inputTokens: approxTokens(JSON.stringify(body)),
      outputTokens: approxTokens(text + JSON.stringify(toolCalls)),
    },
    stopReason: reply.stopReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'end'),
    chunkSize: Number.isInteger(chunkSize) && chunkSize > 0 ? chunkSize : 4,
    // Anthropic always reports usage; OpenAI only when asked.
    includeUsage: request.stream_options?.include_usage === true,
    reasoning: reply.reasoning ?? '',
    quirks,
  };
}
