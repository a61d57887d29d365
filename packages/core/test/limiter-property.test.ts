import type { LimitReason, RateLimiterLease, RateLimitRule } from '@troupe/core';
import { createRateLimiter, isTroupeError, SimulatedClock } from '@troupe/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// Differential test: the ring-buffer limiter against a reference that keeps every admission in
// one array and filters it on every call. Costs are multiples of $0.25 so both sides add them
// exactly; the reference counts them in quarters.

interface Admission {
  readonly at: number;
  readonly keys: readonly string[];
  requests: number;
  tokens: number;
  quarters: number;
  done: boolean;
}

type Outcome =
  | { ok: true }
  | { ok: false; reason: LimitReason; retryAfterMs: number }
  | { error: string };

const DIMENSIONS: readonly LimitReason[] = ['requests', 'tokens', 'budget'];

/** Straight from docs/limiter.md, as slow and obvious as possible. */
class ReferenceLimiter {
  readonly admissions: Admission[] = [];
  readonly pausedRequests = new Map<string, number>();
  readonly pausedTokens = new Map<string, number>();
  now = 0;

  constructor(readonly rules: readonly RateLimitRule[]) {}

  rule(key: string): RateLimitRule | undefined {
    return this.rules.find((rule) => rule.key === key);
  }

  /** Use of `key` at time `at` (an admission counts while at - t < windowMs). */
  used(key: string, at: number): [number, number, number] {
    const rule = this.rule(key);
    const live = this.admissions.filter(
      (a) => a.keys.includes(key) && (rule?.windowMs === undefined || at - a.at < rule.windowMs),
    );
    return [
      live.reduce((sum, a) => sum + a.requests, 0),
      live.reduce((sum, a) => sum + a.tokens, 0),
      live.reduce((sum, a) => sum + a.quarters, 0),
    ];
  }

  limits(rule: RateLimitRule): [number, number, number] {
    const inf = Number.POSITIVE_INFINITY;
    return [
      rule.requests ?? inf,
      rule.tokens ?? inf,
      rule.budgetUsd === undefined ? inf : rule.budgetUsd * 4,
    ];
  }

  fitsAt(key: string, at: number, dimension: number, weight: number): boolean {
    const rule = this.rule(key);
    if (rule === undefined) return true;
    const used = this.used(key, at)[dimension]!;
    const limit = this.limits(rule)[dimension]!;
    return used < limit && used + weight <= limit;
  }

  /** Earliest wait until `weight` fits on one key and dimension, trying every expiry time. */
  waitFor(key: string, dimension: number, weight: number): number {
    let wait = 0;
    const paused =
      dimension === 0
        ? this.pausedRequests.get(key)
        : dimension === 1
          ? this.pausedTokens.get(key)
          : undefined;
    if (paused !== undefined && paused > this.now) wait = paused - this.now;
    if (this.fitsAt(key, this.now, dimension, weight)) return wait;
    const rule = this.rule(key)!;
    if (rule.windowMs === undefined) return Number.POSITIVE_INFINITY;
    const windowMs = rule.windowMs;
    const times = this.admissions
      .filter((a) => a.keys.includes(key) && this.now - a.at < windowMs)
      .map((a) => a.at + windowMs)
      .sort((x, y) => x - y);
    for (const time of times) {
      if (this.fitsAt(key, time, dimension, weight)) return Math.max(wait, time - this.now);
    }
    return Number.POSITIVE_INFINITY;
  }

  tryAcquire(keys: readonly string[], weight: [number, number, number]): Outcome {
    for (const key of keys) {
      const rule = this.rule(key);
      if (rule === undefined) continue;
      const limits = this.limits(rule);
      if (weight.some((w, d) => w > limits[d]!)) return { error: 'ERR_LIMIT_EXCEEDS_CAPACITY' };
    }
    let reason: LimitReason = 'requests';
    let wait = 0;
    for (const key of keys) {
      for (let d = 0; d < 3; d++) {
        const ms = this.waitFor(key, d, weight[d]!);
        if (ms > wait) {
          wait = ms;
          reason = DIMENSIONS[d]!;
        }
      }
    }
    if (wait > 0) return { ok: false, reason, retryAfterMs: wait };
    this.admissions.push({
      at: this.now,
      keys,
      requests: weight[0],
      tokens: weight[1],
      quarters: weight[2],
      done: false,
    });
    return { ok: true };
  }

  settle(index: number, tokens: number | undefined, quarters: number | undefined): void {
    const admission = this.admissions[index]!;
    if (admission.done) return;
    admission.done = true;
    if (tokens !== undefined) admission.tokens = tokens;
    if (quarters !== undefined) admission.quarters = quarters;
  }

