// The same contract suites the in-memory backends pass, run against Redis backends on a real
// redis-server. Each test gets its own team (so its own keys) and a fresh SimulatedClock.
import { SimulatedClock } from '@troupe/core';
import { busContract, sharedStateContract } from '@troupe/core/testing';
import { createRedisBus, createRedisSharedState } from '@troupe/redis';
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
