import { isTroupeError, SimulatedClock } from '@troupe/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
    const embedder = createOpenAIEmbedder({ baseURL, model: 'm', dimensions: 3 });
    const error = await embedder.embed(['x']).catch((e: unknown) => e);
    expect(isTroupeError(error, code as never)).toBe(true);
  });

  it('a vector of the wrong length is refused', async () => {
    server.answer = () => [200, { data: [{ index: 0, embedding: [1, 2] }] }];
    const embedder = createOpenAIEmbedder({ baseURL, model: 'm', dimensions: 3 });
    const error = await embedder.embed(['x']).catch((e: unknown) => e);
    expect(isTroupeError(error, 'ERR_PROVIDER_UNAVAILABLE')).toBe(true);
  });

  it('times out on the injected clock', async () => {
    server.answer = () => 'hang';
    const clock = new SimulatedClock();
    const embedder = createOpenAIEmbedder({
      baseURL,
      model: 'm',
      dimensions: 3,
      clock,
      timeoutMs: 5_000,
    });
    const pending = embedder.embed(['x']).catch((e: unknown) => e);
    while (server.seen.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(5_000);
    const error = await pending;
    expect(isTroupeError(error, 'ERR_PROVIDER_UNAVAILABLE')).toBe(true);
    expect(String((error as Error).message)).toMatch(/timed out/);
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

  it('refuses bad options naming them', () => {
    expect(() => createOpenAIEmbedder({ baseURL: 'not a url', model: 'm', dimensions: 3 })).toThrow(
      /baseURL/,
    );
    expect(() => createOpenAIEmbedder({ baseURL, model: '', dimensions: 3 })).toThrow(/model/);
    expect(() => createOpenAIEmbedder({ baseURL, model: 'm', dimensions: -1 })).toThrow(
      /dimensions/,
    );
  });
});
