// The same contract suites the in-memory backends pass, run against Redis backends on a real
// redis-server. Each test gets its own team (so its own keys) and a fresh SimulatedClock.
import { SimulatedClock } from '@troupe/core';
import { busContract, limiterContract, sharedStateContract } from '@troupe/core/testing';
import { createRedisBus, createRedisRateLimiter, createRedisSharedState } from '@troupe/redis';
import { uniqueTeam, useRedisServer } from './helpers/server.js';

const ctx = useRedisServer();

sharedStateContract('redis', async () => {
  const clock = new SimulatedClock();
  const state = createRedisSharedState({
    redis: ctx.server.url,
    clock,
    team: uniqueTeam(),
    defaultTtlMs: 60_000,
  });
  return { state, clock, defaultTtlMs: 60_000, cleanup: () => state.close() };
});

busContract('redis', async () => {
  const clock = new SimulatedClock();
  const bus = createRedisBus({ redis: ctx.server.url, clock, team: uniqueTeam() });
  return { bus, clock, cleanup: () => bus.close() };
});

limiterContract('redis', async (rules) => {
  const clock = new SimulatedClock();
  const limiter = createRedisRateLimiter({
    redis: ctx.server.url,
    clock,
    team: uniqueTeam(),
    rules,
  });
  return {
    limiter,
    clock,
    // Replies arrive over a socket: let them land, and let wakes they arm (due now) fire.
    flush: async () => {
      for (let round = 0; round < 50; round++) {
        await clock.advance(0);
        await limiter.idle();
        const next = clock.nextDue();
        if (next === undefined || next > clock.now()) break;
      }
    },
  };
});
