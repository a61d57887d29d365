import type { ModelDelta, ModelRequest } from '@troupe/core';
import { createRng, isTroupeError, SimulatedClock } from '@troupe/core';
import type { RetryInfo } from '@troupe/providers';
import { anthropic, closeProviderPools, openaiCompatible } from '@troupe/providers';
import type { FakeModelServer } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';

let server: FakeModelServer;
beforeEach(async () => {
  server = await createFakeModelServer();
});
afterEach(() => server.close());
afterAll(() => closeProviderPools());

const ask = (extra: Partial<ModelRequest> = {}): ModelRequest => ({
  messages: [{ role: 'user', content: 'hi' }],
  tools: [],
  ...extra,
});

const providers = {
  openai: (options: Record<string, unknown> = {}) =>
    openaiCompatible({
      baseURL: server.openaiBaseURL,
      model: 'm',
      retryBaseDelayMs: 1,
      ...options,
    }),
  anthropic: (options: Record<string, unknown> = {}) =>
    anthropic({
      baseURL: server.anthropicBaseURL,
      apiKey: 'k',
      model: 'm',
      retryBaseDelayMs: 1,
      ...options,
    }),
};

/** Runs `promise` to its rejection and returns the error. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/**
 * A simulated clock that jumps over each retry's wait as soon as the call starts waiting, so
 * retry-after values of seconds cost no real time. Records the waits.
 */
function skippingClock(start = 0): {
  clock: SimulatedClock;
  delays: number[];
  onRetry: (info: RetryInfo) => void;
} {
  const clock = new SimulatedClock(start);
  const delays: number[] = [];
  return {
    clock,
    delays,
    onRetry: (info) => {
      delays.push(info.delayMs);
      void clock.advance(info.delayMs);
    },
  };
}

