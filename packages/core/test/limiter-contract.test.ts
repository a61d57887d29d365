import { createRateLimiter, SimulatedClock } from '@troupe/core';
import { limiterContract } from '@troupe/core/testing';

limiterContract('memory limiter', async (rules) => {
  const clock = new SimulatedClock();
  return { limiter: createRateLimiter({ clock, rules }), clock };
});