  cancel(index: number): void {
    const admission = this.admissions[index]!;
    if (admission.done) return;
    admission.done = true;
    admission.requests = 0;
    admission.tokens = 0;
    admission.quarters = 0;
  }

  observe(key: string, dimension: 'requests' | 'tokens', resetMs: number): void {
    if (resetMs <= 0) return;
    const map = dimension === 'requests' ? this.pausedRequests : this.pausedTokens;
    map.set(key, Math.max(map.get(key) ?? Number.NEGATIVE_INFINITY, this.now + resetMs));
  }
}

const KEYS = ['a', 'b', 'c', 'free'] as const;

const rulesArb = fc.record({
  aWindow: fc.constantFrom(100, 250, 1_000),
  aRequests: fc.integer({ min: 1, max: 6 }),
  aTokens: fc.integer({ min: 20, max: 200 }),
  bWindow: fc.constantFrom(50, 400),
  bTokens: fc.integer({ min: 10, max: 100 }),
  bBudgetQuarters: fc.integer({ min: 1, max: 12 }),
  cBudgetQuarters: fc.integer({ min: 4, max: 40 }),
});

const opArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('try' as const),
      keys: fc.subarray([...KEYS], { minLength: 1 }),
      requests: fc.integer({ min: 0, max: 3 }),
      tokens: fc.integer({ min: 0, max: 80 }),
      quarters: fc.integer({ min: 0, max: 6 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      lease: fc.nat(),
      tokens: fc.option(fc.integer({ min: 0, max: 150 }), { nil: undefined }),
      quarters: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), lease: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constantFrom(50, 100, 250, 400, 1_000)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('observe' as const),
      key: fc.constantFrom(...KEYS),
      dimension: fc.constantFrom('requests' as const, 'tokens' as const),
      resetMs: fc.integer({ min: 0, max: 300 }),
    }),
  },
);

describe('limiter against a naive reference', () => {
  it('agrees on every result and every usage over random sequences', () => {
    fc.assert(
      fc.property(rulesArb, fc.array(opArb, { maxLength: 120 }), (r, ops) => {
        const rules: RateLimitRule[] = [
          { key: 'a', windowMs: r.aWindow, requests: r.aRequests, tokens: r.aTokens },
          { key: 'b', windowMs: r.bWindow, tokens: r.bTokens, budgetUsd: r.bBudgetQuarters / 4 },
          { key: 'c', budgetUsd: r.cBudgetQuarters / 4 },
        ];
        const clock = new SimulatedClock();
        const limiter = createRateLimiter({ clock, rules });
        const reference = new ReferenceLimiter(rules);
        // leases[i] is the lease of reference.admissions[i].
        const leases: RateLimiterLease[] = [];

        for (const op of ops) {
          if (op.kind === 'try') {
            const weight: [number, number, number] = [op.requests, op.tokens, op.quarters];
            const expected = reference.tryAcquire(op.keys, weight);
            let actual: Outcome;
            try {
              const result = limiter.tryAcquire(op.keys, {
                requests: op.requests,
                tokens: op.tokens,
                costUsd: op.quarters / 4,
              });
              if (result.ok) {
                leases.push(result.lease);
                actual = { ok: true };
              } else {
                actual = { ok: false, reason: result.reason, retryAfterMs: result.retryAfterMs };
              }
            } catch (error) {
              actual = { error: isTroupeError(error) ? error.code : String(error) };
            }
            expect(actual).toEqual(expected);
          } else if (op.kind === 'settle' || op.kind === 'cancel') {
            if (leases.length === 0) continue;
            const index = op.lease % leases.length;
            if (op.kind === 'cancel') {
              reference.cancel(index);
              leases[index]!.cancel();
            } else {
              reference.settle(index, op.tokens, op.quarters);
              leases[index]!.settle({
                ...(op.tokens === undefined ? {} : { tokens: op.tokens }),
                ...(op.quarters === undefined ? {} : { costUsd: op.quarters / 4 }),
              });
            }
          } else if (op.kind === 'advance') {
            clock.advanceSync(op.ms);
            reference.now += op.ms;
          } else {
            reference.observe(op.key, op.dimension, op.resetMs);
            limiter.observe(
              op.key,
              op.dimension === 'requests'
                ? { remainingRequests: 0, resetRequestsMs: op.resetMs }
                : { remainingTokens: 0, resetTokensMs: op.resetMs },
            );
          }
          for (const key of KEYS) {
            const [requests, tokens, quarters] = reference.rule(key)
              ? reference.used(key, reference.now)
              : [0, 0, 0];
            expect(limiter.usage(key)).toEqual({ requests, tokens, costUsd: quarters / 4 });
          }
        }
        expect(clock.pending()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
