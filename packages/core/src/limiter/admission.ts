// Admission decisions of the in-memory limiter over its key states: whether a weight fits now,
// and if not, why and for how long. Pure functions of the states, the weight and the time.

import type { LimitReason } from '../backend/interfaces.js';
import { checkCapacity, type Weight } from '../backend/limiter-options.js';
import { TroupeError } from '../errors.js';
import type { KeyState } from './key-state.js';
import { REASONS } from './window.js';

/** A refused admission: the limiting dimension and the wait until the weight fits. */
export type Refusal = {
  readonly ok: false;
  readonly reason: LimitReason;
  readonly retryAfterMs: number;
};

/** Refuses a weight larger than any key's whole window could ever admit. */
export function checkStatesCapacity(states: readonly KeyState[], weight: Weight): void {
  for (let i = 0; i < states.length; i++) {
    const window = states[i]!.window;
    if (window !== undefined) checkCapacity(window, weight);
  }
}

/** Whether the weight fits every key now (no pause, room in every window). */
export function admissible(states: readonly KeyState[], weight: Weight, now: number): boolean {
  for (let i = 0; i < states.length; i++) {
    const state = states[i]!;
    if (state.pausedRequestsUntil > now || state.pausedTokensUntil > now) return false;
    const window = state.window;
    if (window === undefined) continue;
    window.evict(now);
    if (!window.admits(weight.requests, weight.tokens, weight.cost)) return false;
  }
  return true;
}

/**
 * Why a weight does not fit, and the exact wait until it does (assuming nothing else is
 * admitted): the largest wait over every key and dimension, since all must fit at once and
 * each only gets better with time. Ties report requests, then tokens, then budget.
 */
export function refusalOf(states: readonly KeyState[], weight: Weight, now: number): Refusal {
  let reason: LimitReason = 'requests';
  let wait = 0;
  for (const state of states) {
    const window = state.window;
    window?.evict(now);
    for (let d = 0 as 0 | 1 | 2; d <= 2; d = (d + 1) as 0 | 1 | 2) {
      const amount = d === 0 ? weight.requests : d === 1 ? weight.tokens : weight.cost;
      let ms = window === undefined ? 0 : window.waitMs(d, amount, now);
      const paused = d === 0 ? state.pausedRequestsUntil : d === 1 ? state.pausedTokensUntil : now;
      if (paused - now > ms) ms = paused - now;
      if (ms > wait) {
        wait = ms;
        reason = REASONS[d]!;
      }
    }
  }
  return { ok: false, reason, retryAfterMs: wait };
}

/**
 * `tryAcquire` on a key with waiters never jumps the queue. The refusal reports the larger
 * of its own wait and the wait of the waiter the queue is stuck behind: a lower bound.
 */
export function queueRefusal(states: readonly KeyState[], weight: Weight, now: number): Refusal {
  let best = admissible(states, weight, now) ? undefined : refusalOf(states, weight, now);
  for (const state of states) {
    let waiter = state.first?.waiter;
    if (waiter === undefined) continue;
    // Follow the chain of "blocked behind" to a waiter at the head of all its queues.
    // Terminates: each step goes to a strictly earlier waiter.
    for (;;) {
      const node: { state: KeyState } | undefined = waiter.nodes.find((n) => n.state.first !== n);
      if (node === undefined) break;
      waiter = node.state.first!.waiter;
    }
    if (admissible(waiter.states, waiter.weight, now)) continue;
    const refusal = refusalOf(waiter.states, waiter.weight, now);
    if (best === undefined || refusal.retryAfterMs > best.retryAfterMs) best = refusal;
  }
  return best ?? { ok: false, reason: 'requests', retryAfterMs: 0 };
}

/** The `ERR_RATE_LIMITED` an acquire rejects with once it gives up waiting. */
export function rateLimitedError(
  keys: readonly string[],
  waitedMs: number,
  refusal: Refusal,
): TroupeError {
  return new TroupeError(
    'ERR_RATE_LIMITED',
    `rate limited on ${keys.join(', ')} (${refusal.reason}) after waiting ${waitedMs} ms`,
    { details: { keys, waitedMs, reason: refusal.reason, retryAfterMs: refusal.retryAfterMs } },
  );
}
