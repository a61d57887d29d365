// Housekeeping at scale: bounded names, retention of streams, paged claim listing, the
// limiter window key's expiry after a settle, tickets of crashed waiters that lapse quickly
// while live ones keep their place, and auth failures with their own code.
import { isTroupeError, SimulatedClock } from '@troupe/core';
import {
  createRedisBus,
  createRedisDirectory,
  createRedisRateLimiter,
  createRedisSessionStore,
  createRedisSharedState,
  MAX_NAME_LENGTH,
} from '@troupe/redis';
import { startRedisServer } from '@troupe/redis/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueTeam, useRedisServer } from './helpers/server.js';

const ctx = useRedisServer();
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
function track<T extends { close(): Promise<void> }>(backend: T): T {
  open.push(backend);
  return backend;
}
const raw = (): Redis => {
  const client = new Redis(ctx.server.port, '127.0.0.1');
  open.push({ close: async () => client.disconnect() });
  return client;
};

describe('names', () => {
  it('refuses names past the bound and lone surrogates, and stores nothing', async () => {
    const clock = new SimulatedClock();
    const team = uniqueTeam();
    const state = track(createRedisSharedState({ redis: ctx.server.url, clock, team }));
    const bus = track(createRedisBus({ redis: ctx.server.url, clock, team }));
    const limiter = track(createRedisRateLimiter({ redis: ctx.server.url, clock, team }));
    for (const bad of ['x'.repeat(MAX_NAME_LENGTH + 1), 'a\uD800', '\uDFFFb']) {
      const refusals = [
        state.claim({ agent: 'a', resource: bad }).catch((e: unknown) => e),
        state.claim({ agent: bad, resource: 'r' }).catch((e: unknown) => e),
        bus.post(bad, { from: 'a', body: 1 }).catch((e: unknown) => e),
        limiter.tryAcquire(bad).catch((e: unknown) => e),
      ];
      for (const error of await Promise.all(refusals)) {
        expect(isTroupeError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
      }
    }
    // Two distinct lone surrogates would both become U+FFFD in UTF-8: one key for two names.
    expect(await state.claims()).toEqual([]);
    expect((await state.claim({ agent: 'a', resource: 'x'.repeat(MAX_NAME_LENGTH) })).ok).toBe(
      true,
    );
  });
});

describe('retention', () => {
  it('trims a topic to about maxCount messages', async () => {
    const clock = new SimulatedClock();
    const team = uniqueTeam();
    const bus = track(
      createRedisBus({ redis: ctx.server.url, clock, team, retention: { maxCount: 50 } }),
    );
    for (let i = 0; i < 1_000; i++) await bus.post('t', { from: 'a', body: i });
    // Approximate trimming drops whole stream nodes (100 entries by default).
    expect(await raw().xlen(`troupe:{${team}}:b:t`)).toBeLessThanOrEqual(150);
    expect((await bus.read('t', { afterSeq: 990 })).map((m) => m.body)).toEqual([
      990, 991, 992, 993, 994, 995, 996, 997, 998, 999,
    ]);
  });

  it('drops messages older than maxAgeMs as new ones arrive', async () => {
    const clock = new SimulatedClock();
    const team = uniqueTeam();
    const bus = track(
      createRedisBus({ redis: ctx.server.url, clock, team, retention: { maxAgeMs: 1_000 } }),
    );
    for (let i = 0; i < 10; i++) await bus.post('t', { from: 'a', body: `old ${i}` });
    await clock.advance(2_000);
    for (let i = 0; i < 10; i++) await bus.post('t', { from: 'a', body: `new ${i}` });
    expect((await bus.read('t')).map((m) => m.body)).toEqual(
      Array.from({ length: 10 }, (_, i) => `new ${i}`),
    );
  });

  it('trims discoveries by count', async () => {
    const clock = new SimulatedClock();
    const team = uniqueTeam();
    const state = track(
      createRedisSharedState({ redis: ctx.server.url, clock, team, retention: { maxCount: 20 } }),
    );
    for (let i = 0; i < 500; i++) await state.discover({ agent: 'a', topic: 't', content: i });
    expect(await raw().xlen(`troupe:{${team}}:d`)).toBeLessThanOrEqual(120);
    expect((await state.discoveries({ afterSeq: 495 })).map((d) => d.seq)).toEqual([
      496, 497, 498, 499, 500,
    ]);
  });

  it('refuses a bad retention option naming it', () => {
    const clock = new SimulatedClock();
    expect(() =>
      createRedisBus({ redis: ctx.server.url, clock, retention: { maxCount: 0 } }),
    ).toThrow(/retention\.maxCount/);
    expect(() =>
      createRedisBus({ redis: ctx.server.url, clock, retention: { maxAgeMs: -1 } }),
    ).toThrow(/retention\.maxAgeMs/);
  });
});

describe('claims listing', () => {
  it('lists claims on many resources page by page, in token order', async () => {
    const clock = new SimulatedClock();
    const state = track(
      createRedisSharedState({ redis: ctx.server.url, clock, team: uniqueTeam() }),
    );
    for (let i = 0; i < 450; i++) await state.claim({ agent: `a${i % 7}`, resource: `r${i}` });
    await clock.advance(1);
    const listed = await state.claims();
    expect(listed).toHaveLength(450);
    for (let i = 1; i < listed.length; i++)
      expect(listed[i]!.token).toBeGreaterThan(listed[i - 1]!.token);
    expect(await state.claims({ agent: 'a3' })).toHaveLength(64);
  });
});

describe('limiter keys', () => {
  it('keeps the window key expiring after a settle', async () => {
    const clock = new SimulatedClock();
    const team = uniqueTeam();
    const limiter = track(
      createRedisRateLimiter({
        redis: ctx.server.url,
        clock,
        team,
        rules: [{ key: 'api', windowMs: 60_000, requests: 10, tokens: 10_000 }],
      }),
    );
    const result = await limiter.tryAcquire('api', { tokens: 500 });
    if (!result.ok) throw new Error('expected an admission');
    await result.lease.settle({ tokens: 300 });
    const client = raw();
    expect(await client.pttl(`troupe:{${team}}:l:api:w`)).toBeGreaterThan(0);
    expect(await client.pttl(`troupe:{${team}}:l:api:h`)).toBeGreaterThan(0);
  });

  it('keeps a live waiter in line past the ticket TTL, and lets a crashed one lapse after it', async () => {
    const clock = new SimulatedClock();
    const team = uniqueTeam();
    const rules = [{ key: 'api', windowMs: 60_000, tokens: 100 }];
    const doomed = new Redis(ctx.server.port, '127.0.0.1');
    doomed.on('error', () => {});
    const one = createRedisRateLimiter({ redis: doomed, clock, team, rules, ticketTtlMs: 1_000 });
    const two = track(
      createRedisRateLimiter({ redis: ctx.server.url, clock, team, rules, ticketTtlMs: 1_000 }),
    );
    await one.tryAcquire('api', { tokens: 60 });
    // Needs 50 tokens: it waits for the first admission to leave the window, 60 s from now.
    const waiting = one.acquire('api', { tokens: 50 }).catch(() => undefined);
    await one.idle();
    for (let i = 0; i < 10; i++) {
      await clock.advance(500);
      await one.idle();
    }
    // 5 s (five ticket TTLs) later it is still first in line: 10 tokens would fit, but may
    // not pass it.
    expect((await two.tryAcquire('api', { tokens: 10 })).ok).toBe(false);
    // Its process dies: one ticket TTL later its place has lapsed, long before the 60 s it
    // was waiting for.
    doomed.disconnect();
    await clock.advance(1_000);
    expect((await two.tryAcquire('api', { tokens: 10 })).ok).toBe(true);
    await one.close();
    await waiting;
  });
});

describe('connections', () => {
  it('holds at most two connections per team in a process, waits included', async () => {
    const client = raw();
    const count = async () =>
      String(await client.client('LIST'))
        .trim()
        .split('\n').length;
    await client.ping();
    const clock = new SimulatedClock();
    const team = uniqueTeam();
    const options = { redis: ctx.server.url, clock, team };
    const state = track(createRedisSharedState(options));
    const rules = [{ key: 'team', budgetUsd: 1 }];
    const limiter = track(createRedisRateLimiter({ ...options, rules }));
    const bus = track(createRedisBus(options));
    const directory = track(createRedisDirectory(options));
    const sessions = track(createRedisSessionStore(options));
    // Another process (its own connection) holds most of the budget.
    const elsewhere = new Redis(ctx.server.port, '127.0.0.1');
    open.push({ close: async () => elsewhere.disconnect() });
    const other = track(createRedisRateLimiter({ ...options, redis: elsewhere, rules }));
    const held = await other.tryAcquire('team', { costUsd: 0.9 });
    if (!held.ok) throw new Error('expected an admission');
    const before = await count();
    await state.claim({ agent: 'a', resource: 'r' });
    await directory.heartbeat('h');
    await sessions.listSessions();
    // A bus wait and a limiter wait, both blocked on the team's one reader.
    const waiting = bus.wait('t', { afterSeq: 0, timeoutMs: 60_000 });
    const queued = limiter.acquire('team', { costUsd: 0.5 });
    await limiter.idle();
    await new Promise((resolve) => setTimeout(resolve, 100)); // the reader's XREAD is in
    expect((await count()) - before).toBeLessThanOrEqual(2);
    // Both are served through it: a post, and a refund made by the other process.
    await bus.post('t', { from: 'x', body: 'hi' });
    expect((await waiting).map((m) => m.body)).toEqual(['hi']);
    await held.lease.cancel();
    expect((await queued).keys).toEqual(['team']);
  });
});

describe('auth', () => {
  it('reports a refused password as ERR_BACKEND_AUTH', async () => {
    const server = await startRedisServer({ args: ['--requirepass', 'right'] });
    try {
      const clock = new SimulatedClock();
      const none = createRedisSharedState({ redis: server.url, clock, commandTimeoutMs: 2_000 });
      const wrong = createRedisSharedState({
        redis: `redis://:wrong@127.0.0.1:${server.port}`,
        clock,
        commandTimeoutMs: 2_000,
      });
      const right = createRedisSharedState({
        redis: `redis://:right@127.0.0.1:${server.port}`,
        clock,
      });
      try {
        const errors = await Promise.all([
          none.claim({ agent: 'a', resource: 'r' }).catch((e: unknown) => e),
          wrong.claim({ agent: 'a', resource: 'r' }).catch((e: unknown) => e),
        ]);
        for (const error of errors)
          expect((error as { code?: string }).code).toBe('ERR_BACKEND_AUTH');
        expect((await right.claim({ agent: 'a', resource: 'r' })).ok).toBe(true);
      } finally {
        await Promise.all([none.close(), wrong.close(), right.close()]);
      }
    } finally {
      await server.stop();
    }
  });
});
