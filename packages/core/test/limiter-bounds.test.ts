import type { RateLimiterLease, RateLimitRule } from '@troupe/core';
import { createRateLimiter, isTroupeError, SimulatedClock } from '@troupe/core';
import {
  DEFAULT_MAX_FEEDBACK_PAUSE_MS,
  MAX_COST_USD,
  MAX_COUNTER,
  MAX_LIMIT_UNITS,
  NANOS_PER_USD,
} from '@troupe/core/backend';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeOf } from './helpers/code-of.js';

const HUGE = 1.8e299;

describe('limiter bounds (issue 12, item 1)', () => {
  it('refuses a costUsd of 1.8e299 at admission: the key keeps admitting', () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({
      clock,
      rules: [{ key: 'api', windowMs: 1_000, requests: 10 }],
    });
    expect(codeOf(() => limiter.tryAcquire('api', { costUsd: HUGE }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => limiter.tryAcquire('api', { costUsd: HUGE }))).toBe('ERR_INVALID_ARGUMENT');
    expect(limiter.usage('api')).toEqual({ requests: 0, tokens: 0, costUsd: 0 });
    expect(limiter.tryAcquire('api', { costUsd: 0.5 }).ok).toBe(true);
  });

  it('refuses a settle of 1.8e299 and keeps the lease usable: counters stay finite', () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({
      clock,
      rules: [{ key: 'api', windowMs: 1_000, requests: 10 }],
    });
    const result = limiter.tryAcquire('api');
    if (!result.ok) throw new Error('expected an admission');
    for (let i = 0; i < 3; i++) {
      expect(codeOf(() => result.lease.settle({ costUsd: HUGE }))).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(codeOf(() => result.lease.settle({ tokens: MAX_LIMIT_UNITS + 1 }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(limiter.usage('api')).toEqual({ requests: 1, tokens: 0, costUsd: 0 });
    result.lease.settle({ costUsd: 0.25 });
    expect(limiter.usage('api')).toEqual({ requests: 1, tokens: 0, costUsd: 0.25 });
    expect(limiter.tryAcquire('api').ok).toBe(true);
  });

  it('refuses weights and rule limits outside the documented range', () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({
      clock,
      rules: [{ key: 'api', windowMs: 1_000, requests: 5 }],
    });
    const bad = [
      { tokens: MAX_LIMIT_UNITS + 1 },
      { requests: MAX_LIMIT_UNITS + 1 },
      { costUsd: MAX_COST_USD * 1.5 },
      { costUsd: Number.MAX_VALUE },
    ];
    for (const weight of bad) {
      expect(codeOf(() => limiter.tryAcquire('api', weight))).toBe('ERR_INVALID_ARGUMENT');
    }
    const rules: RateLimitRule[][] = [
      [{ key: 'a', windowMs: 1_000, tokens: MAX_LIMIT_UNITS + 1 }],
      [{ key: 'a', budgetUsd: MAX_COST_USD * 2 }],
      [{ key: 'a', budgetUsd: HUGE }],
    ];
    for (const set of rules) {
      expect(codeOf(() => createRateLimiter({ clock, rules: set }))).toBe('ERR_INVALID_ARGUMENT');
    }
    // The bounds themselves are accepted.
    expect(limiter.tryAcquire('free', { tokens: MAX_LIMIT_UNITS, costUsd: MAX_COST_USD }).ok).toBe(
      true,
    );
  });

  it('keeps cost exact: ten settles of $0.1 sum to $1 and cancels leave exactly 0', () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({ clock, rules: [{ key: 'team', budgetUsd: 100 }] });
    const leases: RateLimiterLease[] = [];
    for (let i = 0; i < 10; i++) {
      const result = limiter.tryAcquire('team', { costUsd: 0.3 });
      if (!result.ok) throw new Error('expected an admission');
      result.lease.settle({ costUsd: 0.1 });
      leases.push(result.lease);
    }
    expect(limiter.usage('team').costUsd).toBe(1);
    const extra = limiter.tryAcquire('team', { costUsd: 0.7 });
    if (!extra.ok) throw new Error('expected an admission');
    extra.lease.cancel();
    expect(limiter.usage('team').costUsd).toBe(1);
  });

  it('limits a dimension no rule limits at MAX_COUNTER, so sums stay exact', () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({
      clock,
      rules: [{ key: 'api', windowMs: 1_000, requests: 100 }],
    });
    const perCall = MAX_COST_USD * NANOS_PER_USD;
    const fit = Math.floor(MAX_COUNTER / perCall);
    for (let i = 0; i < fit; i++) {
      expect(limiter.tryAcquire('api', { costUsd: MAX_COST_USD }).ok).toBe(true);
    }
    expect(limiter.tryAcquire('api', { costUsd: MAX_COST_USD })).toEqual({
      ok: false,
      reason: 'budget',
      retryAfterMs: 1_000,
    });
    const small = limiter.tryAcquire('api');
    if (!small.ok) throw new Error('a zero-cost request still fits');
    expect(codeOf(() => small.lease.settle({ costUsd: MAX_COST_USD }))).toBe(
      'ERR_LIMIT_EXCEEDS_CAPACITY',
    );
    expect(limiter.usage('api').costUsd).toBe((fit * perCall) / NANOS_PER_USD);
    small.lease.cancel();
    expect(limiter.usage('api').requests).toBe(fit);
  });
});

