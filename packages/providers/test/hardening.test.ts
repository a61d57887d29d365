import { Readable } from 'node:stream';
import type { ModelRequest, RateLimitFeedback } from '@troupe/core';
import { isTroupeError, SimulatedClock, systemClock } from '@troupe/core';
import { anthropic, openaiCompatible, openaiResponses } from '@troupe/providers';
import fc from 'fast-check';
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { rawServerPerTest } from './raw-server.js';

// Regressions of the hardening issue's provider items: capped feedback, scrubbed credentials,
// bounded SSE, validated requests and strict options.

/** A raw server answering every request with a handler. */
const serve = rawServerPerTest();

const ask: ModelRequest = { messages: [{ role: 'user', content: 'hi' }], tools: [] };

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

/** Everything an error exposes: message, stack, details and its cause chain. */
function exposed(error: unknown): string {
  const seen: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 10; depth++) {
    if (current instanceof Error) {
      seen.push(current.message, current.stack ?? '', JSON.stringify(current));
      seen.push(JSON.stringify((current as { details?: unknown }).details ?? null));
      current = current.cause;
    } else {
      seen.push(JSON.stringify(current));
      current = undefined;
    }
  }
  return seen.join('\n');
}

describe('provider feedback is capped (maxRetryAfterMs)', () => {
  it('a 429 with retry-after: 999999999 reports at most maxRetryAfterMs and fails at once', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '999999999' });
      res.end('{"error":{"message":"slow down","type":"rate_limit_exceeded"}}');
    });
    const heard: RateLimitFeedback[] = [];
    const clock = new SimulatedClock();
    const model = openaiCompatible({
      baseURL: `${base}/v1`,
      model: 'm',
      clock,
      maxRetryAfterMs: 30_000,
    });
    const error = await failure(model.generate({ ...ask, onRateLimit: (f) => heard.push(f) }));
    expect(error).toMatchObject({ code: 'ERR_PROVIDER_RATE_LIMITED' });
    expect(heard).toEqual([{ retryAfterMs: 30_000 }]);
    // No timer left behind: nothing spins, nothing waits for years.
    expect(clock.pending()).toBe(0);
  });

  it('reset durations in rate-limit headers are capped the same way', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '9999h',
      });
      res.end(JSON.stringify({ choices: [{ message: { content: 'ok' }, finish_reason: 'stop' }] }));
    });
    const heard: RateLimitFeedback[] = [];
    const model = openaiCompatible({ baseURL: `${base}/v1`, model: 'm', maxRetryAfterMs: 5_000 });
    await model.generate({ ...ask, onRateLimit: (f) => heard.push(f) });
    expect(heard).toEqual([{ remainingRequests: 0, resetRequestsMs: 5_000 }]);
  });

  it('a 30-day total timeout is 30 days, not a timer that fires at once', async () => {
    const clock = new SimulatedClock();
    let release!: () => void;
    const base = await serve((_req, res) => {
      release = () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ choices: [{ message: { content: 'late' }, finish_reason: 'stop' }] }),
        );
      };
    });
    const model = openaiCompatible({
      baseURL: `${base}/v1`,
      model: 'm',
      clock,
      timeoutMs: 30 * 86_400_000,
      firstByteTimeoutMs: Number.POSITIVE_INFINITY,
    });
    const call = model.generate(ask);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await clock.advance(2 ** 31);
    release();
    expect((await call).text).toBe('late');
  });
});

