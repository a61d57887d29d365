import { isTroupeError, SimulatedClock } from '@troupe/core';
import { createRedisSharedState } from '@troupe/redis';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueTeam, useRedisServer } from './helpers/server.js';

const ctx = useRedisServer();
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function setup(options: { defaultTtlMs?: number; team?: string } = {}) {
  const clock = new SimulatedClock(1_000);
  const state = createRedisSharedState({
    redis: ctx.server.url,
    clock,
    team: options.team ?? uniqueTeam(),
    ...(options.defaultTtlMs === undefined ? {} : { defaultTtlMs: options.defaultTtlMs }),
  });
  open.push(state);
  return { clock, state };
}

describe('redis shared state', () => {
  it('grants a claim with the clock times and a first token seeded from the clock', async () => {
    const { state } = setup({ defaultTtlMs: 500 });
    const result = await state.claim({ agent: 'a', resource: 'r', start: 1, end: 5 });
    expect(result).toEqual({
      ok: true,
      claim: {
        agent: 'a',
        resource: 'r',
        start: 1,
        end: 5,
        token: 1_000_001,
        grantedAt: 1_000,
        expiresAt: 1_500,
      },
    });
  });

  it('refuses an overlapping claim of another agent with the blocking claim', async () => {
    const { state } = setup();
    await state.claim({ agent: 'a', resource: 'r', start: 10, end: 20 });
    const result = await state.claim({ agent: 'b', resource: 'r', start: 20, end: 30 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.conflict).toMatchObject({ agent: 'a', start: 10, end: 20 });
    expect((await state.claim({ agent: 'b', resource: 'r', start: 21, end: 30 })).ok).toBe(true);
  });

  it('honours expiresAt on read even though Redis still holds the key', async () => {
    const { clock, state } = setup();
    await state.claim({ agent: 'a', resource: 'r', ttlMs: 100 });
    await clock.advance(100);
    expect(await state.claims()).toEqual([]);
    expect((await state.claim({ agent: 'b', resource: 'r' })).ok).toBe(true);
  });

  it('shares claims and tokens between two backends on the same team', async () => {
    const team = uniqueTeam();
    const one = setup({ team }).state;
    const two = setup({ team }).state;
    const first = await one.claim({ agent: 'a', resource: 'r' });
    const second = await two.claim({ agent: 'b', resource: 'r' });
    expect(second.ok).toBe(false);
    const other = await two.claim({ agent: 'b', resource: 'q' });
    expect(first.ok && other.ok && other.claim.token > first.claim.token).toBe(true);
  });

  it('lists claims in grant order and filters by agent and resource', async () => {
    const { state } = setup();
    await state.claim({ agent: 'a', resource: 'x' });
    await state.claim({ agent: 'b', resource: 'y' });
    await state.claim({ agent: 'a', resource: 'z' });
    expect((await state.claims()).map((c) => c.resource)).toEqual(['x', 'y', 'z']);
    expect((await state.claims({ agent: 'a' })).map((c) => c.resource)).toEqual(['x', 'z']);
    expect((await state.claims({ resource: 'y' })).map((c) => c.agent)).toEqual(['b']);
  });

  it('releases once and renews only a live claim', async () => {
    const { clock, state } = setup();
    await state.claim({ agent: 'a', resource: 'r', ttlMs: 100 });
    const renewed = await state.renew('a', 'r', 1_000);
    expect(renewed?.expiresAt).toBe(2_000);
    expect(await state.release('a', 'r')).toBe(true);
    expect(await state.release('a', 'r')).toBe(false);
    await state.claim({ agent: 'a', resource: 's', ttlMs: 10 });
    await clock.advance(10);
    expect(await state.renew('a', 's')).toBeUndefined();
  });

  it('numbers discoveries from 1 and filters by topic, agent, afterSeq and limit', async () => {
    const { state } = setup();
    await state.discover({ agent: 'a', topic: 't1', content: { n: 1 } });
    await state.discover({ agent: 'b', topic: 't2', content: 'two' });
    await state.discover({ agent: 'a', topic: 't1', content: [3] });
    expect((await state.discoveries()).map((d) => d.seq)).toEqual([1, 2, 3]);
    expect((await state.discoveries({ topic: 't1' })).map((d) => d.content)).toEqual([
      { n: 1 },
      [3],
    ]);
    expect((await state.discoveries({ agent: 'b' })).map((d) => d.seq)).toEqual([2]);
    expect((await state.discoveries({ afterSeq: 1, limit: 1 })).map((d) => d.seq)).toEqual([2]);
  });

  it('handles agents and resources with non-ASCII names and separators', async () => {
    const { state } = setup();
    await state.claim({ agent: 'é:1|x', resource: 'ré|s:0' });
    expect(await state.claims({ agent: 'é:1|x' })).toMatchObject([
      { agent: 'é:1|x', resource: 'ré|s:0' },
    ]);
  });

  it('rejects bad input with ERR_INVALID_ARGUMENT', async () => {
    const { state } = setup();
    await expect(state.claim({ agent: 'a', resource: 'r', start: 5, end: 1 })).rejects.toSatisfy(
      (e) => isTroupeError(e, 'ERR_INVALID_ARGUMENT'),
    );
    await expect(state.claim({ agent: 'a', resource: 'r', ttlMs: 0 })).rejects.toSatisfy((e) =>
      isTroupeError(e, 'ERR_INVALID_ARGUMENT'),
    );
    expect(await state.claims()).toEqual([]);
  });

  it('works with an ioredis client passed in and leaves it open on close', async () => {
    const redis = new Redis(ctx.server.port, '127.0.0.1');
    const state = createRedisSharedState({
      redis,
      clock: new SimulatedClock(),
      team: uniqueTeam(),
    });
    expect((await state.claim({ agent: 'a', resource: 'r' })).ok).toBe(true);
    await state.close();
    expect(await redis.ping()).toBe('PONG');
    await expect(state.claims()).rejects.toSatisfy((e) => isTroupeError(e, 'ERR_CLOSED'));
    await redis.quit();
  });
});
