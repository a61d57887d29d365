import type { AcquireResult, Lease, LimiterBackend } from '../backend/interfaces.js';
import type { Clock } from '../clock.js';
import { isTroupeError, type TroupeError } from '../errors.js';
import { pause } from '../internal/pause.js';

/** How waiting for a lease ended when no lease came. */
export type LeaseFailure =
  | {
      readonly ok: false;
      readonly status: 'budget_exhausted' | 'rate_limited' | 'failed';
      readonly error: TroupeError;
    }
  | { readonly ok: false; readonly status: 'stale' };

/** A lease, or why there is none. */
export type LeaseOutcome = { readonly ok: true; readonly lease: Lease } | LeaseFailure;

/** Default bound on one lease wait (`leaseTimeoutMs`): 10 minutes. */
export const DEFAULT_LEASE_TIMEOUT_MS = 600_000;

/** What one lease wait needs. */
export interface LeaseWait {
  readonly limiter: LimiterBackend;
  readonly clock: Clock;
  readonly keys: readonly string[];
  readonly tokens: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** Jitter in [0, 1): seeded per agent, so a simulation replays the same backoff. */
  readonly random: () => number;
}

const TRANSIENT = new Set(['ERR_BACKEND_UNAVAILABLE', 'ERR_TIMEOUT']);
const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 5_000;

/** True when a refusal can never clear (a spent lifetime budget): waiting would hang. */
export function refusedForGood(result: AcquireResult): boolean {
  return !result.ok && result.reason === 'budget' && !Number.isFinite(result.retryAfterMs);
}

/**
 * Waits for a lease in the limiter's FIFO order, bounded by `timeoutMs` in all. A transient
 * backend fault (an outage, a backend timeout) is retried with jittered backoff inside the same
 * bound: it is never the agent's failure. A spent lifetime budget, the bound passing, or any
 * other fault end the wait with a status instead of a hang.
 */
export async function waitForLease(wait: LeaseWait): Promise<LeaseOutcome> {
  const { limiter, clock, keys, tokens, signal } = wait;
  const deadline = clock.now() + wait.timeoutMs;
  let backoff = FIRST_BACKOFF_MS;
  for (;;) {
    if (signal.aborted) return { ok: false, status: 'stale' };
    try {
      const maxWaitMs = Math.max(0, deadline - clock.now());
      const lease = await limiter.acquire(keys, { tokens, signal, maxWaitMs });
      return { ok: true, lease };
    } catch (error) {
      if (signal.aborted) return { ok: false, status: 'stale' };
      if (!isTroupeError(error)) throw error;
      if (error.code === 'ERR_BUDGET_EXHAUSTED')
        return { ok: false, status: 'budget_exhausted', error };
      if (error.code === 'ERR_RATE_LIMITED') return { ok: false, status: 'rate_limited', error };
      if (!TRANSIENT.has(error.code)) throw error;
      const delay = backoff / 2 + (backoff / 2) * wait.random();
      if (clock.now() + delay >= deadline) return { ok: false, status: 'failed', error };
      await pause(clock, delay, signal);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }
}
