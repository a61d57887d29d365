import type { RateLimitFeedback, TroupeError } from '@troupe/core';
import { createRateLimiter, isTroupeError, SimulatedClock } from '@troupe/core';
import type { RetryInfo } from '@troupe/providers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OpenAIEmbedderOptions } from '../src/index.js';
import { cosine, createHashEmbedder, createOpenAIEmbedder, vectorNorm } from '../src/index.js';
import { FakeEmbeddingsServer } from './fixtures/fake-embeddings-server.js';

describe('createHashEmbedder', () => {
  it('returns one unit vector of the configured length per text', async () => {
    const embedder = createHashEmbedder({ dimensions: 64 });
    const vectors = await embedder.embed(['hello world', 'another text']);
    expect(embedder.dimensions).toBe(64);
    expect(vectors).toHaveLength(2);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(64);
      expect(vectorNorm(v)).toBeCloseTo(1, 6);
    }
  });

  it('is deterministic across instances', async () => {
    const [a] = await createHashEmbedder().embed(['the same text']);
    const [b] = await createHashEmbedder().embed(['the same text']);
    expect(Array.from(a!)).toEqual(Array.from(b!));
  });

  it('puts texts sharing words closer than unrelated texts', async () => {
    const [query, related, unrelated] = await createHashEmbedder().embed([
      'deploy the payment service',
      'deploying payment services on friday',
      'my cat likes warm milk',
    ]);
    expect(cosine(query!, related!)).toBeGreaterThan(cosine(query!, unrelated!) + 0.2);
  });

  it('embeds text without letters or digits to zeros', async () => {
    const [v] = await createHashEmbedder({ dimensions: 8 }).embed(['?!']);
    expect(Array.from(v!)).toEqual(new Array(8).fill(0));
  });

  it('refuses bad options naming them', () => {
    expect(() => createHashEmbedder({ dimensions: 0 })).toThrow(/dimensions/);
    expect(() => createHashEmbedder({ ngram: 1.5 })).toThrow(/ngram/);
  });
});

