// A timeout of any length on any Clock. Node fires a setTimeout longer than 2^31 - 1 ms after
// about 1 ms, so a long wait is a chain of timers, each at most MAX_TIMER_MS, toward one deadline.
// `systemClock` and `SimulatedClock` already take any delay themselves; this helper is for code
// that must also run on a Clock of its own making that may not.
import type { Clock, TimerHandle } from '../clock.js';
import { MAX_TIMER_MS } from './validate.js';

/**
 * A pending {@link setLongTimeout}.
 *
 * @example
 * ```ts
 * const timeout: LongTimeout = setLongTimeout(clock, onTimeout, timeoutMs);
 * timeout.cancel();
 * ```
 */
export interface LongTimeout {
  /** Stops it: `fn` will not run. A no-op once it has fired or been cancelled. */
  cancel(): void;
}

class ChainedTimeout implements LongTimeout {
  readonly #clock: Clock;
  readonly #fn: () => void;
  readonly #deadline: number;
  readonly #fire = (): void => {
    this.#handle = undefined;
    const left = this.#deadline - this.#clock.now();
    // Not there yet (a link of a long chain, or a clock that fired early): re-arm for the rest.
    if (left > 0) this.#arm(left);
    else this.#fn();
  };
  #handle: TimerHandle | undefined;

  constructor(clock: Clock, fn: () => void, ms: number) {
    this.#clock = clock;
    this.#fn = fn;
    this.#deadline = clock.now() + ms;
    this.#arm(ms);
  }

  #arm(ms: number): void {
    this.#handle = this.#clock.setTimeout(this.#fire, Math.min(ms, MAX_TIMER_MS));
  }

  cancel(): void {
    if (this.#handle === undefined) return;
    this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
  }
}

/**
 * Runs `fn` once `ms` have passed on `clock`, however long `ms` is: no single timer handed to
 * the clock exceeds {@link MAX_TIMER_MS}; a longer timeout re-arms toward its deadline
 * (`clock.now() + ms` at the call) until the clock reaches it. `ms` must already be validated
 * (a non-negative number, e.g. from `parseWaitOptions`).
 *
 * @example
 * ```ts
 * import { setLongTimeout } from '@troupe/core/backend';
 *
 * // 30 days: two timers of at most 2^31 - 1 ms each, then `onTimeout` on day 30.
 * const timeout = setLongTimeout(clock, onTimeout, 30 * 24 * 3_600_000);
 * // ...woken before that:
 * timeout.cancel();
 * ```
 */
export function setLongTimeout(clock: Clock, fn: () => void, ms: number): LongTimeout {
  return new ChainedTimeout(clock, fn, ms);
}
