// A server that stops answering: every command still settles, as ERR_BACKEND_UNAVAILABLE,
// once `commandTimeoutMs` has passed (ioredis's own `commandTimeout` on the clients the
// backends open); a wait blocked in XREAD is not cut short by that bound.
import { createServer, type Server, type Socket } from 'node:net';
import { isTroupeError, SimulatedClock } from '@troupe/core';
import { createRedisBus, createRedisRateLimiter, createRedisSharedState } from '@troupe/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueTeam, useRedisServer } from './helpers/server.js';

// Answers the client's ready check (INFO), then nothing: a hung server on a live connection.
let server: Server;
let url = '';
const sockets = new Set<Socket>();
beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (data) => {
      if (/info/i.test(data.toString())) {
        const info = '# Server\r\nloading:0\r\n';
        socket.write(`$${info.length}\r\n${info}\r\n`);
      }
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `redis://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('redis backends against a server that never answers', () => {
  it('reject every operation with ERR_BACKEND_UNAVAILABLE instead of hanging', async () => {
    const options = {
      redis: url,
      clock: new SimulatedClock(),
      team: 'hung',
      commandTimeoutMs: 200,
    };
    const state = createRedisSharedState(options);
    const limiter = createRedisRateLimiter({
      ...options,
      rules: [{ key: 'api', windowMs: 1_000, requests: 5 }],
    });
    const bus = createRedisBus(options);
    const results = await Promise.allSettled([
      state.claim({ agent: 'a', resource: 'r' }),
      limiter.tryAcquire('api'),
      bus.post('t', { from: 'a', body: 1 }),
    ]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as Error;
      expect(isTroupeError(reason, 'ERR_BACKEND_UNAVAILABLE')).toBe(true);
      expect(reason.message).toMatch(/timed out/);
    }
    await Promise.all([state.close(), limiter.close(), bus.close()]);
  });
});

const ctx = useRedisServer();
/** Real time a wait stays blocked: many command timeouts (and past the reader giving up after three failed reads), under one block time. */
const BLOCKED_MS = 1_000;

describe('the command timeout and blocking reads', () => {
  it('leaves a wait blocked in XREAD longer than commandTimeoutMs to be woken by a post', async () => {
    const team = uniqueTeam();
    const clock = new SimulatedClock();
    const reader = createRedisBus({ redis: ctx.server.url, clock, team, commandTimeoutMs: 50 });
    const writer = createRedisBus({ redis: ctx.server.url, clock, team });
    try {
      const waiting = reader.wait('t', { afterSeq: 0, timeoutMs: 60_000 });
      await new Promise((resolve) => setTimeout(resolve, BLOCKED_MS));
      await writer.post('t', { from: 'w', body: 'late' });
      expect((await waiting).map((m) => m.body)).toEqual(['late']);
    } finally {
      await Promise.all([reader.close(), writer.close()]);
    }
  });
});