for (const [name, make] of Object.entries(providers)) {
  describe(`${name}: timeouts on the injected clock`, () => {
    it('fails with ERR_TIMEOUT when the first byte is slower than firstByteTimeoutMs', async () => {
      const clock = new SimulatedClock();
      server.reply({ text: 'late', fault: { kind: 'slow-first-byte', delayMs: 60_000 } });
      const call = failure(make({ clock, firstByteTimeoutMs: 1_000 }).generate(ask()));
      await server.waitUntil(() => server.requests.length === 1);
      await clock.advance(1_000);
      const error = await call;
      expect(error).toMatchObject({
        code: 'ERR_TIMEOUT',
        details: { timeout: 'first-byte', timeoutMs: 1_000 },
      });
      expect(server.requests.length).toBe(1);
    });

    it('fails with ERR_TIMEOUT when the stream stalls longer than idleTimeoutMs', async () => {
      const clock = new SimulatedClock();
      server.reply({ text: 'a long answer that stalls', fault: { kind: 'stall', afterEvents: 4 } });
      const deltas: ModelDelta[] = [];
      let first!: () => void;
      const gotDelta = new Promise<void>((resolve) => {
        first = resolve;
      });
      const call = failure(
        make({ clock, idleTimeoutMs: 5_000 }).generate(
          ask({
            onDelta: (delta) => {
              deltas.push(delta);
              first();
            },
          }),
        ),
      );
      await gotDelta;
      await clock.advance(5_000);
      const error = await call;
      expect(error).toMatchObject({ code: 'ERR_TIMEOUT', details: { timeout: 'idle' } });
      expect(deltas.length).toBeGreaterThan(0);
    });

    it('fails at once when the retry-after would outlast the total timeout', async () => {
      const clock = new SimulatedClock();
      server.reply(
        { fault: { kind: 'status', status: 429, retryAfter: '10' } },
        { text: 'too late' },
      );
      const retries: number[] = [];
      const error = await failure(
        make({
          clock,
          timeoutMs: 5_000,
          onRetry: (info: RetryInfo) => retries.push(info.delayMs),
        }).generate(ask()),
      );
      expect(error).toMatchObject({ code: 'ERR_PROVIDER_RATE_LIMITED', details: { attempts: 1 } });
      expect(retries).toEqual([]);
      expect(server.requests.length).toBe(1);
      expect(clock.pending()).toBe(0);
    });

    it('leaves no timer behind on its clock, whether the call succeeds or fails', async () => {
      const clock = new SimulatedClock();
      server.reply(
        { text: 'ok' },
        { fault: { kind: 'status', status: 400 } },
        { text: 'streamed' },
      );
      await make({ clock }).generate(ask());
      expect(clock.pending()).toBe(0);
      await expect(make({ clock }).generate(ask())).rejects.toMatchObject({
        code: 'ERR_PROVIDER_BAD_REQUEST',
      });
      expect(clock.pending()).toBe(0);
      await make({ clock }).generate(ask({ onDelta: () => {} }));
      expect(clock.pending()).toBe(0);
    });

    it('does not time out a stream that keeps talking within idleTimeoutMs', async () => {
      const clock = new SimulatedClock();
      server.reply({
        text: 'slow but steady',
        fault: { kind: 'stall', afterEvents: 3, delayMs: 20 },
      });
      const answer = await make({ clock, idleTimeoutMs: 5_000, timeoutMs: 10_000 }).generate(
        ask({ onDelta: () => {} }),
      );
      expect(answer.text).toBe('slow but steady');
    });

    it('fails with ERR_TIMEOUT at the total timeout even while data trickles in', async () => {
      const clock = new SimulatedClock();
      server.reply({ text: 'never finishes', fault: { kind: 'stall', afterEvents: 5 } });
      let first!: () => void;
      const gotDelta = new Promise<void>((resolve) => {
        first = resolve;
      });
      const call = failure(
        make({ clock, timeoutMs: 2_000, idleTimeoutMs: 60_000 }).generate(
          ask({ onDelta: () => first() }),
        ),
      );
      await gotDelta;
      await clock.advance(2_000);
      expect(await call).toMatchObject({ code: 'ERR_TIMEOUT', details: { timeout: 'total' } });
    });
  });

  describe(`${name}: retries`, () => {
    it('retries a 429 after the retry-after seconds and then succeeds', async () => {
      const { clock, delays, onRetry } = skippingClock();
      server.reply(
        { fault: { kind: 'status', status: 429, retryAfter: '3' } },
        { text: 'finally' },
      );
      const answer = await make({ clock, onRetry }).generate(ask());
      expect(answer.text).toBe('finally');
      expect(delays).toEqual([3_000]);
      expect(server.requests.length).toBe(2);
    });

    it('honours retry-after given as an HTTP date', async () => {
      const start = Date.parse('2026-01-01T00:00:00Z');
      const { clock, delays, onRetry } = skippingClock(start);
      server.reply(
        {
          fault: { kind: 'status', status: 429, retryAfter: new Date(start + 4_000).toUTCString() },
        },
        { text: 'ok' },
      );
      await make({ clock, onRetry }).generate(ask());
      expect(delays).toEqual([4_000]);
    });

    it('prefers retry-after-ms over retry-after', async () => {
      const { clock, delays, onRetry } = skippingClock();
      server.reply(
        { fault: { kind: 'status', status: 429, retryAfter: '9', retryAfterMs: 250 } },
        { text: 'ok' },
      );
      await make({ clock, onRetry }).generate(ask());
      expect(delays).toEqual([250]);
    });

    it('gives up with ERR_PROVIDER_RATE_LIMITED after maxRetries 429s, with status and retryAfterMs', async () => {
      const { clock, onRetry } = skippingClock();
      const limited = { fault: { kind: 'status', status: 429, retryAfterMs: 100 } } as const;
      server.reply(limited, limited, limited);
      const error = await failure(make({ clock, onRetry, maxRetries: 2 }).generate(ask()));
      expect(error).toMatchObject({
        code: 'ERR_PROVIDER_RATE_LIMITED',
        details: { status: 429, retryAfterMs: 100, attempts: 3, requestId: 'req_3' },
      });
      expect(server.requests.length).toBe(3);
    });

    it('fails at once when retry-after is longer than maxRetryAfterMs', async () => {
      server.reply(
        { fault: { kind: 'status', status: 429, retryAfter: '120' } },
        { text: 'unused' },
      );
      const error = await failure(make({ maxRetryAfterMs: 60_000 }).generate(ask()));
      expect(error).toMatchObject({
        code: 'ERR_PROVIDER_RATE_LIMITED',
        details: { retryAfterMs: 120_000, attempts: 1 },
      });
      expect(server.requests.length).toBe(1);
    });

    it('retries a 500 and succeeds', async () => {
      server.reply({ fault: { kind: 'status', status: 500 } }, { text: 'recovered' });
      expect((await make().generate(ask())).text).toBe('recovered');
      expect(server.requests.length).toBe(2);
    });

    it('gives up with ERR_PROVIDER_UNAVAILABLE after maxRetries 5xx answers', async () => {
      server.reply(
        { fault: { kind: 'status', status: 503 } },
        { fault: { kind: 'status', status: 502 } },
        { fault: { kind: 'status', status: 500 } },
      );
      const error = await failure(make({ maxRetries: 1 }).generate(ask()));
      expect(error).toMatchObject({
        code: 'ERR_PROVIDER_UNAVAILABLE',
        details: { status: 502, attempts: 2 },
      });
      expect(server.requests.length).toBe(2);
    });

    it('does not retry when maxRetries is 0', async () => {
      server.reply({ fault: { kind: 'status', status: 500 } }, { text: 'unused' });
      await expect(make({ maxRetries: 0 }).generate(ask())).rejects.toMatchObject({
        code: 'ERR_PROVIDER_UNAVAILABLE',
      });
      expect(server.requests.length).toBe(1);
    });

    it('retries a connection reset before the response and succeeds', async () => {
      server.reply({ fault: { kind: 'reset' } }, { text: 'reconnected' });
      expect((await make().generate(ask())).text).toBe('reconnected');
      expect(server.requests.length).toBe(2);
    });

    it('retries a reset in the middle of a body nobody has seen yet', async () => {
      server.reply(
        { text: 'whole body', fault: { kind: 'reset', afterEvents: 1 } },
        { text: 'second' },
      );
      expect((await make().generate(ask())).text).toBe('second');
    });

    it('does not retry a reset after deltas reached the caller', async () => {
      server.reply(
        { text: 'streamed then cut', fault: { kind: 'reset', afterEvents: 4 } },
        { text: 'unused' },
      );
      const deltas: ModelDelta[] = [];
      const error = await failure(make().generate(ask({ onDelta: (d) => deltas.push(d) })));
      expect(error).toMatchObject({
        code: 'ERR_PROVIDER_UNAVAILABLE',
        details: { reason: 'connection' },
      });
      expect(deltas.length).toBeGreaterThan(0);
      expect(server.requests.length).toBe(1);
    });

    it('gives up with ERR_PROVIDER_UNAVAILABLE after resets exhaust the retries', async () => {
      server.reply({ fault: { kind: 'reset' } }, { fault: { kind: 'reset' } });
      const error = await failure(make({ maxRetries: 1 }).generate(ask()));
      expect(error).toMatchObject({
        code: 'ERR_PROVIDER_UNAVAILABLE',
        details: { reason: 'connection', attempts: 2 },
      });
    });

    it('does not retry a 400 and reports it as ERR_PROVIDER_BAD_REQUEST with the provider message', async () => {
      server.reply(
        { fault: { kind: 'status', status: 400, message: 'messages: too long' } },
        { text: 'unused' },
      );
      const error = await failure(make().generate(ask()));
      expect(error).toMatchObject({
        code: 'ERR_PROVIDER_BAD_REQUEST',
        details: { status: 400, attempts: 1 },
      });
      expect((error as Error).message).toContain('messages: too long');
      expect(server.requests.length).toBe(1);
    });

    it('does not retry a 404', async () => {
      server.reply({ fault: { kind: 'status', status: 404 } }, { text: 'unused' });
      await expect(make().generate(ask())).rejects.toMatchObject({
        code: 'ERR_PROVIDER_BAD_REQUEST',
      });
      expect(server.requests.length).toBe(1);
    });

    it('reports 401 and 403 as ERR_PROVIDER_AUTH without retrying', async () => {
      server.reply(
        { fault: { kind: 'status', status: 401 } },
        { fault: { kind: 'status', status: 403 } },
      );
      await expect(make().generate(ask())).rejects.toMatchObject({
        code: 'ERR_PROVIDER_AUTH',
        details: { status: 401 },
      });
      await expect(make().generate(ask())).rejects.toMatchObject({
        code: 'ERR_PROVIDER_AUTH',
        details: { status: 403 },
      });
      expect(server.requests.length).toBe(2);
    });

    it('jitters backoff reproducibly from a seed, within half to all of the exponential step', async () => {
      const run = async (seed: number): Promise<number[]> => {
        const { clock, delays, onRetry } = skippingClock();
        const down = { fault: { kind: 'status', status: 500 } } as const;
        server.reply(down, down, down, { text: 'ok' });
        await make({
          clock,
          onRetry,
          seed,
          maxRetries: 3,
          retryBaseDelayMs: 100,
          retryMaxDelayMs: 300,
        }).generate(ask());
        return delays;
      };
      const first = await run(7);
      expect(await run(7)).toEqual(first);
      expect(first[0]).toBeGreaterThanOrEqual(50);
      expect(first[0]).toBeLessThanOrEqual(100);
      expect(first[1]).toBeGreaterThanOrEqual(100);
      expect(first[1]).toBeLessThanOrEqual(200);
      // Capped by retryMaxDelayMs.
      expect(first[2]).toBeGreaterThanOrEqual(150);
      expect(first[2]).toBeLessThanOrEqual(300);
    });

    it('uses an injected rng for jitter', async () => {
      const { clock, delays, onRetry } = skippingClock();
      server.reply({ fault: { kind: 'status', status: 500 } }, { text: 'ok' });
      await make({ clock, onRetry, rng: createRng('fixed'), retryBaseDelayMs: 1_000 }).generate(
        ask(),
      );
      const again = skippingClock();
      server.reply({ fault: { kind: 'status', status: 500 } }, { text: 'ok' });
      await make({
        clock: again.clock,
        onRetry: again.onRetry,
        rng: createRng('fixed'),
        retryBaseDelayMs: 1_000,
      }).generate(ask());
      expect(again.delays).toEqual(delays);
    });
  });

  describe(`${name}: malformed answers`, () => {
    it('reports malformed JSON in a whole body as ERR_PROVIDER_UNAVAILABLE, not retried', async () => {
      server.reply({ text: 'x', fault: { kind: 'malformed-json' } }, { text: 'unused' });
      const error = await failure(make().generate(ask()));
      expect(error).toMatchObject({
        code: 'ERR_PROVIDER_UNAVAILABLE',
        details: { reason: 'malformed-response', attempts: 1 },
      });
      expect(server.requests.length).toBe(1);
    });

    it('reports a malformed stream frame as ERR_PROVIDER_UNAVAILABLE, not retried', async () => {
      server.reply({ text: 'x', fault: { kind: 'malformed-json' } }, { text: 'unused' });
      const error = await failure(make().generate(ask({ onDelta: () => {} })));
      expect(isTroupeError(error, 'ERR_PROVIDER_UNAVAILABLE')).toBe(true);
      expect(error).toMatchObject({ details: { reason: 'malformed-response' } });
      expect(server.requests.length).toBe(1);
    });

    it('reports a stream that ends cleanly before its last event as malformed', async () => {
      server.reply(
        { text: 'cut short', fault: { kind: 'truncate', afterEvents: 4 } },
        { text: 'unused' },
      );
      const error = await failure(make().generate(ask({ onDelta: () => {} })));
      expect(error).toMatchObject({
        code: 'ERR_PROVIDER_UNAVAILABLE',
        details: { reason: 'malformed-response' },
      });
      expect(server.requests.length).toBe(1);
    });

    it('reports a whole body cut short as malformed', async () => {
      server.reply(
        { text: 'cut short', fault: { kind: 'truncate', afterEvents: 1 } },
        { text: 'unused' },
      );
      const error = await failure(make().generate(ask()));
      expect(error).toMatchObject({
        code: 'ERR_PROVIDER_UNAVAILABLE',
        details: { reason: 'malformed-response' },
      });
    });

    it('fails with the provider error an in-stream error frame carries', async () => {
      server.reply({
        text: 'x',
        fault: {
          kind: 'stream-error',
          afterEvents: 3,
          type: 'invalid_request_error',
          message: 'bad tool',
        },
      });
      const error = await failure(make().generate(ask({ onDelta: () => {} })));
      expect(error).toMatchObject({ code: 'ERR_PROVIDER_BAD_REQUEST' });
      expect((error as Error).message).toContain('bad tool');
    });
  });
}

