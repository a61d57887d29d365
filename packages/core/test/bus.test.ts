import { createBus, SimulatedClock } from '@troupe/core';
import { busContract } from '@troupe/core/testing';

busContract('memory', async () => {
  const clock = new SimulatedClock();
  const bus = createBus({ clock });
  return { bus, clock, cleanup: () => bus.close() };
});