describe('limiter feedback cap (issue 12, item 2)', () => {
  it('caps a retry-after of 999999999 s at the default maxFeedbackPauseMs', () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({ clock, rules: [] });
    limiter.observe('team', { retryAfterMs: 999_999_999_000 });
    expect(limiter.tryAcquire('team')).toEqual({
      ok: false,
      reason: 'requests',
      retryAfterMs: DEFAULT_MAX_FEEDBACK_PAUSE_MS,
    });
  });

  it('takes maxFeedbackPauseMs as an option, for resets too', async () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({
      clock,
      rules: [{ key: 'api', windowMs: 60_000, tokens: 1_000 }],
      maxFeedbackPauseMs: 2_000,
    });
    limiter.observe('api', { remainingTokens: 0, resetTokensMs: 86_400_000 });
    expect(limiter.tryAcquire('api', { tokens: 1 })).toEqual({
      ok: false,
      reason: 'tokens',
      retryAfterMs: 2_000,
    });
    const waiting = limiter.acquire('api', { tokens: 1 });
    await clock.advance(2_000);
    expect((await waiting).admittedAt).toBe(2_000);
  });

  it('refuses a bad maxFeedbackPauseMs naming it', () => {
    const clock = new SimulatedClock();
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '5']) {
      expect(() =>
        createRateLimiter({ clock, rules: [], maxFeedbackPauseMs: bad as number }),
      ).toThrow(/maxFeedbackPauseMs/);
    }
  });

  it('waits out a capped pause with one timer, never a chain of short ones', async () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({ clock, rules: [] });
    limiter.observe('team', { retryAfterMs: 1e15 });
    const waiting = limiter.acquire('team');
    let fired = 0;
    while (clock.nextDue() !== undefined && fired < 10) {
      await clock.advance(clock.nextDue()! - clock.now());
      fired++;
    }
    expect(fired).toBe(1);
    expect((await waiting).admittedAt).toBe(DEFAULT_MAX_FEEDBACK_PAUSE_MS);
  });
});

// -- property: counters equal the sum of live entries, refusals change nothing -------------------

interface Entry {
  readonly keys: readonly string[];
  readonly at: number;
  readonly lease: RateLimiterLease;
  requests: number;
  tokens: number;
  nanos: number;
  done: boolean;
}

const RULES: RateLimitRule[] = [
  { key: 'win', windowMs: 500, requests: 50 },
  { key: 'tok', windowMs: 200, tokens: MAX_LIMIT_UNITS },
  { key: 'life', budgetUsd: 50_000 },
];
const WINDOW: Record<string, number> = { win: 500, tok: 200, life: Number.POSITIVE_INFINITY };
const KEYS = ['win', 'tok', 'life', 'free'];

