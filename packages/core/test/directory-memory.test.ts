// The team directory contract against the in-memory directory (one process: every handle is
// the same object).
import { SimulatedClock } from '../src/clock.js';
import { createMemoryDirectory } from '../src/directory/memory-directory.js';
import { directoryContract } from '../src/testing/contracts/directory.js';

directoryContract('memory', async () => {
  const clock = new SimulatedClock();
  const directory = createMemoryDirectory({ clock, hostTtlMs: 10_000 });
  return { directory, clock, hostTtlMs: 10_000, peer: () => directory };
});