describe('connection failures', () => {
  it('retries a refused connection and ends with ERR_PROVIDER_UNAVAILABLE', async () => {
    // A port nobody listens on: open a server, note its port, close it.
    const gone = await createFakeModelServer();
    const baseURL = gone.openaiBaseURL;
    await gone.close();
    const retries: number[] = [];
    const error = await failure(
      openaiCompatible({
        baseURL,
        model: 'm',
        maxRetries: 2,
        retryBaseDelayMs: 1,
        onRetry: (info) => retries.push(info.attempt),
      }).generate(ask()),
    );
    expect(error).toMatchObject({
      code: 'ERR_PROVIDER_UNAVAILABLE',
      details: { reason: 'connection', code: 'ECONNREFUSED', attempts: 3 },
    });
    expect(retries).toEqual([1, 2]);
  });

  it('reports a wrong key as ERR_PROVIDER_AUTH with the provider message', async () => {
    const guarded = await createFakeModelServer({ apiKey: 'right', replies: [{ text: 'unused' }] });
    try {
      const error = await failure(
        anthropic({ baseURL: guarded.anthropicBaseURL, apiKey: 'wrong', model: 'm' }).generate(
          ask(),
        ),
      );
      expect(error).toMatchObject({
        code: 'ERR_PROVIDER_AUTH',
        details: { status: 401, type: 'authentication_error', requestId: 'req_1' },
      });
      expect((error as Error).message).toContain('invalid api key');
    } finally {
      await guarded.close();
    }
  });
});

