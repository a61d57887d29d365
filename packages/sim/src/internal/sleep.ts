import { abortedError, type Clock } from '@troupe/core';

/**
 * Waits `ms` on `clock` (a simulated model's latency or backoff); rejects with `ERR_ABORTED`
 * when `signal` aborts, leaving no timer or listener behind.
 */
export function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(signal, 'model call'));
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(abortedError(signal, 'model call'));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
