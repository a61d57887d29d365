// The team directory contract against the in-memory directory (one process: every handle is
// the same object).
import { createMemoryDirectory, SimulatedClock } from '@troupe/core';
import { directoryContract } from '@troupe/core/testing';
import { expect, it } from 'vitest';

directoryContract('memory', async () => {
  const clock = new SimulatedClock();
  const directory = createMemoryDirectory({ clock, hostTtlMs: 10_000 });
  return { directory, clock, hostTtlMs: 10_000, peer: () => directory };
});

it('keeps its methods on the directory itself: a wrapper may spread it or take one off it', () => {
  const directory = createMemoryDirectory({ clock: new SimulatedClock() });
  const { heartbeat } = directory;
  const wrapped = { ...directory };
  heartbeat('host-a');
  expect(wrapped.hosts().map((lease) => lease.host)).toEqual(['host-a']);
});
