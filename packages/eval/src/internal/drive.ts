import { type SimulatedClock, TroupeError } from '@troupe/core';

/** Turns of the event loop with nothing due on the clock before a rehearsal counts as stuck. */
const MAX_STALLS = 1_000;

/**
 * Moves a rehearsal's simulated clock until `done()`: whenever the suite's work has settled
 * (`settled()`: every live team's own work, then one macrotask turn for the chains around it),
 * to the next timer that is due. Past `maxMs` of simulated time it calls `stop()` (the runs are
 * cancelled) and goes on until done.
 */
export async function driveClock(
  clock: SimulatedClock,
  done: () => boolean,
  settled: () => Promise<unknown>,
  maxMs: number,
  stop: () => void,
): Promise<void> {
  let stalls = 0;
  let stopped = false;
  while (!done()) {
    // Advancing while a team still has work in flight (a delivery, a run's last steps) would
    // fire its later timers first: a bound of 60 s could pass before its answer is handled.
    await settled();
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (done()) return;
    const next = clock.nextDue();
    if (next === undefined) {
      if (++stalls > MAX_STALLS) {
        if (stopped)
          throw new TroupeError(
            'ERR_DEADLOCK',
            'the rehearsal is stuck: tasks wait on nothing the clock will fire',
          );
        stopped = true;
        stalls = 0;
        stop();
      }
      continue;
    }
    stalls = 0;
    if (next > maxMs && !stopped) {
      stopped = true;
      stop();
      continue;
    }
    await clock.advance(Math.max(0, next - clock.now()));
  }
}
