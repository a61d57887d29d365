import {
  createRateLimiter,
  isTroupeError,
  type RateLimiterLease,
  type RateLimitRule,
  SimulatedClock,
} from '@troupe/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// What only the in-memory limiter promises on top of the contract (limiter-contract.test.ts):
// synchronous answers, construction-time validation, and its waiter bookkeeping.

const errorOf = (fn: () => unknown): { code: string; message: string } => {
  try {
    fn();
  } catch (error) {
    if (isTroupeError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a throw');
};

describe('createRateLimiter options', () => {
  const bad: [string, unknown, string][] = [
    ['a missing clock', { rules: [] }, 'options.clock'],
    ['rules that are not an array', { rules: {} }, 'options.rules'],
    ['an unknown option', { rules: [], rule: [] }, 'options.rule'],
    ['a rule without key', { rules: [{ windowMs: 1, requests: 1 }] }, 'options.rules[0].key'],
    [
      'a duplicate key',
      {
        rules: [
          { key: 'a', budgetUsd: 1 },
          { key: 'a', budgetUsd: 2 },
        ],
      },
      'options.rules[1].key',
    ],
    [
      'a zero request limit',
      { rules: [{ key: 'a', windowMs: 1, requests: 0 }] },
      'options.rules[0].requests',
    ],
    [
      'a fractional token limit',
      { rules: [{ key: 'a', windowMs: 1, tokens: 1.5 }] },
      'options.rules[0].tokens',
    ],
    ['a negative budget', { rules: [{ key: 'a', budgetUsd: -1 }] }, 'options.rules[0].budgetUsd'],
    [
      'a windowed limit without windowMs',
      { rules: [{ key: 'a', requests: 5 }] },
      'options.rules[0].windowMs',
    ],
    [
      'a zero window',
      { rules: [{ key: 'a', windowMs: 0, requests: 5 }] },
      'options.rules[0].windowMs',
    ],
    [
      'an infinite window',
      { rules: [{ key: 'a', windowMs: Number.POSITIVE_INFINITY, requests: 5 }] },
      'options.rules[0].windowMs',
    ],
    ['a rule that limits nothing', { rules: [{ key: 'a', windowMs: 1_000 }] }, 'options.rules[0]'],
    [
      'an unknown rule field',
      { rules: [{ key: 'a', budgetUsd: 1, burst: 2 }] },
      'options.rules[0].burst',
    ],
  ];
  for (const [what, options, named] of bad) {
    it(`refuses ${what}, naming ${named}`, () => {
      const withClock =
        what === 'a missing clock'
          ? options
          : { clock: new SimulatedClock(), ...(options as object) };
      const error = errorOf(() => createRateLimiter(withClock as never));
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
      expect(error.message).toContain(named);
    });
  }

  it('accepts no rules at all: nothing is limited', () => {
    const limiter = createRateLimiter({ clock: new SimulatedClock() });
    expect(limiter.tryAcquire('anything', { tokens: 1e9 }).ok).toBe(true);
  });
});

describe('in-memory limiter answers synchronously', () => {
  const rules: RateLimitRule[] = [{ key: 'a', windowMs: 1_000, requests: 1, tokens: 100 }];

  it('returns tryAcquire results, usage and lease methods without promises', () => {
    const limiter = createRateLimiter({ clock: new SimulatedClock(), rules });
    const first = limiter.tryAcquire('a', { tokens: 10 });
    expect(first.ok).toBe(true);
    expect(limiter.tryAcquire('a').ok).toBe(false);
    if (!first.ok) return;
    expect(first.lease.settle({ tokens: 5 })).toBeUndefined();
    expect(limiter.usage('a')).toEqual({ requests: 1, tokens: 5, costUsd: 0 });
    expect(first.lease.cancel()).toBeUndefined();
    expect(limiter.usage('a')).toEqual({ requests: 1, tokens: 5, costUsd: 0 });
  });

  it('throws ERR_LIMIT_EXCEEDS_CAPACITY from tryAcquire with the key and limit in details', () => {
    const limiter = createRateLimiter({ clock: new SimulatedClock(), rules });
    try {
      limiter.tryAcquire('a', { tokens: 500 });
      expect.unreachable();
    } catch (error) {
      expect(isTroupeError(error, 'ERR_LIMIT_EXCEEDS_CAPACITY')).toBe(true);
      expect(isTroupeError(error) && error.details).toEqual({
        key: 'a',
        reason: 'tokens',
        limit: 100,
        requested: 500,
      });
    }
  });

  it('keeps costs exact: refunds of fractional dollars leave zero, not -1e-17', () => {
    const limiter = createRateLimiter({
      clock: new SimulatedClock(),
      rules: [{ key: 'team', budgetUsd: 1 }],
    });
    const leases = [0.1, 0.2, 0.3].map((costUsd) => {
      const result = limiter.tryAcquire('team', { costUsd });
      if (!result.ok) throw new Error('refused');
      return result.lease;
    });
    expect(limiter.usage('team').costUsd).toBe(0.6);
    for (const lease of leases) lease.cancel();
    expect(limiter.usage('team')).toEqual({ requests: 0, tokens: 0, costUsd: 0 });
  });
});

describe('provider feedback without a reset time', () => {
  it('pauses a ruled key for its window when remainingRequests is 0', () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({
      clock,
      rules: [{ key: 'a', windowMs: 60_000, requests: 10 }],
    });
    limiter.observe('a', { remainingRequests: 0 });
    expect(limiter.tryAcquire('a')).toEqual({
      ok: false,
      reason: 'requests',
      retryAfterMs: 60_000,
    });
  });

  it('ignores it on a key no rule names (nothing says how long)', () => {
    const limiter = createRateLimiter({ clock: new SimulatedClock() });
    limiter.observe('free', { remainingTokens: 0 });
    expect(limiter.tryAcquire('free').ok).toBe(true);
  });

  it('keeps the later of two pauses', () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({ clock });
    limiter.observe('free', { retryAfterMs: 500 });
    limiter.observe('free', { retryAfterMs: 100 });
    expect(limiter.tryAcquire('free')).toEqual({
      ok: false,
      reason: 'requests',
      retryAfterMs: 500,
    });
  });
});