describe('credentials never leave in errors', () => {
  const key = 'sk-live-4242424242424242';

  it('an error body that echoes the key is scrubbed from message, details and cause', async () => {
    const base = await serve((req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            message: `Incorrect API key provided: ${key}. Header was ${req.headers.authorization}.`,
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        }),
      );
    });
    for (const model of [
      openaiCompatible({ baseURL: `${base}/v1`, model: 'm', apiKey: key }),
      openaiResponses({ baseURL: `${base}/v1`, model: 'm', apiKey: key }),
      anthropic({ baseURL: base, model: 'm', apiKey: key }),
      anthropic({ baseURL: base, model: 'm', authToken: key }),
    ]) {
      const error = await failure(model.generate(ask));
      expect(error).toMatchObject({ code: 'ERR_PROVIDER_AUTH' });
      expect(exposed(error)).not.toContain(key);
      expect((error as Error).message).toContain('[redacted]');
    }
  });

  it('a credential in a custom header is scrubbed too', async () => {
    const base = await serve((req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`upstream refused token ${req.headers['x-gateway-token']}`);
    });
    const model = openaiCompatible({
      baseURL: `${base}/v1`,
      model: 'm',
      maxRetries: 0,
      headers: { 'x-gateway-token': 'gw-secret-98765' },
    });
    expect(exposed(await failure(model.generate(ask)))).not.toContain('gw-secret-98765');
  });
});

describe('the SSE reader is bounded and linear', () => {
  /** A stub dispatcher streaming `pieces` (no network: only the parser's cost). */
  const streaming = (pieces: Iterable<Buffer>): Dispatcher =>
    ({
      request: async () => ({
        statusCode: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: Readable.from(pieces),
      }),
    }) as unknown as Dispatcher;

  function* longLine(total: number, piece: number): Generator<Buffer> {
    const block = Buffer.alloc(piece, 'x');
    yield Buffer.from('data: ');
    for (let sent = 0; sent < total; sent += piece) yield block;
  }

  it('a line past the cap fails with ERR_PROVIDER_RESPONSE_TOO_LARGE, not unbounded memory', async () => {
    const model = openaiCompatible({
      baseURL: 'http://stub.invalid/v1',
      model: 'm',
      stream: true,
      dispatcher: streaming(longLine(100 * 1024 * 1024, 64 * 1024)),
    });
    expect(await failure(model.generate(ask))).toMatchObject({
      code: 'ERR_PROVIDER_RESPONSE_TOO_LARGE',
      details: { reason: 'response-too-large' },
    });
  });

  it('a 7 MiB line in 1 KiB pieces is parsed in linear time (quadratic would copy ~25 GB)', async () => {
    function* body(): Generator<Buffer> {
      const payload = JSON.stringify({
        choices: [{ delta: { content: 'y'.repeat(7 * 1024 * 1024) } }],
      });
      const bytes = Buffer.from(`data: ${payload}\n\n`);
      for (let i = 0; i < bytes.length; i += 1024) yield bytes.subarray(i, i + 1024);
      yield Buffer.from(
        'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
      );
    }
    const model = openaiCompatible({
      baseURL: 'http://stub.invalid/v1',
      model: 'm',
      stream: true,
      dispatcher: streaming(body()),
    });
    expect((await model.generate(ask)).text.length).toBe(7 * 1024 * 1024);
  });

  it('a total timeout ends the call within 50 ms of its bound while a server streams junk', async () => {
    // Real sockets and real time on a loaded machine: the call's end is compared with a bare
    // timer of the same bound started beside it, so both suffer the same scheduling delays and
    // only what the provider adds is measured.
    const TOLERANCE_MS = 50;
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const line = Buffer.alloc(64 * 1024, 'z');
      const pump = (): void => {
        if (res.destroyed) return;
        res.write(line, () => setImmediate(pump));
      };
      res.write('data: ');
      pump();
    });
    const model = openaiCompatible({
      baseURL: `${base}/v1`,
      model: 'm',
      stream: true,
      timeoutMs: 300,
      clock: systemClock,
    });
    let bareFiredAt = 0;
    setTimeout(() => {
      bareFiredAt = performance.now();
    }, 300);
    const error = await failure(model.generate(ask));
    const endedAt = performance.now();
    expect(
      isTroupeError(error, 'ERR_TIMEOUT') ||
        isTroupeError(error, 'ERR_PROVIDER_RESPONSE_TOO_LARGE'),
    ).toBe(true);
    if (isTroupeError(error, 'ERR_TIMEOUT')) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(bareFiredAt).toBeGreaterThan(0);
      expect(endedAt - bareFiredAt).toBeLessThan(TOLERANCE_MS);
    }
  });
});