describe('createOpenAIEmbedder', () => {
  let server: FakeEmbeddingsServer;
  let baseURL: string;
  beforeEach(async () => {
    server = new FakeEmbeddingsServer();
    baseURL = await server.start();
  });
  afterEach(async () => {
    await server.stop();
  });

  it('posts model and input to {baseURL}/embeddings with the bearer key', async () => {
    const embedder = createOpenAIEmbedder({
      baseURL,
      apiKey: 'sk-test',
      model: 'm1',
      dimensions: 3,
    });
    await embedder.embed(['hi']);
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]).toMatchObject({
      url: '/v1/embeddings',
      method: 'POST',
      authorization: 'Bearer sk-test',
      body: { model: 'm1', input: ['hi'] },
    });
    expect(server.seen[0]?.body.dimensions).toBeUndefined();
  });

  it('returns vectors in input order whatever order the server answers in', async () => {
    const embedder = createOpenAIEmbedder({ baseURL, model: 'm', dimensions: 3 });
    const vectors = await embedder.embed(['a', 'bbb', 'cc']);
    expect(vectors.map((v) => Array.from(v))).toEqual([
      [1, 0, 1],
      [3, 1, 1],
      [2, 2, 1],
    ]);
  });

  it('splits large calls into batches', async () => {
    const embedder = createOpenAIEmbedder({ baseURL, model: 'm', dimensions: 3, batchSize: 2 });
    const vectors = await embedder.embed(['a', 'bb', 'ccc', 'dddd', 'eeeee']);
    expect(server.seen.map((s) => s.body.input)).toEqual([['a', 'bb'], ['ccc', 'dddd'], ['eeeee']]);
    expect(vectors.map((v) => v[0])).toEqual([1, 2, 3, 4, 5]);
  });

  it('sends dimensions when asked to', async () => {
    const embedder = createOpenAIEmbedder({
      baseURL,
      model: 'm',
      dimensions: 3,
      sendDimensions: true,
    });
    await embedder.embed(['x']);
    expect(server.seen[0]?.body.dimensions).toBe(3);
  });

  it.each([
    [401, 'ERR_PROVIDER_AUTH'],
    [429, 'ERR_PROVIDER_RATE_LIMITED'],
    [400, 'ERR_PROVIDER_BAD_REQUEST'],
    [503, 'ERR_PROVIDER_UNAVAILABLE'],
  ])('HTTP %i becomes %s', async (status, code) => {
    server.answer = () => [status, { error: { message: 'no' } }];
    const embedder = createOpenAIEmbedder({ baseURL, model: 'm', dimensions: 3, maxRetries: 0 });
    const error = await embedder.embed(['x']).catch((e: unknown) => e);
    expect(isTroupeError(error, code as never)).toBe(true);
  });

  it('a vector of the wrong length is refused', async () => {
    server.answer = () => [200, { data: [{ index: 0, embedding: [1, 2] }] }];
    const embedder = createOpenAIEmbedder({ baseURL, model: 'm', dimensions: 3 });
    const error = await embedder.embed(['x']).catch((e: unknown) => e);
    expect(isTroupeError(error, 'ERR_PROVIDER_UNAVAILABLE')).toBe(true);
  });

  it('a malformed answer is refused without a retry', async () => {
    server.answer = () => [200, { data: [{ index: 5, embedding: [1, 2, 3] }] }];
    const embedder = createOpenAIEmbedder({ baseURL, model: 'm', dimensions: 3 });
    const error = await embedder.embed(['x']).catch((e: unknown) => e);
    expect(isTroupeError(error, 'ERR_PROVIDER_UNAVAILABLE')).toBe(true);
    expect(server.seen).toHaveLength(1);
  });

  it('retries a 429 after the retry-after it names, on the injected clock', async () => {
    server.answer = () =>
      server.seen.length === 1
        ? [429, { error: { message: 'slow down' } }, { 'retry-after': '2' }]
        : undefined;
    const clock = new SimulatedClock();
    const retries: RetryInfo[] = [];
    let waiting: () => void = () => {};
    const retryArmed = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const embedder = createOpenAIEmbedder({
      baseURL,
      model: 'm',
      dimensions: 3,
      clock,
      onRetry: (info) => {
        retries.push(info);
        waiting();
      },
    });
    const pending = embedder.embed(['abc']);
    await retryArmed;
    expect(server.seen).toHaveLength(1);
    await clock.advance(2_000);
    expect(Array.from((await pending)[0]!)).toEqual([3, 0, 1]);
    expect(server.seen).toHaveLength(2);
    expect(retries.map((r) => [r.attempt, r.delayMs, r.error.code])).toEqual([
      [1, 2_000, 'ERR_PROVIDER_RATE_LIMITED'],
    ]);
  });

  it('retries a 503 with jittered backoff, then gives up after maxRetries', async () => {
    server.answer = () => [503, { error: { message: 'overloaded' } }];
    const clock = new SimulatedClock();
    const delays: number[] = [];
    const embedder = createOpenAIEmbedder({
      baseURL,
      model: 'm',
      dimensions: 3,
      clock,
      maxRetries: 2,
      retryBaseDelayMs: 100,
      seed: 7,
      onRetry: (info) => {
        delays.push(info.delayMs);
        setImmediate(() => void clock.advance(info.delayMs));
      },
    });
    const error = await embedder.embed(['x']).catch((e: unknown) => e);
    expect(isTroupeError(error, 'ERR_PROVIDER_UNAVAILABLE')).toBe(true);
    expect((error as TroupeError).details?.attempts).toBe(3);
    expect(server.seen).toHaveLength(3);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThan(75 - 1e-9);
    expect(delays[0]).toBeLessThanOrEqual(100);
    expect(delays[1]).toBeGreaterThan(150 - 1e-9);
    expect(delays[1]).toBeLessThanOrEqual(200);
  });

  it('scrubs the API key from an error whose body echoes it', async () => {
    const apiKey = 'sk-live-0123456789abcdef';
    server.answer = () => [401, { error: { message: `Incorrect API key provided: ${apiKey}` } }];
    const embedder = createOpenAIEmbedder({ baseURL, apiKey, model: 'm', dimensions: 3 });
    const error = await embedder.embed(['x']).catch((e: unknown) => e);
    expect(isTroupeError(error, 'ERR_PROVIDER_AUTH')).toBe(true);
    const told = `${(error as Error).message} ${JSON.stringify((error as TroupeError).details)}`;
    expect(told).not.toContain(apiKey);
    expect(told).toContain('[redacted]');
  });

  it('times out on the injected clock, retries and all', async () => {
    server.answer = () => 'hang';
    const clock = new SimulatedClock();
    const embedder = createOpenAIEmbedder({
      baseURL,
      model: 'm',
      dimensions: 3,
      clock,
      timeoutMs: 5_000,
    });
    let settled = false;
    const pending = embedder.embed(['x']).catch((e: unknown) => e);
    void pending.then(() => {
      settled = true;
    });
    while (server.seen.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(4_999);
    expect(settled).toBe(false);
    await clock.advance(1);
    const error = await pending;
    expect(isTroupeError(error, 'ERR_TIMEOUT')).toBe(true);
    expect(String((error as Error).message)).toMatch(/timed out after 5000 ms/);
  });

  it('fails at once when retry-after outlasts the deadline', async () => {
    server.answer = () => [429, { error: { message: 'wait' } }, { 'retry-after': '30' }];
    const embedder = createOpenAIEmbedder({
      baseURL,
      model: 'm',
      dimensions: 3,
      clock: new SimulatedClock(),
      timeoutMs: 10_000,
    });
    const error = await embedder.embed(['x']).catch((e: unknown) => e);
    expect(isTroupeError(error, 'ERR_PROVIDER_RATE_LIMITED')).toBe(true);
    expect((error as TroupeError).details?.retryAfterMs).toBe(30_000);
    expect(server.seen).toHaveLength(1);
  });

  it('rejects with ERR_ABORTED when the signal fires', async () => {
    server.answer = () => 'hang';
    const embedder = createOpenAIEmbedder({ baseURL, model: 'm', dimensions: 3 });
    const controller = new AbortController();
    const pending = embedder.embed(['x'], { signal: controller.signal }).catch((e: unknown) => e);
    while (server.seen.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    expect(isTroupeError(await pending, 'ERR_ABORTED')).toBe(true);
  });

  it('refuses bad options with ERR_INVALID_ARGUMENT, naming them', () => {
    const base = { baseURL, model: 'm', dimensions: 3 };
    const limiter = createRateLimiter({ clock: new SimulatedClock() });
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ...base, baseURL: 'not a url' }, /baseURL/],
      [{ ...base, baseURL: 'ftp://example.com/v1' }, /baseURL/],
      [{ ...base, model: '' }, /model/],
      [{ ...base, dimensions: -1 }, /dimensions/],
      [{ ...base, batchSize: 0 }, /batchSize/],
      [{ ...base, timeoutMs: 0 }, /timeoutMs/],
      [{ ...base, maxRetries: -1 }, /maxRetries/],
      [{ ...base, retryBaseDelayMs: Number.NaN }, /retryBaseDelayMs/],
      [{ ...base, apiKey: 'sk-abc\r\nx-evil: 1' }, /apiKey/],
      [{ ...base, headers: { 'x-a': 1 } }, /headers/],
      [{ ...base, timeoutMS: 5 }, /timeoutMS/],
      [{ ...base, stream: true }, /stream/],
      [{ ...base, limiter }, /limiter/],
      [{ ...base, limiterKey: 'openai' }, /limiter/],
      [{ ...base, limiter: {}, limiterKey: 'openai' }, /limiter/],
      [{ ...base, limiter, limiterKey: '' }, /limiterKey/],
      [{ ...base, leaseTimeoutMs: 1_000 }, /leaseTimeoutMs/],
    ];
    for (const [options, name] of bad) {
      let error: unknown;
      try {
        createOpenAIEmbedder(options as unknown as OpenAIEmbedderOptions);
      } catch (e) {
        error = e;
      }
      expect(isTroupeError(error, 'ERR_INVALID_ARGUMENT'), JSON.stringify(options)).toBe(true);
      expect((error as Error).message).toMatch(name);
    }
    const error = (() => {
      try {
        createOpenAIEmbedder({ ...base, maxRetries: 1.5 });
      } catch (e) {
        return e as TroupeError;
      }
    })();
    expect(error?.details?.field).toBe('createOpenAIEmbedder options.maxRetries');
  });
});

