// A Redis restart mid-run: operations during the outage fail with ERR_BACKEND_UNAVAILABLE
// within a bounded time (no hang), and the same backends work again once Redis is back.
import { isTroupeError, SimulatedClock } from '@troupe/core';
import { createRedisBus, createRedisRateLimiter, createRedisSharedState } from '@troupe/redis';
import { startRedisServer, type TestRedisServer } from '@troupe/redis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: TestRedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const unavailable = (error: unknown): boolean => isTroupeError(error, 'ERR_BACKEND_UNAVAILABLE');

/**
 * Retries `fn` until it succeeds: after a restart the client reconnects on its own backoff
 * (at most 1 s between attempts), so the first calls may still fail. Real time is unavoidable
 * here; RECONNECT_TOLERANCE_MS bounds it.
 */
const RECONNECT_TOLERANCE_MS = 10_000;
async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + RECONNECT_TOLERANCE_MS;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (!unavailable(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('redis backends across a server restart', () => {
  it('fail with ERR_BACKEND_UNAVAILABLE during the outage and recover after it', async () => {
    const clock = new SimulatedClock();
    const options = { redis: server.url, clock, team: 'faults', commandTimeoutMs: 1_000 };
    const state = createRedisSharedState(options);
    const limiter = createRedisRateLimiter({
      ...options,
      rules: [{ key: 'api', windowMs: 1_000, requests: 5 }],
    });
    const bus = createRedisBus(options);
    try {
      const before = await state.claim({ agent: 'a', resource: 'r' });
      expect(before.ok).toBe(true);
      expect((await limiter.tryAcquire('api')).ok).toBe(true);
      const waiting = bus.wait('t', { afterSeq: 0 }).then(
        () => 'woken',
        (error: unknown) => error,
      );
      await bus.read('t');

      await server.stop();
      // Each call settles (no hang) and says why.
      const results = await Promise.allSettled([
        state.claim({ agent: 'b', resource: 'r' }),
        limiter.tryAcquire('api'),
        bus.post('t', { from: 'x', body: 1 }),
        state.discoveries(),
      ]);
      for (const result of results) {
        expect(result.status).toBe('rejected');
        if (result.status === 'rejected') expect(unavailable(result.reason)).toBe(true);
      }
      // A waiter blocked in XREAD when the connection dropped is told, not left hanging.
      expect(unavailable(await waiting)).toBe(true);

      await server.restart();
      // No persistence: the restarted server is empty, and the same clients work again.
      await clock.advance(1);
      const after = await eventually(() => state.claim({ agent: 'b', resource: 'r' }));
      expect(after.ok).toBe(true);
      // The token counter was lost with the data; it restarts from the clock, still above.
      if (before.ok && after.ok) expect(after.claim.token).toBeGreaterThan(before.claim.token);
      expect((await eventually(() => limiter.tryAcquire('api'))).ok).toBe(true);
      const next = bus.wait('t', { afterSeq: 0 });
      expect(await eventually(() => bus.post('t', { from: 'x', body: 'back' }))).toEqual({
        seq: 1,
      });
      expect((await next).map((m) => m.body)).toEqual(['back']);
    } finally {
      await Promise.all([state.close(), limiter.close(), bus.close()]);
    }
  });

  it('rejects an acquire waiting during the outage instead of leaving it pending', async () => {
    const clock = new SimulatedClock();
    const limiter = createRedisRateLimiter({
      redis: server.url,
      clock,
      team: 'faults-wait',
      commandTimeoutMs: 1_000,
      rules: [{ key: 'api', windowMs: 1_000, requests: 1 }],
    });
    try {
      await eventually(() => limiter.tryAcquire('api'));
      const waiting = limiter.acquire('api').then(
        () => 'admitted',
        (error: unknown) => error,
      );
      await limiter.idle();
      await server.stop();
      await clock.advance(1_000); // capacity frees: the retry meets the outage
      expect(unavailable(await waiting)).toBe(true);
    } finally {
      await server.restart();
      await limiter.close();
    }
  });
});
