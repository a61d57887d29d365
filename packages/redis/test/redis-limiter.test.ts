// Two limiter instances on one team stand in for two processes: one limit, one FIFO queue.

import type { RateLimitRule } from '@troupe/core';
import { type Lease, SimulatedClock } from '@troupe/core';
import { createRedisRateLimiter, type RedisRateLimiter } from '@troupe/redis';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueTeam, useRedisServer } from './helpers/server.js';

const ctx = useRedisServer();
const open: RedisRateLimiter[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

function pair(rules: RateLimitRule[]) {
  const clock = new SimulatedClock();
  const team = uniqueTeam();
  const make = () => createRedisRateLimiter({ redis: ctx.server.url, clock, team, rules });
  const one = make();
  const two = make();
  open.push(one, two);
  return { clock, one, two };
}

/**
 * Waits until `done()` holds. Wakes between instances travel over Redis pub/sub, which no
 * `idle()` covers, so this is bounded real time: PUBSUB_TOLERANCE_MS.
 */
const PUBSUB_TOLERANCE_MS = 5_000;
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + PUBSUB_TOLERANCE_MS;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function track(promise: Promise<Lease>) {
  const t = { lease: undefined as Lease | undefined, error: undefined as unknown };
  promise.then(
    (lease) => {
      t.lease = lease;
    },
    (error: unknown) => {
      t.error = error;
    },
  );
  return t;
}

describe('redis limiter across instances', () => {
  it('holds one limit across instances sharing a team', async () => {
    const { one, two } = pair([{ key: 'api', windowMs: 60_000, requests: 3 }]);
    const results = await Promise.all([
      one.tryAcquire('api'),
      two.tryAcquire('api'),
      one.tryAcquire('api'),
      two.tryAcquire('api'),
      one.tryAcquire('api'),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(await one.usage('api')).toEqual({ requests: 3, tokens: 0, costUsd: 0 });
  });

  it('keeps a later acquire of another instance behind an earlier waiter', async () => {
    const { clock, one, two } = pair([{ key: 'llm', windowMs: 1_000, tokens: 100 }]);
    await one.tryAcquire('llm', { tokens: 60 });
    const big = track(one.acquire('llm', { tokens: 80 }));
    await one.idle();
    // The small one would fit now, but the big one came first.
    expect(await two.tryAcquire('llm', { tokens: 10 })).toMatchObject({
      ok: false,
      reason: 'tokens',
    });
    const small = track(two.acquire('llm', { tokens: 10 }));
    await two.idle();
    expect(small.lease).toBeUndefined();
    await clock.advance(1_000);
    await until(() => big.lease !== undefined && small.lease !== undefined);
    expect(big.lease?.admittedAt).toBe(1_000);
    expect(await one.usage('llm')).toEqual({ requests: 2, tokens: 90, costUsd: 0 });
  });

  it('wakes a waiter of another instance when a lease gives budget back', async () => {
    const { one, two } = pair([{ key: 'team', budgetUsd: 1 }]);
    const held = await one.tryAcquire('team', { costUsd: 1 });
    const waiting = track(two.acquire('team', { costUsd: 0.5 }));
    await two.idle();
    expect(waiting.lease).toBeUndefined();
    if (!held.ok) throw new Error('expected an admission');
    await held.lease.settle({ costUsd: 0.25 });
    await until(() => waiting.lease !== undefined);
    expect(await two.usage('team')).toEqual({ requests: 2, tokens: 0, costUsd: 0.75 });
  });

  it('lets others pass a ticket whose process went quiet past ticketTtlMs', async () => {
    const clock = new SimulatedClock();
    const team = uniqueTeam();
    const rules = [{ key: 'team', budgetUsd: 1 }];
    const doomed = new Redis(ctx.server.port, '127.0.0.1');
    const one = createRedisRateLimiter({ redis: doomed, clock, team, rules, ticketTtlMs: 1_000 });
    const two = createRedisRateLimiter({
      redis: ctx.server.url,
      clock,
      team,
      rules,
      ticketTtlMs: 1_000,
    });
    open.push(one, two);
    await one.tryAcquire('team', { costUsd: 0.5 });
    const stuck = one.acquire('team', { costUsd: 0.8 }).catch(() => undefined);
    await one.idle();
    expect((await two.tryAcquire('team', { costUsd: 0.1 })).ok).toBe(false);
    // The waiting process loses its connection for good: its ticket is never taken back.
    doomed.disconnect();
    await clock.advance(999);
    expect((await two.tryAcquire('team', { costUsd: 0.1 })).ok).toBe(false);
    await clock.advance(1);
    expect((await two.tryAcquire('team', { costUsd: 0.1 })).ok).toBe(true);
    await one.close();
    await stuck;
  });
});