describe('waiter bookkeeping', () => {
  it('leaves no timer behind once every waiter is admitted', async () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({ clock, rules: [{ key: 'a', windowMs: 100, requests: 2 }] });
    const leases = Array.from({ length: 10 }, () => limiter.acquire('a', { maxWaitMs: 10_000 }));
    await clock.advance(500);
    const admitted = await Promise.all(leases);
    expect(admitted.map((lease) => lease.admittedAt)).toEqual([
      0, 0, 100, 100, 200, 200, 300, 300, 400, 400,
    ]);
    expect(clock.pending()).toBe(0);
  });

  it('queues a later request on an unruled key behind a multi-key waiter that names it', async () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({ clock, rules: [{ key: 'a', windowMs: 100, requests: 1 }] });
    limiter.tryAcquire('a');
    const both = limiter.acquire(['a', 'free']);
    expect(limiter.tryAcquire('free')).toEqual({
      ok: false,
      reason: 'requests',
      retryAfterMs: 100,
    });
    await clock.advance(100);
    expect((await both).admittedAt).toBe(100);
    expect(limiter.tryAcquire('free').ok).toBe(true);
  });

  it('reports the wait of the waiter a queue is stuck behind, across keys', () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({
      clock,
      rules: [
        { key: 'a', windowMs: 1_000, requests: 10 },
        { key: 'b', windowMs: 5_000, requests: 1 },
      ],
    });
    limiter.tryAcquire('b');
    void limiter.acquire(['a', 'b']).catch(() => undefined);
    void limiter.acquire('a').catch(() => undefined);
    // 'a' has room, but its queue waits for the multi-key waiter, which waits for 'b'.
    expect(limiter.tryAcquire('a')).toEqual({ ok: false, reason: 'requests', retryAfterMs: 5_000 });
  });

  it('close is idempotent and later settles do nothing', async () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({ clock, rules: [{ key: 'a', windowMs: 100, requests: 1 }] });
    const result = limiter.tryAcquire('a');
    await limiter.close();
    await limiter.close();
    if (!result.ok) throw new Error('refused');
    expect(() => result.lease.cancel()).not.toThrow();
    expect(() => limiter.usage('a')).toThrow(/closed/);
  });
});

