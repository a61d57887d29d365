import type {
  AcquireOptions,
  LimiterUsage,
  RateLimitFeedback,
  TryAcquireOptions,
} from '../backend/interfaces.js';
import { feedbackPause } from '../backend/limiter-feedback.js';
import { NANOS_PER_USD, parseKeys, parseWeight, type Weight } from '../backend/limiter-options.js';
import { closedError, requireName } from '../backend/validate.js';
import type { Clock } from '../clock.js';
import { abortedError, type TroupeError } from '../errors.js';
import {
  admissible,
  checkStatesCapacity,
  queueRefusal,
  rateLimitedError,
  refusalOf,
} from './admission.js';
import { KeyState, type Waiter } from './key-state.js';
import { type LeaseOwner, MemoryLease } from './lease.js';
import { parseLimiterOptions } from './options.js';
import type {
  RateLimiter,
  RateLimiterLease,
  RateLimiterOptions,
  RateLimiterResult,
} from './types.js';
import type { RuleWindow } from './window.js';

const NO_STATES: readonly KeyState[] = Object.freeze([]);

const closed = (): TroupeError => closedError('the rate limiter');

/**
 * Creates the in-memory sliding-window rate limiter. See `packages/core/docs/limiter.md`.
 *
 * @example
 * ```ts
 * const limiter = createRateLimiter({ clock: systemClock, rules: [
 *   { key: 'openai', windowMs: 60_000, requests: 500, tokens: 200_000 },
 *   { key: 'team', budgetUsd: 5 },
 * ]});
 * const lease = await limiter.acquire(['openai', 'team'], { tokens: 1_200, maxWaitMs: 30_000 });
 * lease.settle({ tokens: 950, costUsd: 0.004 });
 * ```
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { clock, windows, maxFeedbackPauseMs } = parseLimiterOptions(options);
  return new MemoryRateLimiter(clock, windows, maxFeedbackPauseMs);
}

class MemoryRateLimiter implements RateLimiter, LeaseOwner {
  readonly #clock: Clock;
  readonly #maxPauseMs: number;
  readonly #states = new Map<string, KeyState>();
  readonly #waiters = new Set<Waiter>();
  /** Scratch weight for `tryAcquire` (synchronous, so one is enough). */
  readonly #weight: Weight = { requests: 1, tokens: 0, cost: 0 };
  #closed = false;

  constructor(clock: Clock, windows: readonly RuleWindow[], maxPauseMs: number) {
    this.#clock = clock;
    this.#maxPauseMs = maxPauseMs;
    for (const window of windows) this.#states.set(window.key, new KeyState(window.key, window));
  }

  get clock(): Clock {
    return this.#clock;
  }

  tryAcquire(keys: string | readonly string[], options?: TryAcquireOptions): RateLimiterResult {
    if (this.#closed) throw closed();
    const weight = this.#weight;
    parseWeight(options, weight, false);
    const now = this.#clock.now();
    if (typeof keys === 'string') {
      const lease = this.#fastAdmit(keys, weight, now);
      if (lease !== undefined) return { ok: true, lease };
    }
    const names = parseKeys(keys);
    const states = this.#existing(names);
    checkStatesCapacity(states, weight);
    for (let i = 0; i < states.length; i++) {
      if (states[i]!.first !== undefined) return queueRefusal(states, weight, now);
    }
    if (admissible(states, weight, now)) {
      return { ok: true, lease: this.#admit(names, states, weight, now) };
    }
    return refusalOf(states, weight, now);
  }

  acquire(keys: string | readonly string[], options?: AcquireOptions): Promise<RateLimiterLease> {
    try {
      if (this.#closed) throw closed();
      parseWeight(options, this.#weight, true);
      const signal = options?.signal;
      if (signal?.aborted) {
        parseKeys(keys); // bad input is reported as such, even with an aborted signal
        throw abortedError(signal, 'limiter acquire');
      }
      const now = this.#clock.now();
      if (typeof keys === 'string') {
        const lease = this.#fastAdmit(keys, this.#weight, now);
        if (lease !== undefined) return Promise.resolve(lease);
      }
      const weight: Weight = { ...this.#weight };
      const names = parseKeys(keys);
      const maxWaitMs = options?.maxWaitMs ?? Number.POSITIVE_INFINITY;
      const existing = this.#existing(names);
      checkStatesCapacity(existing, weight);
      if (
        existing.every((state) => state.first === undefined) &&
        admissible(existing, weight, now)
      ) {
        return Promise.resolve(this.#admit(names, existing, weight, now));
      }
      if (maxWaitMs <= 0) throw rateLimitedError(names, 0, refusalOf(existing, weight, now));
      // Unruled keys get a state too, so later requests on them queue behind this waiter.
      const states = names.map((key) => this.#stateFor(key));
      return new Promise<RateLimiterLease>((resolve, reject) => {
        const waiter: Waiter = {
          keys: names,
          states,
          nodes: [],
          weight,
          since: now,
          signal,
          resolve,
          reject,
          wake: undefined,
          wakeAt: Number.NaN,
          deadline: undefined,
          onAbort: undefined,
          done: false,
        };
        for (const state of states) waiter.nodes.push(state.append(waiter));
        this.#waiters.add(waiter);
        if (Number.isFinite(maxWaitMs)) {
          waiter.deadline = this.#clock.setTimeout(() => this.#expire(waiter), maxWaitMs);
        }
        if (signal !== undefined) {
          waiter.onAbort = () => this.#giveUp(waiter, abortedError(signal, 'limiter acquire'));
          signal.addEventListener('abort', waiter.onAbort, { once: true });
        }
        this.#pump(states);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  usage(key: string): LimiterUsage {
    if (this.#closed) throw closed();
    requireName(key, 'key');
    const window = this.#states.get(key)?.window;
    if (window === undefined) return { requests: 0, tokens: 0, costUsd: 0 };
    window.evict(this.#clock.now());
    return {
      requests: window.requests,
      tokens: window.tokens,
      costUsd: window.cost / NANOS_PER_USD,
    };
  }

  observe(key: string, feedback: RateLimitFeedback): void {
    if (this.#closed) throw closed();
    requireName(key, 'key');
    const pause = feedbackPause(
      feedback,
      this.#clock.now(),
      this.#states.get(key)?.window?.windowMs,
      this.#maxPauseMs,
    );
    if (pause === undefined) return;
    const state = this.#stateFor(key);
    state.pausedRequestsUntil = Math.max(state.pausedRequestsUntil, pause.requestsUntil);
    state.pausedTokensUntil = Math.max(state.pausedTokensUntil, pause.tokensUntil);
    // Re-arm the head waiter's timer for the later time.
    this.#pump(state.self);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of [...this.#waiters]) this.#giveUp(waiter, closed(), false);
  }

  /** Called by a lease after it settled or cancelled: capacity may have come back. */
  released(states: readonly KeyState[]): void {
    if (this.#waiters.size > 0) this.#pump(states);
  }

  get closed(): boolean {
    return this.#closed;
  }

  // -- admission ------------------------------------------------------------------------------

  /**
   * The hot path: one key, nothing queued or paused, and the weight fits. Builds no array (the
   * lease shares the key state's own `[key]` and `[state]`). Anything else returns undefined
   * and takes the general path, which also produces refusals and errors.
   */
  #fastAdmit(key: string, weight: Weight, now: number): MemoryLease | undefined {
    const state = this.#states.get(key);
    if (state === undefined) {
      if (key.length === 0) return undefined;
      return new MemoryLease(
        this,
        [key],
        NO_STATES,
        -1,
        now,
        weight.requests,
        weight.tokens,
        weight.cost,
      );
    }
    if (
      state.first !== undefined ||
      state.pausedRequestsUntil > now ||
      state.pausedTokensUntil > now
    ) {
      return undefined;
    }
    // A pause on an unruled key has ended and nobody waits: forget the key.
    if (state.window === undefined) this.#states.delete(key);
    const { requests, tokens, cost } = weight;
    const window = state.window;
    let seq = -1;
    if (window !== undefined) {
      if (window.exceeds(requests, tokens, cost) !== undefined) return undefined;
      window.evict(now);
      if (!window.admits(requests, tokens, cost)) return undefined;
      seq = window.push(now, requests, tokens, cost);
    }
    return new MemoryLease(this, state.keys, state.self, seq, now, requests, tokens, cost);
  }

  #existing(names: readonly string[]): KeyState[] {
    const states: KeyState[] = [];
    for (const key of names) {
      const state = this.#states.get(key);
      if (state !== undefined) states.push(state);
    }
    return states;
  }

  #stateFor(key: string): KeyState {
    let state = this.#states.get(key);
    if (state === undefined) {
      state = new KeyState(key, undefined);
      this.#states.set(key, state);
    }
    return state;
  }

  #admit(
    names: readonly string[],
    states: readonly KeyState[],
    weight: Weight,
    now: number,
  ): MemoryLease {
    const { requests, tokens, cost } = weight;
    const seqs: number[] | number =
      states.length === 1
        ? (states[0]!.window?.push(now, requests, tokens, cost) ?? -1)
        : states.map((state) => state.window?.push(now, requests, tokens, cost) ?? -1);
    return new MemoryLease(this, names, states, seqs, now, requests, tokens, cost);
  }

  // -- waiters --------------------------------------------------------------------------------

  /**
   * Admits queue heads that fit, in order, and arms the capacity timer of the ones that do
   * not. A waiter is only considered at the head of every queue it is in: a later request
   * never overtakes an earlier one, even one that would fit.
   */
  #pump(changed: readonly KeyState[]): void {
    if (this.#waiters.size === 0) return;
    const now = this.#clock.now();
    const todo = [...changed];
    while (todo.length > 0) {
      const waiter = todo.pop()!.first?.waiter;
      if (waiter === undefined || !waiter.nodes.every((node) => node.state.first === node))
        continue;
      if (admissible(waiter.states, waiter.weight, now)) {
        this.#remove(waiter);
        waiter.resolve(this.#admit(waiter.keys, waiter.states, waiter.weight, now));
        todo.push(...waiter.states);
      } else {
        this.#arm(waiter, now, now + refusalOf(waiter.states, waiter.weight, now).retryAfterMs);
      }
    }
  }

  #arm(waiter: Waiter, now: number, at: number): void {
    if (waiter.wakeAt === at) return;
    if (waiter.wake !== undefined) this.#clock.clearTimeout(waiter.wake);
    waiter.wake = undefined;
    waiter.wakeAt = at;
    // Infinity: only a refund (settle/cancel), maxWaitMs or abort can end this wait.
    if (!Number.isFinite(at)) return;
    waiter.wake = this.#clock.setTimeout(() => {
      waiter.wake = undefined;
      waiter.wakeAt = Number.NaN;
      this.#pump(waiter.states);
    }, at - now);
  }

  #expire(waiter: Waiter): void {
    waiter.deadline = undefined;
    // Capacity freeing at the very deadline still counts: admit first, then give up.
    this.#pump(waiter.states);
    if (waiter.done) return;
    const now = this.#clock.now();
    const refusal = refusalOf(waiter.states, waiter.weight, now);
    this.#giveUp(waiter, rateLimitedError(waiter.keys, now - waiter.since, refusal));
  }

  #giveUp(waiter: Waiter, error: TroupeError, pump = true): void {
    if (waiter.done) return;
    this.#remove(waiter);
    waiter.reject(error);
    // The ones queued behind it may fit now.
    if (pump) this.#pump(waiter.states);
  }

  #remove(waiter: Waiter): void {
    waiter.done = true;
    this.#waiters.delete(waiter);
    for (const node of waiter.nodes) node.state.unlink(node);
    if (waiter.wake !== undefined) this.#clock.clearTimeout(waiter.wake);
    if (waiter.deadline !== undefined) this.#clock.clearTimeout(waiter.deadline);
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.wake = undefined;
    waiter.deadline = undefined;
    const now = this.#clock.now();
    for (const state of waiter.states) {
      if (state.idle(now) && this.#states.get(state.key) === state) this.#states.delete(state.key);
    }
  }
}
