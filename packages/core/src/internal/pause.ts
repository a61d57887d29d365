import type { Clock } from '../clock.js';

/**
 * Resolves after `ms` on `clock`, or at once when `signal` aborts (never rejects): a backoff
 * between retries that a cancel or a close cuts short, leaving no timer behind.
 */
export function pause(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clock.clearTimeout(handle);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const handle = clock.setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
