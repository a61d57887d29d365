// The team directory contract against the in-memory directory (one process: every handle is
// the same object).
import { createMemoryDirectory, SimulatedClock } from '@troupe/core';
import { directoryContract } from '@troupe/core/testing';

directoryContract('memory', async () => {
  const clock = new SimulatedClock();
  const directory = createMemoryDirectory({ clock, hostTtlMs: 10_000 });
  return { directory, clock, hostTtlMs: 10_000, peer: () => directory };
});