describe('fake server script', () => {
  it('answers 500 when its script runs out', async () => {
    const error = await failure(providers.openai({ maxRetries: 0 }).generate(ask()));
    expect(error).toMatchObject({ code: 'ERR_PROVIDER_UNAVAILABLE', details: { status: 500 } });
    expect((error as Error).message).toContain('no scripted reply left');
  });

  it('answers from a function of the request', async () => {
    const scripted = await createFakeModelServer({
      replies: (request) => ({
        text: `you said ${(request.body as { messages: { content: string }[] }).messages[0]?.content}`,
      }),
    });
    try {
      const model = openaiCompatible({ baseURL: scripted.openaiBaseURL, model: 'm' });
      expect((await model.generate(ask())).text).toBe('you said hi');
    } finally {
      await scripted.close();
    }
  });

  it('refuses a malformed anthropic conversation with 400 invalid_request_error', async () => {
    // Two user turns with a tool result for a call nobody made: the API would refuse it too.
    const model = providers.anthropic();
    const error = await failure(
      model.generate({
        messages: [
          { role: 'user', content: 'a' },
          { role: 'tool', toolCallId: 'toolu_x', name: 'search', content: 'orphan' },
        ],
        tools: [],
      }),
    );
    expect(error).toMatchObject({
      code: 'ERR_PROVIDER_BAD_REQUEST',
      details: { type: 'invalid_request_error' },
    });
  });
});
