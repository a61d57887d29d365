import { createSharedState, SimulatedClock } from '@troupe/core';
import { sharedStateContract } from '@troupe/core/testing';

sharedStateContract('memory', async () => {
  const clock = new SimulatedClock();
  const state = createSharedState({ clock, defaultTtlMs: 60_000 });
  return { state, clock, defaultTtlMs: 60_000, cleanup: () => state.close() };
});
