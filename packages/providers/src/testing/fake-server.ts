import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '@troupe/core';
import { systemClock } from '@troupe/core';
import type { Protocol } from './fake-exchange.js';
import {
  contextLengthBody,
  framesOf,
  normalise,
  promptTokens,
  protocolOf,
  refusalOf,
} from './fake-exchange.js';
import type { FakeQuirk } from './fake-quirks.js';
import { FAKE_QUIRKS } from './fake-quirks.js';
import type {
  FakeFault,
  FakeModelServer,
  FakeModelServerOptions,
  FakeReply,
  RecordedRequest,
} from './fake-types.js';
import { errorBody, errorFrame, errorType } from './fake-wire.js';

const decoder = (chunks: Buffer[]): string => Buffer.concat(chunks).toString('utf8');

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
  const server = new FakeServer(options);
  await server.listen();
  return server;
}

/** One request being answered: where it came from and how errors go back. */
interface Exchange {
  readonly protocol: Protocol;
  readonly body: unknown;
  readonly stream: boolean;
  readonly recorded: RecordedRequest;
  readonly requestId: string;
  readonly family: 'openai' | 'anthropic';
  readonly idHeader: string;
}

class FakeServer implements FakeModelServer {
  url = '';
  openaiBaseURL = '';
  anthropicBaseURL = '';
  readonly requests: RecordedRequest[] = [];
  readonly #options: FakeModelServerOptions;
  readonly #clock: Clock;
  readonly #quirks: ReadonlySet<FakeQuirk>;
  readonly #queue: FakeReply[];
  readonly #replyFn: ((request: RecordedRequest) => FakeReply | Promise<FakeReply>) | undefined;
  readonly #sockets = new Map<Socket, number>();
  readonly #timers = new Set<TimerHandle>();
  readonly #waiters: { predicate: () => boolean; resolve: () => void }[] = [];
  readonly #server: Server;
  #opened = 0;
  #maxOpen = 0;
  #serial = 0;