describe('createOpenAIEmbedder with a limiter', () => {
  let server: FakeEmbeddingsServer;
  let baseURL: string;
  let clock: SimulatedClock;
  beforeEach(async () => {
    server = new FakeEmbeddingsServer();
    baseURL = await server.start();
    clock = new SimulatedClock();
  });
  afterEach(async () => {
    await server.stop();
  });

  it('takes a lease per request and settles it with the tokens the provider counted', async () => {
    const limiter = createRateLimiter({
      clock,
      rules: [{ key: 'emb', windowMs: 60_000, requests: 10, tokens: 1_000 }],
    });
    const embedder = createOpenAIEmbedder({
      baseURL,
      model: 'm',
      dimensions: 3,
      batchSize: 2,
      clock,
      limiter,
      limiterKey: 'emb',
    });
    await embedder.embed(['aaaa', 'bbbbbbbb', 'cc']);
    expect(server.seen).toHaveLength(2);
    // The fake server counts one token a character: 12 + 2.
    expect(limiter.usage('emb')).toMatchObject({ requests: 2, tokens: 14 });
  });

  it('waits for a lease before sending, and gives up after leaseTimeoutMs', async () => {
    const limiter = createRateLimiter({
      clock,
      rules: [{ key: 'emb', windowMs: 60_000, requests: 1 }],
    });
    const embedder = createOpenAIEmbedder({
      baseURL,
      model: 'm',
      dimensions: 3,
      clock,
      limiter,
      limiterKey: 'emb',
      leaseTimeoutMs: 1_000,
    });
    await embedder.embed(['a']);
    const second = embedder.embed(['b']).catch((e: unknown) => e);
    await clock.advance(1_000);
    expect(isTroupeError(await second, 'ERR_RATE_LIMITED')).toBe(true);
    expect(server.seen).toHaveLength(1);
  });

  it('gives the lease back when the request fails', async () => {
    server.answer = () => [400, { error: { message: 'bad input' } }];
    const limiter = createRateLimiter({
      clock,
      rules: [{ key: 'emb', windowMs: 60_000, requests: 5 }],
    });
    const embedder = createOpenAIEmbedder({
      baseURL,
      model: 'm',
      dimensions: 3,
      clock,
      limiter,
      limiterKey: 'emb',
    });
    const error = await embedder.embed(['x']).catch((e: unknown) => e);
    expect(isTroupeError(error, 'ERR_PROVIDER_BAD_REQUEST')).toBe(true);
    expect(limiter.usage('emb').requests).toBe(0);
  });

  it('reports rate-limit headers to limiter.observe, which pauses the key', async () => {
    server.headers = {
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1.5s',
      'x-ratelimit-remaining-tokens': '9000',
    };
    const limiter = createRateLimiter({ clock });
    const observed: [string, RateLimitFeedback][] = [];
    const observe = limiter.observe.bind(limiter);
    limiter.observe = (key, feedback) => {
      observed.push([key, feedback]);
      observe(key, feedback);
    };
    const embedder = createOpenAIEmbedder({
      baseURL,
      model: 'm',
      dimensions: 3,
      clock,
      limiter,
      limiterKey: 'emb',
    });
    await embedder.embed(['a']);
    expect(observed).toEqual([
      ['emb', { remainingRequests: 0, resetRequestsMs: 1_500, remainingTokens: 9_000 }],
    ]);
    const tried = limiter.tryAcquire('emb');
    expect(tried.ok).toBe(false);
    expect(tried.ok ? 0 : tried.retryAfterMs).toBe(1_500);
  });
});
