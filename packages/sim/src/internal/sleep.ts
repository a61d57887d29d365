import { abortedError, type Clock, type TimerHandle } from '@troupe/core';

/** A sleep in progress on a signal: its timer, and how to end it if the signal aborts. */
interface Sleeping {
  readonly clock: Clock;
  /** Undefined once the sleep is over (its timer fired). */
  handle: TimerHandle | undefined;
  readonly reject: (error: unknown) => void;
}

/**
 * The sleeps in progress per signal. Each signal gets one abort listener, at its first sleep,
 * instead of an add and a remove per sleep: a run's signal sees one sleep per model call, and an
 * EventTarget listener costs several objects each time. The entry leaves with the signal.
 */
const sleeping = new WeakMap<AbortSignal, Sleeping[]>();

function sleepsOn(signal: AbortSignal): Sleeping[] {
  let list = sleeping.get(signal);
  if (list === undefined) {
    const sleeps: Sleeping[] = [];
    list = sleeps;
    sleeping.set(signal, sleeps);
    signal.addEventListener(
      'abort',
      () => {
        sleeping.delete(signal);
        // In the order the sleeps began, as one listener per sleep would have been called.
        for (const sleep of sleeps) {
          if (sleep.handle === undefined) continue;
          sleep.clock.clearTimeout(sleep.handle);
          sleep.handle = undefined;
          sleep.reject(abortedError(signal, 'model call'));
        }
        sleeps.length = 0;
      },
      { once: true },
    );
  }
  return list;
}

/** Drops the sleeps that are over from the end of the list (usually all of it). */
function trim(sleeps: Sleeping[]): void {
  while (sleeps.length > 0 && sleeps[sleeps.length - 1]!.handle === undefined) sleeps.pop();
}

/**
 * Waits `ms` on `clock` (a simulated model's latency or backoff); rejects with `ERR_ABORTED`
 * when `signal` aborts, leaving no timer behind (and on the signal, at most one listener, shared
 * by every sleep on it).
 */
export function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal === undefined) {
      clock.setTimeout(resolve, ms);
      return;
    }
    if (signal.aborted) {
      reject(abortedError(signal, 'model call'));
      return;
    }
    const sleeps = sleepsOn(signal);
    const entry: Sleeping = { clock, handle: undefined, reject };
    entry.handle = clock.setTimeout(() => {
      entry.handle = undefined;
      trim(sleeps);
      resolve();
    }, ms);
    sleeps.push(entry);
  });
}