  constructor(options: FakeModelServerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    const quirks = new Set<FakeQuirk>(options.quirks ?? []);
    for (const quirk of quirks)
      if (!FAKE_QUIRKS.includes(quirk))
        throw new Error(`fake server: unknown quirk ${String(quirk)}`);
    this.#quirks = quirks;
    const script = options.replies;
    this.#queue = Array.isArray(script) ? [...(script as readonly FakeReply[])] : [];
    this.#replyFn = typeof script === 'function' ? script : undefined;
    this.#server = createServer((req, res) => {
      void this.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(error), type: 'server_error' } }));
      });
    });
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.set(socket, ++this.#opened);
      this.#maxOpen = Math.max(this.#maxOpen, this.#sockets.size);
      socket.once('close', () => {
        this.#sockets.delete(socket);
        this.#changed();
      });
      this.#changed();
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('fake server has no port');
    this.url = `http://127.0.0.1:${address.port}`;
    this.openaiBaseURL = `${this.url}/v1`;
    this.anthropicBaseURL = this.url;
  }

  get socketsOpened(): number {
    return this.#opened;
  }

  get socketsOpen(): number {
    return this.#sockets.size;
  }

  get maxSocketsOpen(): number {
    return this.#maxOpen;
  }

  reply(...replies: FakeReply[]): void {
    if (this.#replyFn !== undefined)
      throw new Error('this fake server answers with a function; reply() adds nothing');
    this.#queue.push(...replies);
  }

  waitUntil(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ predicate, resolve }));
  }

  async close(): Promise<void> {
    for (const handle of this.#timers) this.#clock.clearTimeout(handle);
    this.#timers.clear();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  #changed(): void {
    const waiters = this.#waiters;
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i] as (typeof waiters)[number];
      if (waiter.predicate()) {
        waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  /** Waits `ms` on the clock, or until the response closes; true if it is still writable. */
  #pause(res: ServerResponse, ms: number | undefined): Promise<boolean> {
    const clock = this.#clock;
    const timers = this.#timers;
    return new Promise((resolve) => {
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
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const exchange = await this.#record(req, res);
    if (exchange === undefined) return;
    const { protocol, body, requestId, idHeader } = exchange;
    const refusal = refusalOf(protocol, req.headers, body, this.#options.apiKey, this.#quirks);
    if (refusal !== undefined) return fail(res, exchange, refusal.status, refusal.message);
    const max = this.#options.maxContextTokens;
    if (max !== undefined) {
      const tokens = promptTokens(body);
      if (tokens > max) {
        res.writeHead(400, { 'content-type': 'application/json', [idHeader]: requestId });
        res.end(contextLengthBody(protocol, tokens, max));
        return;
      }
    }
    const reply =
      this.#replyFn !== undefined ? await this.#replyFn(exchange.recorded) : this.#queue.shift();
    if (reply === undefined) return fail(res, exchange, 500, 'fake server: no scripted reply left');
    await this.#answer(req.socket, res, exchange, reply);
  }

  /** Reads and records a request; answers 404 (and returns nothing) off the known routes. */
  async #record(req: IncomingMessage, res: ServerResponse): Promise<Exchange | undefined> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = decoder(chunks);
    const path = (req.url ?? '/').split('?')[0] as string;
    const protocol = protocolOf(path);
    if (req.method !== 'POST' || protocol === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(errorBody('openai', 'not_found', `no route for ${req.method} ${path}`));
      return undefined;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      body = raw;
    }
    const stream =
      typeof body === 'object' && body !== null && (body as { stream?: unknown }).stream === true;
    const recorded: RecordedRequest = {
      protocol,
      path,
      headers: req.headers,
      body,
      stream,
      socket: this.#sockets.get(req.socket) ?? 0,
    };
    this.requests.push(recorded);
    const requestId = `req_${++this.#serial}`;
    const family = protocol === 'anthropic' ? 'anthropic' : 'openai';
    const idHeader = family === 'openai' ? 'x-request-id' : 'request-id';
    this.#changed();
    return { protocol, body, stream, recorded, requestId, family, idHeader };
  }

  /** Plays a scripted reply, faults included. */
  async #answer(
    socket: Socket,
    res: ServerResponse,
    exchange: Exchange,
    reply: FakeReply,
  ): Promise<void> {
    const { stream, requestId } = exchange;
    const quirks = new Set<FakeQuirk>([...this.#quirks, ...(reply.quirks ?? [])]);
    const fault = reply.fault;
    if (fault?.kind === 'reset' && fault.afterEvents === undefined) {
      socket.destroy();
      return;
    }
    if (fault?.kind === 'slow-first-byte' && !(await this.#pause(res, fault.delayMs))) return;
    if (fault?.kind === 'status') {
      const extra: Record<string, string> = { ...reply.headers };
      if (fault.retryAfter !== undefined) extra['retry-after'] = fault.retryAfter;
      if (fault.retryAfterMs !== undefined) extra['retry-after-ms'] = String(fault.retryAfterMs);
      return fail(res, exchange, fault.status, fault.message ?? `fake ${fault.status}`, extra);
    }
    const wire = normalise(reply, exchange.body, requestId, quirks);
    const headers: Record<string, string> = {
      'content-type': stream ? 'text/event-stream' : 'application/json',
      [exchange.idHeader]: requestId,
      ...reply.headers,
    };
    if (stream) headers['cache-control'] = 'no-cache';
    const frames = framesOf(exchange.protocol, stream, wire, fault);
    res.writeHead(200, headers);
    res.flushHeaders();
    if (!(await this.#write(socket, res, exchange, frames, fault))) return;
    // The answer is whole, but the connection stays open until the client lets go.
    if (stream && quirks.has('done-keep-open')) {
      await this.#pause(res, undefined);
      return;
    }
    res.end();
  }

  /** Writes the frames, playing a mid-answer fault; false when the fault ended the response. */
  async #write(
    socket: Socket,
    res: ServerResponse,
    exchange: Exchange,
    frames: readonly string[],
    fault: FakeFault | undefined,
  ): Promise<boolean> {
    const at =
      fault !== undefined && 'afterEvents' in fault
        ? exchange.stream
          ? fault.afterEvents
          : 1
        : -1;
    for (let i = 0; i <= frames.length; i++) {
      if (i === at && fault !== undefined && !(await this.#fault(socket, res, exchange, fault)))
        return false;
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
    return true;
  }

  /** A fault at its frame; false when it ended the response. */
  async #fault(
    socket: Socket,
    res: ServerResponse,
    exchange: Exchange,
    fault: FakeFault,
  ): Promise<boolean> {
    if (fault.kind === 'reset') {
      socket.destroy();
      return false;
    }
    if (fault.kind === 'stall') return this.#pause(res, fault.delayMs);
    if (fault.kind === 'truncate') {
      res.end();
      return false;
    }
    if (fault.kind === 'stream-error') {
      const frame = errorFrame(exchange.family, fault.type, fault.message ?? fault.type);
      if (fault.hold === true) {
        res.write(frame);
        await this.#pause(res, undefined);
      } else {
        res.end(frame);
      }
      return false;
    }
    return true;
  }
}

/** An error answer in the protocol's own shape. */
function fail(
  res: ServerResponse,
  exchange: Exchange,
  status: number,
  message: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    [exchange.idHeader]: exchange.requestId,
    ...extra,
  });
  res.end(errorBody(exchange.family, errorType(exchange.family, status), message));
}
