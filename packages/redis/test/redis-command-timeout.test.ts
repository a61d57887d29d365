// A server that stops answering: every command still settles, as ERR_BACKEND_UNAVAILABLE,
// once `commandTimeoutMs` has passed (the backends bound commands with one timer per client).
import { createServer, type Server, type Socket } from 'node:net';
import { isTroupeError, SimulatedClock } from '@troupe/core';
import { createRedisBus, createRedisRateLimiter, createRedisSharedState } from '@troupe/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