describe('generate() refuses malformed requests with ERR_INVALID_ARGUMENT', () => {
  const model = openaiCompatible({ baseURL: 'http://127.0.0.1:9/v1', model: 'm', maxRetries: 0 });
  const claude = anthropic({ baseURL: 'http://127.0.0.1:9', model: 'm', apiKey: 'k' });

  it.each([
    ['no request', undefined],
    ['messages not an array', { messages: 'hi', tools: [] }],
    ['a message without content', { messages: [{ role: 'user' }], tools: [] }],
    ['an unknown role', { messages: [{ role: 'boss', content: 'x' }], tools: [] }],
    [
      'tool calls not an array',
      { messages: [{ role: 'assistant', content: '', toolCalls: 'x' }], tools: [] },
    ],
    ['tools missing', { messages: [] }],
    ['a tool without parameters', { messages: [], tools: [{ name: 't', description: '' }] }],
    ['a negative maxOutputTokens', { ...ask, maxOutputTokens: -1 }],
    ['a NaN temperature', { ...ask, temperature: Number.NaN }],
    ['a signal that is not one', { ...ask, signal: 'stop' }],
    ['onDelta not a function', { ...ask, onDelta: 1 }],
    ['a bad toolChoice', { ...ask, toolChoice: 'always' }],
    [
      'a bad responseFormat',
      { ...ask, responseFormat: { type: 'json_schema', name: 'a b', schema: {} } },
    ],
    [
      'an image with both data and url',
      {
        messages: [
          {
            role: 'user',
            content: '',
            parts: [{ type: 'image', mediaType: 'image/png', data: 'x', url: 'y' }],
          },
        ],
        tools: [],
      },
    ],
  ])('%s', async (_name, request) => {
    for (const m of [model, claude]) {
      const error = await failure(m.generate(request as unknown as ModelRequest));
      expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
  });

  it('random garbage never throws anything but a TroupeError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (garbage) => {
        const error = await failure(
          model.generate({ ...ask, messages: [garbage] } as unknown as ModelRequest),
        ).catch((e: unknown) => e);
        expect(isTroupeError(error)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('options are strict and header-safe', () => {
  it.each([
    [
      'a CR in apiKey',
      () => openaiCompatible({ baseURL: 'http://x/v1', model: 'm', apiKey: 'a\rb' }),
    ],
    [
      'an LF in a header value',
      () => openaiCompatible({ baseURL: 'http://x/v1', model: 'm', headers: { 'x-a': 'b\nc' } }),
    ],
    ['an LF in the Anthropic key', () => anthropic({ model: 'm', apiKey: 'key\n' })],
    [
      'a misspelt option',
      () => openaiCompatible({ baseURL: 'http://x/v1', model: 'm', timeoutMS: 5 } as never),
    ],
    [
      'an unknown Anthropic option',
      () => anthropic({ model: 'm', apiKey: 'k', temperature: 1 } as never),
    ],
    [
      'an unknown Responses option',
      () => openaiResponses({ model: 'm', baseUrl: 'http://x' } as never),
    ],
    ['both apiKey and authToken', () => anthropic({ model: 'm', apiKey: 'k', authToken: 't' })],
  ])('refuses %s at construction', (_name, make) => {
    expect(make).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('never echoes a refused credential', () => {
    let caught: unknown;
    try {
      openaiCompatible({ baseURL: 'http://x/v1', model: 'm', apiKey: 'sk-sensitive\r\n' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(exposed(caught)).not.toContain('sk-sensitive');
  });
});
