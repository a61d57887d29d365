import type { ModelRequest } from '@troupe/core';
import { isTroupeError } from '@troupe/core';
import { anthropic, closeProviderPools, openaiCompatible, providerPool } from '@troupe/providers';
import type { FakeModelServer } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';

let server: FakeModelServer;
beforeEach(async () => {
  server = await createFakeModelServer();
});
afterEach(() => server.close());
afterAll(() => closeProviderPools());

const ask: ModelRequest = { messages: [{ role: 'user', content: 'hi' }], tools: [] };

describe('connection pooling', () => {
  // undici marks a connection free a tick after its body ends, so back-to-back calls alternate
  // between two keep-alive sockets (raw undici `Pool.request` does the same).
  it('reuses keep-alive sockets across calls and model instances on the same origin', async () => {
    for (let i = 0; i < 6; i++) server.reply({ text: `answer ${i}` });
    const openai = openaiCompatible({ baseURL: server.openaiBaseURL, model: 'a' });
    const other = openaiCompatible({ baseURL: server.openaiBaseURL, model: 'b' });
    const claude = anthropic({ baseURL: server.anthropicBaseURL, apiKey: 'k', model: 'c' });
    for (const model of [openai, other, claude, openai, other, claude]) await model.generate(ask);
    expect(server.requests.length).toBe(6);
    expect(server.socketsOpened).toBeLessThanOrEqual(2);
  });

  it('reuses sockets after streamed answers too', async () => {
    for (let i = 0; i < 6; i++) server.reply({ text: `streamed ${i}` });
    const model = anthropic({ baseURL: server.anthropicBaseURL, apiKey: 'k', model: 'c' });
    for (let i = 0; i < 6; i++) await model.generate({ ...ask, onDelta: () => {} });
    expect(server.socketsOpened).toBeLessThanOrEqual(2);
  });

  it('bounds concurrent sockets per origin by the connections option', async () => {
    for (let i = 0; i < 10; i++)
      server.reply({ text: `r${i}`, fault: { kind: 'slow-first-byte', delayMs: 20 } });
    const model = openaiCompatible({ baseURL: server.openaiBaseURL, model: 'a', connections: 3 });
    const answers = await Promise.all(Array.from({ length: 10 }, () => model.generate(ask)));
    expect(answers.map((a) => a.text).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `r${i}`).sort(),
    );
    expect(server.maxSocketsOpen).toBe(3);
  });

  it('bounds the shared pool at 20 connections by default', async () => {
    for (let i = 0; i < 30; i++)
      server.reply({ text: 'x', fault: { kind: 'slow-first-byte', delayMs: 30 } });
    const model = anthropic({ baseURL: server.anthropicBaseURL, apiKey: 'k', model: 'c' });
    await Promise.all(Array.from({ length: 30 }, () => model.generate(ask)));
    expect(server.maxSocketsOpen).toBe(20);
  });

  it('lets go of a failed attempt before retrying, so a one-connection pool can retry', async () => {
    server.reply(
      {
        text: 'x',
        fault: { kind: 'stream-error', afterEvents: 1, type: 'overloaded_error', hold: true },
      },
      { text: 'second attempt' },
    );
    const model = anthropic({
      baseURL: server.anthropicBaseURL,
      apiKey: 'k',
      model: 'c',
      connections: 1,
      retryBaseDelayMs: 1,
    });
    const answer = await model.generate({ ...ask, onDelta: () => {} });
    expect(answer.text).toBe('second attempt');
    expect(server.socketsOpened).toBe(2);
  });

  it('closeProviderPools closes idle sockets, and later calls open a fresh pool', async () => {
    server.reply({ text: 'before' }, { text: 'after' });
    const model = openaiCompatible({ baseURL: server.openaiBaseURL, model: 'a' });
    await model.generate(ask);
    expect(server.socketsOpen).toBe(1);
    await closeProviderPools();
    await server.waitUntil(() => server.socketsOpen === 0);
    expect((await model.generate(ask)).text).toBe('after');
    expect(server.socketsOpened).toBe(2);
  });

  it.each([
    ['origin', () => providerPool('https://api.example.com/v1')],
    ['origin', () => providerPool('ftp://example.com')],
    ['origin', () => providerPool('not a url')],
    ['connections', () => providerPool('http://127.0.0.1:9', 0)],
  ])('providerPool refuses a bad %s with ERR_INVALID_ARGUMENT naming it', (option, make) => {
    let caught: unknown;
    try {
      make();
    } catch (error) {
      caught = error;
    }
    expect(isTroupeError(caught, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((caught as Error).message).toContain(option);
  });

  it('providerPool gives one pool per origin', () => {
    expect(providerPool('http://127.0.0.1:9')).toBe(providerPool('http://127.0.0.1:9', 5));
  });

  it('sends through a caller-supplied dispatcher instead of the shared pool', async () => {
    // pipelining 0 turns keep-alive off: every call opens its own socket.
    const unpooled = new Agent({ pipelining: 0 });
    try {
      server.reply({ text: '1' }, { text: '2' }, { text: '3' });
      const model = openaiCompatible({
        baseURL: server.openaiBaseURL,
        model: 'a',
        dispatcher: unpooled,
      });
      for (let i = 0; i < 3; i++) await model.generate(ask);
      expect(server.socketsOpened).toBe(3);
    } finally {
      await unpooled.close();
    }
  });
});