const countArb = fc.oneof(
  fc.integer({ min: 0, max: 5 }),
  fc.integer({ min: 0, max: MAX_LIMIT_UNITS }),
  fc.constantFrom(-1, 0.5, Number.NaN, MAX_LIMIT_UNITS + 1, HUGE, Number.POSITIVE_INFINITY),
);
const costArb = fc.oneof(
  fc.double({ min: 0, max: 10, noNaN: true }),
  fc.double({ min: 0, max: MAX_COST_USD, noNaN: true }),
  fc.constantFrom(-0.5, Number.NaN, HUGE, 1e300, Number.POSITIVE_INFINITY, MAX_COST_USD + 1),
);
const opArb = fc.oneof(
  fc.record({
    kind: fc.constant('try' as const),
    keys: fc.subarray(KEYS, { minLength: 1 }),
    requests: fc.option(countArb, { nil: undefined }),
    tokens: fc.option(countArb, { nil: undefined }),
    costUsd: fc.option(costArb, { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('settle' as const),
    lease: fc.nat(),
    tokens: fc.option(countArb, { nil: undefined }),
    costUsd: fc.option(costArb, { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('cancel' as const), lease: fc.nat() }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 300 }) }),
);

const snapshot = (limiter: ReturnType<typeof createRateLimiter>) =>
  KEYS.map((key) => limiter.usage(key));

const nanosOf = (usd: number | undefined): number =>
  usd === undefined ? 0 : Math.round(usd * NANOS_PER_USD);

describe('limiter property: exact counters under random valid and invalid weights', () => {
  it('counters equal the sum of live entries; refusals change nothing; no key is poisoned', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const clock = new SimulatedClock();
        const limiter = createRateLimiter({ clock, rules: RULES });
        const entries: Entry[] = [];
        for (const op of ops) {
          const before = snapshot(limiter);
          if (op.kind === 'advance') {
            clock.advanceSync(op.ms);
            continue;
          }
          try {
            if (op.kind === 'try') {
              const options = {
                ...(op.requests === undefined ? {} : { requests: op.requests }),
                ...(op.tokens === undefined ? {} : { tokens: op.tokens }),
                ...(op.costUsd === undefined ? {} : { costUsd: op.costUsd }),
              };
              const result = limiter.tryAcquire(op.keys, options);
              if (result.ok) {
                entries.push({
                  keys: op.keys,
                  at: clock.now(),
                  lease: result.lease,
                  requests: op.requests ?? 1,
                  tokens: op.tokens ?? 0,
                  nanos: nanosOf(op.costUsd),
                  done: false,
                });
              } else {
                expect(snapshot(limiter)).toEqual(before);
              }
            } else if (entries.length > 0) {
              const entry = entries[op.lease % entries.length]!;
              if (op.kind === 'cancel') {
                entry.lease.cancel();
                if (!entry.done) {
                  entry.requests = 0;
                  entry.tokens = 0;
                  entry.nanos = 0;
                  entry.done = true;
                }
              } else {
                const actual = {
                  ...(op.tokens === undefined ? {} : { tokens: op.tokens }),
                  ...(op.costUsd === undefined ? {} : { costUsd: op.costUsd }),
                };
                entry.lease.settle(actual);
                if (!entry.done) {
                  if (op.tokens !== undefined) entry.tokens = op.tokens;
                  if (op.costUsd !== undefined) entry.nanos = nanosOf(op.costUsd);
                  entry.done = true;
                }
              }
            }
          } catch (error) {
            if (
              !isTroupeError(error, 'ERR_INVALID_ARGUMENT') &&
              !isTroupeError(error, 'ERR_LIMIT_EXCEEDS_CAPACITY')
            ) {
              throw error;
            }
            expect(snapshot(limiter)).toEqual(before);
          }
          // Every counter is the exact sum of the live entries of its key.
          for (const key of ['win', 'tok', 'life']) {
            const live = entries.filter(
              (e) => e.keys.includes(key) && clock.now() - e.at < WINDOW[key]!,
            );
            const sum = (pick: (e: Entry) => number) => live.reduce((s, e) => s + pick(e), 0);
            const usage = limiter.usage(key);
            expect(usage.requests).toBe(sum((e) => e.requests));
            expect(usage.tokens).toBe(sum((e) => e.tokens));
            expect(usage.costUsd).toBe(sum((e) => e.nanos) / NANOS_PER_USD);
            expect(Number.isSafeInteger(usage.tokens)).toBe(true);
          }
        }
        // No key is poisoned: once the windows have passed, the windowed keys admit again.
        clock.advanceSync(1_000);
        expect(limiter.tryAcquire(['win', 'tok', 'free']).ok).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
