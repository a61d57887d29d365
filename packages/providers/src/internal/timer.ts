import type { Clock, TimerHandle } from '@troupe/core';

/** The longest delay one platform timer takes (Node fires a longer one after about 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

/** A clock timer that may outlast one platform timer (longer waits are chained). */
export interface Timer {
  handle: TimerHandle | undefined;
}

/**
 * A clock timer, or none for `Infinity`. Delays past 2^31-1 ms are chained in steps (node and
 * some clocks would fire them at once), so a 30-day deadline means 30 days.
 */
export function arm(clock: Clock, fn: () => void, ms: number): Timer | undefined {
  if (!Number.isFinite(ms)) return undefined;
  // The common case, three times a call: one timer, no clock reading.
  if (ms <= MAX_TIMER_MS) return { handle: clock.setTimeout(fn, ms) };
  const timer: Timer = { handle: undefined };
  const due = clock.now() + ms;
  const step = (left: number): void => {
    if (left <= MAX_TIMER_MS) {
      timer.handle = clock.setTimeout(fn, Math.max(0, left));
      return;
    }
    timer.handle = clock.setTimeout(() => step(due - clock.now()), MAX_TIMER_MS);
  };
  step(ms);
  return timer;
}

export function disarm(clock: Clock, timer: Timer | undefined): void {
  if (timer?.handle !== undefined) clock.clearTimeout(timer.handle);
}
