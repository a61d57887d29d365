// A connection that silently stops forwarding (a NAT or load balancer dropped it: no reset)
// between a bus and Redis: the blocking reader notices within twice its block time and
// reconnects, so a wait never sits on a dead socket while messages pile up; a post whose
// reply was lost says it may have taken effect, and its retry with the same key posts nothing
// twice.
import { isTroupeError, SimulatedClock } from '@troupe/core';
import { createRedisBus } from '@troupe/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { type FreezingProxy, startProxy } from './helpers/proxy.js';
import { uniqueTeam, useRedisServer } from './helpers/server.js';

const ctx = useRedisServer();
let proxy: FreezingProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const BLOCK_MS = 400;
/** Real time around a real socket: reconnecting and re-reading take a few round trips. */
const RECONNECT_SLACK_MS = 400;

describe('a silently dead connection', () => {
  it('is noticed by the blocking reader within twice its block time, and the wait is served', async () => {
    proxy = await startProxy(ctx.server.port);
    const team = uniqueTeam();
    const clock = new SimulatedClock();
    const reader = createRedisBus({ redis: proxy.url, clock, team, blockMs: BLOCK_MS });
    const writer = createRedisBus({ redis: ctx.server.url, clock, team });
    try {
      await reader.read('t'); // connected
      const waiting = reader.wait('t', { afterSeq: 0, timeoutMs: 60_000 });
      // Let the XREAD reach the server, then drop the connection silently.
      await new Promise((resolve) => setTimeout(resolve, 50));
      proxy.freeze();
      const frozenAt = Date.now();
      await writer.post('t', { from: 'w', body: 'while frozen' });
      const messages = await waiting;
      expect(messages.map((m) => m.body)).toEqual(['while frozen']);
      expect(Date.now() - frozenAt).toBeLessThan(2 * BLOCK_MS + RECONNECT_SLACK_MS);
    } finally {
      await Promise.all([reader.close(), writer.close()]);
    }
  });

  it('fails a post whose reply was lost as "may have taken effect", and its retry posts once', async () => {
    proxy = await startProxy(ctx.server.port);
    const team = uniqueTeam();
    const clock = new SimulatedClock();
    const bus = createRedisBus({ redis: proxy.url, clock, team, commandTimeoutMs: 300 });
    const direct = createRedisBus({ redis: ctx.server.url, clock, team });
    try {
      await bus.post('t', { from: 'w', body: 'before' });
      // The request still reaches Redis; only its reply is lost.
      proxy.freeze('toClient');
      const error = await bus.post('t', { from: 'w', body: 'once' }).catch((e: unknown) => e);
      expect(isTroupeError(error, 'ERR_BACKEND_UNAVAILABLE')).toBe(true);
      const details = (
        error as { details: { mayHaveTakenEffect: boolean; idempotencyKey: string } }
      ).details;
      expect(details.mayHaveTakenEffect).toBe(true);
      // The client replaced its dead connection: the retry goes through a fresh one.
      let retried: { seq: number } | undefined;
      for (let attempt = 0; attempt < 20 && retried === undefined; attempt++) {
        retried = await bus
          .post('t', { from: 'w', body: 'once' }, { idempotencyKey: details.idempotencyKey })
          .catch(() => undefined);
      }
      expect(retried).toEqual({ seq: 2 });
      expect((await direct.read('t')).map((m) => m.body)).toEqual(['before', 'once']);
    } finally {
      await Promise.all([bus.close(), direct.close()]);
    }
  });
});