describe('waiters on one key, random weights and timing', () => {
  it('are admitted in arrival order and never beyond the limits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            tokens: fc.integer({ min: 0, max: 100 }),
            gapMs: fc.integer({ min: 0, max: 300 }),
            settleTo: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        async (requests) => {
          const clock = new SimulatedClock();
          const rule = { key: 'a', windowMs: 1_000, requests: 3, tokens: 100 };
          const limiter = createRateLimiter({ clock, rules: [rule] });
          const order: number[] = [];
          const pending: Promise<RateLimiterLease>[] = [];
          for (const [i, request] of requests.entries()) {
            pending.push(
              limiter.acquire('a', { tokens: request.tokens }).then((lease) => {
                order.push(i);
                const usage = limiter.usage('a');
                expect(usage.requests).toBeLessThanOrEqual(rule.requests);
                expect(usage.tokens).toBeLessThanOrEqual(rule.tokens);
                // Settling below the estimate only: an overshoot may legally exceed the limit.
                if (request.settleTo !== undefined) {
                  lease.settle({ tokens: Math.min(request.settleTo, request.tokens) });
                }
                return lease;
              }),
            );
            await clock.advance(request.gapMs);
          }
          await clock.runUntilIdle();
          const leases = await Promise.all(pending);
          expect(order).toEqual(requests.map((_, i) => i));
          for (let i = 1; i < leases.length; i++) {
            expect(leases[i]!.admittedAt).toBeGreaterThanOrEqual(leases[i - 1]!.admittedAt);
          }
          expect(clock.pending()).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('waiters on several keys, with give-ups and refunds', () => {
  it('never admit a waiter before an earlier one sharing a key, and leave nothing behind', async () => {
    const keyArb = fc.subarray(['a', 'b', 'c'], { minLength: 1 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            keys: keyArb,
            tokens: fc.integer({ min: 0, max: 60 }),
            maxWaitMs: fc.option(fc.integer({ min: 0, max: 2_000 }), { nil: undefined }),
            abortAfterMs: fc.option(fc.integer({ min: 0, max: 2_000 }), { nil: undefined }),
            cancelAfterAdmit: fc.boolean(),
            gapMs: fc.integer({ min: 0, max: 200 }),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        async (requests) => {
          const clock = new SimulatedClock();
          const rules: RateLimitRule[] = [
            { key: 'a', windowMs: 500, requests: 2 },
            { key: 'b', windowMs: 300, tokens: 80 },
            { key: 'c', budgetUsd: 100 },
          ];
          const limiter = createRateLimiter({ clock, rules });
          const settledOrder: number[] = [];
          const admitted = new Set<number>();
          const pending: Promise<unknown>[] = [];
          for (const [i, request] of requests.entries()) {
            const controller = new AbortController();
            if (request.abortAfterMs !== undefined) {
              clock.setTimeout(() => controller.abort(), request.abortAfterMs);
            }
            pending.push(
              limiter
                .acquire(request.keys, {
                  tokens: request.tokens,
                  signal: controller.signal,
                  // Every waiter ends: by admission, abort or this deadline.
                  maxWaitMs: request.maxWaitMs ?? 5_000,
                })
                .then(
                  (lease) => {
                    settledOrder.push(i);
                    admitted.add(i);
                    expect(limiter.usage('a').requests).toBeLessThanOrEqual(2);
                    expect(limiter.usage('b').tokens).toBeLessThanOrEqual(80);
                    if (request.cancelAfterAdmit) lease.cancel();
                  },
                  (error: unknown) => {
                    settledOrder.push(i);
                    expect(
                      isTroupeError(error, 'ERR_RATE_LIMITED') ||
                        isTroupeError(error, 'ERR_ABORTED'),
                    ).toBe(true);
                  },
                ),
            );
            await clock.advance(request.gapMs);
          }
          await clock.runUntilIdle();
          await Promise.all(pending);
          expect(settledOrder).toHaveLength(requests.length);
          // FIFO per key: when j was admitted, every earlier i sharing a key had already ended.
          const position = new Map(settledOrder.map((i, at) => [i, at]));
          for (const j of admitted) {
            for (let i = 0; i < j; i++) {
              const shares = requests[i]!.keys.some((key) => requests[j]!.keys.includes(key));
              if (shares) expect(position.get(i)!).toBeLessThan(position.get(j)!);
            }
          }
          expect(clock.pending()).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
