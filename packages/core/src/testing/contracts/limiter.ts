import { afterEach, describe, expect, it } from 'vitest';
import type { Lease, LimiterBackend, RateLimitRule } from '../../backend/interfaces.js';
import { DEFAULT_MAX_FEEDBACK_PAUSE_MS } from '../../backend/limiter-feedback.js';
import { MAX_COST_USD, MAX_LIMIT_UNITS } from '../../backend/limiter-options.js';
import type { SimulatedClock } from '../../clock.js';
import { isTroupeError } from '../../errors.js';

/**
 * What a limiter contract `setup` returns: a fresh backend over the given rules, bound to `clock`.
 *
 * @example
 * ```ts
 * const fixture: LimiterFixture = { limiter: createRateLimiter({ clock, rules }), clock };
 * ```
 */
export interface LimiterFixture {
  /** A fresh limiter over exactly the rules given to `setup`, on `clock`. */
  readonly limiter: LimiterBackend;
  /** The clock the limiter reads; the suite moves it with `await clock.advance(ms)`. */
  readonly clock: SimulatedClock;
  /**
   * Lets in-flight backend work finish before the suite looks at a promise's state. Default:
   * `clock.advance(0)`, enough for an in-memory backend; a remote one waits for its replies.
   */
  readonly flush?: () => Promise<void>;
  /** Runs after each test, after `limiter.close()`. */
  readonly cleanup?: () => Promise<void>;
}

/**
 * Builds the fixture for one test: a limiter over exactly `rules` on a fresh `SimulatedClock(0)`.
 *
 * @example
 * ```ts
 * const setup: LimiterContractSetup = async (rules) => {
 *   const clock = new SimulatedClock();
 *   return { limiter: createRateLimiter({ clock, rules }), clock };
 * };
 * ```
 */
export type LimiterContractSetup = (rules: readonly RateLimitRule[]) => Promise<LimiterFixture>;

interface Tracked<T> {
  state: 'pending' | 'fulfilled' | 'rejected';
  value: T | undefined;
  error: unknown;
  promise: Promise<T>;
}

/** Watches a promise without leaving an unhandled rejection behind. */
function track<T>(promise: Promise<T>): Tracked<T> {
  const tracked: Tracked<T> = { state: 'pending', value: undefined, error: undefined, promise };
  promise.then(
    (value) => {
      tracked.state = 'fulfilled';
      tracked.value = value;
    },
    (error: unknown) => {
      tracked.state = 'rejected';
      tracked.error = error;
    },
  );
  return tracked;
}

/** The `TroupeError` code `fn` throws or rejects with (`'none'` if it succeeds). */
async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return 'none';
  } catch (error) {
    return isTroupeError(error) ? error.code : `not a TroupeError: ${String(error)}`;
  }
}

const codeOfTracked = (tracked: Tracked<unknown>): string =>
  isTroupeError(tracked.error) ? tracked.error.code : `${tracked.state}`;

/**
 * The rate limiter contract (packages/core/docs/limiter.md): every rule any {@link LimiterBackend}
 * must keep. Runs against the in-memory limiter here and against Redis in `@troupe/redis`.
 * Every call is awaited (a remote backend is async) and time moves only through
 * `await clock.advance(ms)`.
 *
 * @example
 * ```ts
 * import { createRateLimiter, SimulatedClock } from '@troupe/core';
 * import { limiterContract } from '@troupe/core/testing';
 *
 * limiterContract('memory limiter', async (rules) => {
 *   const clock = new SimulatedClock();
 *   return { limiter: createRateLimiter({ clock, rules }), clock };
 * });
 * ```
 */
export function limiterContract(name: string, setup: LimiterContractSetup): void {
  describe(`limiter contract: ${name}`, () => {
    let subject: LimiterFixture | undefined;

    afterEach(async () => {
      const done = subject;
      subject = undefined;
      if (done === undefined) return;
      await done.limiter.close();
      await done.cleanup?.();
    });

    const open = async (rules: readonly RateLimitRule[]) => {
      subject = await setup(rules);
      const { limiter, clock } = subject;
      const flush = subject.flush ?? (() => clock.advance(0));
      const lease = async (
        keys: string | readonly string[],
        options?: Parameters<LimiterBackend['tryAcquire']>[1],
      ): Promise<Lease> => {
        const result = await limiter.tryAcquire(keys, options);
        if (!result.ok) throw new Error(`expected an admission, got ${JSON.stringify(result)}`);
        return result.lease;
      };
      return { limiter, clock, flush, lease };
    };

    const perSecond = (requests: number): RateLimitRule[] => [
      { key: 'api', windowMs: 1_000, requests },
    ];

    describe('admission', () => {
      it('admits up to the request limit, then refuses with reason requests', async () => {
        const { limiter, lease } = await open(perSecond(3));
        for (let i = 0; i < 3; i++) await lease('api');
        const refused = await limiter.tryAcquire('api');
        expect(refused).toMatchObject({ ok: false, reason: 'requests' });
      });

      it('counts an admission at t while now - t < windowMs, and not at windowMs', async () => {
        const { limiter, clock, lease } = await open(perSecond(1));
        await lease('api');
        await clock.advance(999);
        expect((await limiter.tryAcquire('api')).ok).toBe(false);
        expect(await limiter.usage('api')).toEqual({ requests: 1, tokens: 0, costUsd: 0 });
        await clock.advance(1);
        expect(await limiter.usage('api')).toEqual({ requests: 0, tokens: 0, costUsd: 0 });
        expect((await limiter.tryAcquire('api')).ok).toBe(true);
      });

      it('reports the exact retryAfterMs: when the oldest admission leaves the window', async () => {
        const { limiter, clock, lease } = await open(perSecond(3));
        await lease('api');
        await clock.advance(100);
        await lease('api');
        await clock.advance(100);
        await lease('api');
        await clock.advance(300);
        expect(await limiter.tryAcquire('api')).toEqual({
          ok: false,
          reason: 'requests',
          retryAfterMs: 500,
        });
        await clock.advance(499);
        expect((await limiter.tryAcquire('api')).ok).toBe(false);
        await clock.advance(1);
        expect((await limiter.tryAcquire('api')).ok).toBe(true);
      });

      it('reports the time when enough tokens will have left the window', async () => {
        const { limiter, clock, lease } = await open([
          { key: 'llm', windowMs: 1_000, tokens: 100 },
        ]);
        await lease('llm', { tokens: 30 });
        await clock.advance(100);
        await lease('llm', { tokens: 30 });
        await clock.advance(100);
        await lease('llm', { tokens: 30 });
        // 90 used; 70 more needs the first two admissions (60 tokens) gone: at t = 1100.
        expect(await limiter.tryAcquire('llm', { tokens: 70 })).toEqual({
          ok: false,
          reason: 'tokens',
          retryAfterMs: 900,
        });
        await clock.advance(899);
        expect((await limiter.tryAcquire('llm', { tokens: 70 })).ok).toBe(false);
        await clock.advance(1);
        expect((await limiter.tryAcquire('llm', { tokens: 70 })).ok).toBe(true);
        expect(await limiter.usage('llm')).toEqual({ requests: 2, tokens: 100, costUsd: 0 });
      });

      it('reports the binding constraint: the dimension that frees last', async () => {
        const { limiter, clock, lease } = await open([
          { key: 'llm', windowMs: 1_000, requests: 2, tokens: 100 },
        ]);
        await lease('llm', { tokens: 10 });
        await clock.advance(400);
        await lease('llm', { tokens: 80 });
        // Requests fit again at 1000 (the first entry leaves); 50 more tokens only at 1400.
        const refused = await limiter.tryAcquire('llm', { tokens: 50 });
        expect(refused).toEqual({ ok: false, reason: 'tokens', retryAfterMs: 1_000 });
      });

      it('refuses a spent lifetime budget with retryAfterMs Infinity', async () => {
        const { limiter, lease } = await open([{ key: 'team', budgetUsd: 1 }]);
        await lease('team', { costUsd: 0.75 });
        expect(await limiter.tryAcquire('team', { costUsd: 0.5 })).toEqual({
          ok: false,
          reason: 'budget',
          retryAfterMs: Number.POSITIVE_INFINITY,
        });
        await lease('team', { costUsd: 0.25 });
        expect(await limiter.usage('team')).toEqual({ requests: 2, tokens: 0, costUsd: 1 });
      });

      it('refuses even a zero-cost request once the budget is spent', async () => {
        const { limiter, lease } = await open([{ key: 'team', budgetUsd: 1 }]);
        const first = await lease('team');
        await first.settle({ costUsd: 1 });
        expect(await limiter.tryAcquire('team')).toMatchObject({ ok: false, reason: 'budget' });
      });

      it('keeps a windowed budget per window', async () => {
        const { limiter, clock, lease } = await open([
          { key: 'team', windowMs: 1_000, budgetUsd: 1 },
        ]);
        await lease('team', { costUsd: 1 });
        expect(await limiter.tryAcquire('team', { costUsd: 0.5 })).toEqual({
          ok: false,
          reason: 'budget',
          retryAfterMs: 1_000,
        });
        await clock.advance(1_000);
        expect((await limiter.tryAcquire('team', { costUsd: 0.5 })).ok).toBe(true);
      });

      it('does not limit a key that no rule names', async () => {
        const { limiter, lease } = await open(perSecond(1));
        for (let i = 0; i < 50; i++) await lease('other', { tokens: 1_000_000 });
        expect(await limiter.usage('other')).toEqual({ requests: 0, tokens: 0, costUsd: 0 });
      });

      it('admits across keys all or nothing', async () => {
        const { limiter, lease } = await open([
          { key: 'a', windowMs: 1_000, requests: 5 },
          { key: 'b', windowMs: 1_000, requests: 1 },
        ]);
        const both = await lease(['a', 'b', 'unruled']);
        expect(both.keys).toEqual(['a', 'b', 'unruled']);
        expect(await limiter.tryAcquire(['a', 'b'])).toMatchObject({
          ok: false,
          reason: 'requests',
        });
        expect(await limiter.usage('a')).toEqual({ requests: 1, tokens: 0, costUsd: 0 });
        expect(await limiter.usage('b')).toEqual({ requests: 1, tokens: 0, costUsd: 0 });
      });

      it('reports usage of requests, tokens and cost in the current window', async () => {
        const { limiter, clock, lease } = await open([
          { key: 'llm', windowMs: 1_000, requests: 10, tokens: 1_000, budgetUsd: 10 },
        ]);
        await lease('llm', { tokens: 100, costUsd: 0.1 });
        await clock.advance(500);
        await lease('llm', { tokens: 200, costUsd: 0.2, requests: 2 });
        expect(await limiter.usage('llm')).toEqual({ requests: 3, tokens: 300, costUsd: 0.3 });
        await clock.advance(500);
        expect(await limiter.usage('llm')).toEqual({ requests: 2, tokens: 200, costUsd: 0.2 });
        await clock.advance(500);
        expect(await limiter.usage('llm')).toEqual({ requests: 0, tokens: 0, costUsd: 0 });
      });

      it('refuses a weight larger than a rule limit with ERR_LIMIT_EXCEEDS_CAPACITY', async () => {
        const { limiter } = await open([
          { key: 'llm', windowMs: 1_000, requests: 2, tokens: 100, budgetUsd: 1 },
        ]);
        expect(await codeOf(() => limiter.tryAcquire('llm', { requests: 3 }))).toBe(
          'ERR_LIMIT_EXCEEDS_CAPACITY',
        );
        expect(await codeOf(() => limiter.tryAcquire('llm', { tokens: 101 }))).toBe(
          'ERR_LIMIT_EXCEEDS_CAPACITY',
        );
        expect(await codeOf(() => limiter.tryAcquire(['x', 'llm'], { costUsd: 1.5 }))).toBe(
          'ERR_LIMIT_EXCEEDS_CAPACITY',
        );
        expect(await codeOf(() => limiter.acquire('llm', { tokens: 101 }))).toBe(
          'ERR_LIMIT_EXCEEDS_CAPACITY',
        );
        expect(await limiter.usage('llm')).toEqual({ requests: 0, tokens: 0, costUsd: 0 });
        expect((await limiter.tryAcquire('llm', { tokens: 100, requests: 2 })).ok).toBe(true);
      });
    });

    describe('leases', () => {
      it('settle replaces the estimate of its own entry', async () => {
        const { limiter, lease } = await open([{ key: 'llm', windowMs: 1_000, tokens: 1_000 }]);
        const first = await lease('llm', { tokens: 300, costUsd: 0.5 });
        await lease('llm', { tokens: 200 });
        await first.settle({ tokens: 120, costUsd: 0.25 });
        expect(await limiter.usage('llm')).toEqual({ requests: 2, tokens: 320, costUsd: 0.25 });
      });

      it('settle with only a cost keeps the token estimate', async () => {
        const { limiter, lease } = await open([{ key: 'llm', windowMs: 1_000, tokens: 1_000 }]);
        const first = await lease('llm', { tokens: 300 });
        await first.settle({ costUsd: 0.5 });
        expect(await limiter.usage('llm')).toEqual({ requests: 1, tokens: 300, costUsd: 0.5 });
      });

      it('settle can report more than the estimate', async () => {
        const { limiter, lease } = await open([{ key: 'llm', windowMs: 1_000, tokens: 100 }]);
        const first = await lease('llm', { tokens: 10 });
        await first.settle({ tokens: 100 });
        expect(await limiter.usage('llm')).toEqual({ requests: 1, tokens: 100, costUsd: 0 });
        expect(await limiter.tryAcquire('llm')).toMatchObject({ ok: false, reason: 'tokens' });
      });

      it('cancel gives back the whole reservation of its own entry', async () => {
        const { limiter, lease } = await open([
          { key: 'llm', windowMs: 1_000, requests: 2, tokens: 100 },
        ]);
        const first = await lease('llm', { tokens: 60 });
        await lease('llm', { tokens: 10 });
        await first.cancel();
        expect(await limiter.usage('llm')).toEqual({ requests: 1, tokens: 10, costUsd: 0 });
        expect((await limiter.tryAcquire('llm', { tokens: 90 })).ok).toBe(true);
      });

      it('cancel gives back on every key of the lease', async () => {
        const { limiter, lease } = await open([
          { key: 'a', windowMs: 1_000, requests: 1 },
          { key: 'team', budgetUsd: 1 },
        ]);
        const both = await lease(['a', 'team'], { costUsd: 0.5 });
        await both.cancel();
        expect(await limiter.usage('a')).toEqual({ requests: 0, tokens: 0, costUsd: 0 });
        expect(await limiter.usage('team')).toEqual({ requests: 0, tokens: 0, costUsd: 0 });
      });

      it('the first settle or cancel wins: later calls do nothing', async () => {
        const { limiter, lease } = await open([{ key: 'llm', windowMs: 1_000, tokens: 1_000 }]);
        const first = await lease('llm', { tokens: 300 });
        await lease('llm', { tokens: 100 });
        await first.cancel();
        await first.cancel();
        await first.settle({ tokens: 500 });
        expect(await limiter.usage('llm')).toEqual({ requests: 1, tokens: 100, costUsd: 0 });
        const second = await lease('llm', { tokens: 50 });
        await second.settle({ tokens: 70 });
        await second.settle({ tokens: 900 });
        await second.cancel();
        expect(await limiter.usage('llm')).toEqual({ requests: 2, tokens: 170, costUsd: 0 });
      });

      it('a refund after the admission left the window changes nothing', async () => {
        const { limiter, clock, lease } = await open([
          { key: 'llm', windowMs: 1_000, requests: 10, tokens: 1_000 },
        ]);
        const old = await lease('llm', { tokens: 400 });
        await clock.advance(600);
        await lease('llm', { tokens: 100 });
        await clock.advance(400);
        await old.cancel();
        expect(await limiter.usage('llm')).toEqual({ requests: 1, tokens: 100, costUsd: 0 });
        await clock.advance(600);
        expect(await limiter.usage('llm')).toEqual({ requests: 0, tokens: 0, costUsd: 0 });
      });

      it('a settle after the admission left the window changes nothing', async () => {
        const { limiter, clock, lease } = await open([
          { key: 'llm', windowMs: 1_000, tokens: 1_000, budgetUsd: 10 },
        ]);
        const old = await lease('llm', { tokens: 400 });
        await clock.advance(1_000);
        await lease('llm', { tokens: 100 });
        await old.settle({ tokens: 900, costUsd: 5 });
        expect(await limiter.usage('llm')).toEqual({ requests: 1, tokens: 100, costUsd: 0 });
      });

      it('a lifetime budget takes settles and refunds at any age', async () => {
        const { limiter, clock, lease } = await open([{ key: 'team', budgetUsd: 10 }]);
        const first = await lease('team', { costUsd: 2 });
        const second = await lease('team', { costUsd: 3 });
        await clock.advance(3_600_000);
        await first.settle({ costUsd: 1.5 });
        await second.cancel();
        expect(await limiter.usage('team')).toEqual({ requests: 1, tokens: 0, costUsd: 1.5 });
      });
    });

    describe('bounds (issue 12)', () => {
      it('a refused 1.8e299 settle leaves a key without a budget admitting', async () => {
        const { limiter, lease } = await open(perSecond(3));
        const held = await lease('api');
        expect(await codeOf(() => held.settle({ costUsd: 1.8e299 }))).toBe('ERR_INVALID_ARGUMENT');
        expect(await limiter.usage('api')).toEqual({ requests: 1, tokens: 0, costUsd: 0 });
        expect((await limiter.tryAcquire('api', { costUsd: MAX_COST_USD })).ok).toBe(true);
        await held.settle({ costUsd: 0.1 });
        expect(await limiter.usage('api')).toEqual({
          requests: 2,
          tokens: 0,
          costUsd: MAX_COST_USD + 0.1,
        });
      });

      it('sums costs exactly: ten settles of $0.1 make $1', async () => {
        const { limiter, lease } = await open([{ key: 'team', budgetUsd: 100 }]);
        for (let i = 0; i < 10; i++)
          await (await lease('team', { costUsd: 0.3 })).settle({ costUsd: 0.1 });
        expect((await limiter.usage('team')).costUsd).toBe(1);
      });
    });

    describe('acquire', () => {
      it('resolves at once when every key admits', async () => {
        const { limiter, flush } = await open(perSecond(1));
        const got = track(limiter.acquire('api'));
        await flush();
        expect(got.state).toBe('fulfilled');
        expect(got.value?.admittedAt).toBe(0);
      });

      it('admits exactly 5 of 6 concurrent acquires against a limit of 5', async () => {
        const { limiter, clock, flush } = await open(perSecond(5));
        const all = Array.from({ length: 6 }, () => track(limiter.acquire('api')));
        await flush();
        expect(all.filter((t) => t.state === 'fulfilled')).toHaveLength(5);
        expect(all[5]!.state).toBe('pending');
        expect(await limiter.usage('api')).toEqual({ requests: 5, tokens: 0, costUsd: 0 });
        await clock.advance(1_000);
        await flush();
        expect(all[5]!.state).toBe('fulfilled');
        expect(all[5]!.value?.admittedAt).toBe(1_000);
      });

      it('wakes a waiter at the exact time capacity frees', async () => {
        const { limiter, clock, flush, lease } = await open(perSecond(1));
        await clock.advance(250);
        await lease('api');
        const waiting = track(limiter.acquire('api'));
        await clock.advance(999);
        await flush();
        expect(waiting.state).toBe('pending');
        await clock.advance(1);
        await flush();
        expect(waiting.state).toBe('fulfilled');
        expect(waiting.value?.admittedAt).toBe(1_250);
      });

      it('wakes a waiter at once when a lease is cancelled', async () => {
        const { limiter, clock, flush, lease } = await open(perSecond(1));
        const held = await lease('api');
        const waiting = track(limiter.acquire('api'));
        await clock.advance(10);
        await held.cancel();
        await flush();
        expect(waiting.state).toBe('fulfilled');
        expect(waiting.value?.admittedAt).toBe(10);
      });

      it('wakes a waiter at once when a settle gives tokens back', async () => {
        const { limiter, clock, flush, lease } = await open([
          { key: 'llm', windowMs: 60_000, tokens: 1_000 },
        ]);
        const held = await lease('llm', { tokens: 900 });
        const waiting = track(limiter.acquire('llm', { tokens: 500 }));
        await clock.advance(20);
        await held.settle({ tokens: 300 });
        await flush();
        expect(waiting.state).toBe('fulfilled');
        expect(await limiter.usage('llm')).toEqual({ requests: 2, tokens: 800, costUsd: 0 });
      });

      it('serves waiters in FIFO order: a big waiter at the head blocks a small one that would fit', async () => {
        const { limiter, clock, flush, lease } = await open([
          { key: 'llm', windowMs: 1_000, tokens: 100 },
        ]);
        await lease('llm', { tokens: 60 });
        const big = track(limiter.acquire('llm', { tokens: 80 }));
        const small = track(limiter.acquire('llm', { tokens: 10 }));
        await clock.advance(500);
        await flush();
        expect(big.state).toBe('pending');
        expect(small.state).toBe('pending');
        await clock.advance(500);
        await flush();
        expect(big.state).toBe('fulfilled');
        expect(small.state).toBe('fulfilled');
        expect(await limiter.usage('llm')).toEqual({ requests: 2, tokens: 90, costUsd: 0 });
      });

      it('admits waiters in arrival order when capacity frees', async () => {
        const { limiter, clock, flush, lease } = await open(perSecond(1));
        await lease('api');
        const order: number[] = [];
        const waiters = [0, 1, 2].map((i) =>
          track(
            limiter.acquire('api').then((admitted) => {
              order.push(i);
              return admitted;
            }),
          ),
        );
        await clock.advance(3_000);
        await flush();
        expect(order).toEqual([0, 1, 2]);
        expect(waiters.map((w) => w.value?.admittedAt)).toEqual([1_000, 2_000, 3_000]);
      });

      it('tryAcquire never jumps queued waiters, even when it would fit', async () => {
        const { limiter, flush, lease } = await open([
          { key: 'llm', windowMs: 1_000, tokens: 100 },
        ]);
        await lease('llm', { tokens: 60 });
        const big = track(limiter.acquire('llm', { tokens: 80 }));
        await flush();
        const refused = await limiter.tryAcquire('llm', { tokens: 10 });
        expect(refused).toMatchObject({ ok: false, reason: 'tokens' });
        expect(refused.ok === false && refused.retryAfterMs).toBe(1_000);
        expect(big.state).toBe('pending');
      });

      it('keeps FIFO per key across multi-key waiters', async () => {
        const { limiter, clock, flush, lease } = await open([
          { key: 'a', windowMs: 1_000, requests: 5 },
          { key: 'b', windowMs: 1_000, requests: 1 },
        ]);
        await lease('b');
        const both = track(limiter.acquire(['a', 'b']));
        const onlyA = track(limiter.acquire('a'));
        await flush();
        expect(both.state).toBe('pending');
        expect(onlyA.state).toBe('pending');
        expect((await limiter.tryAcquire('a')).ok).toBe(false);
        await clock.advance(1_000);
        await flush();
        expect(both.state).toBe('fulfilled');
        expect(onlyA.state).toBe('fulfilled');
      });

      it('holds a multi-key waiter behind an earlier waiter on any of its keys', async () => {
        const { limiter, clock, flush, lease } = await open([
          { key: 'a', windowMs: 1_000, requests: 10 },
          { key: 'b', windowMs: 1_000, tokens: 100 },
        ]);
        await lease('b', { tokens: 60 });
        const order: string[] = [];
        const big = track(limiter.acquire('b', { tokens: 80 }).then(() => order.push('big')));
        // First in the queue of 'a', fits 'b', but 'b' has an earlier waiter.
        const both = track(
          limiter.acquire(['a', 'b'], { tokens: 10 }).then(() => order.push('both')),
        );
        await flush();
        expect(big.state).toBe('pending');
        expect(both.state).toBe('pending');
        await clock.advance(1_000);
        await flush();
        expect(order).toEqual(['big', 'both']);
      });

      it('rejects with ERR_RATE_LIMITED past maxWaitMs and leaves the queue', async () => {
        const { limiter, clock, flush, lease } = await open([
          { key: 'llm', windowMs: 1_000, tokens: 100 },
        ]);
        await lease('llm', { tokens: 60 });
        const big = track(limiter.acquire('llm', { tokens: 80, maxWaitMs: 200 }));
        const small = track(limiter.acquire('llm', { tokens: 10 }));
        await clock.advance(199);
        await flush();
        expect(big.state).toBe('pending');
        expect(small.state).toBe('pending');
        await clock.advance(1);
        await flush();
        expect(codeOfTracked(big)).toBe('ERR_RATE_LIMITED');
        expect(small.state).toBe('fulfilled');
        expect(small.value?.admittedAt).toBe(200);
        expect(await limiter.usage('llm')).toEqual({ requests: 2, tokens: 70, costUsd: 0 });
      });

      it('admits a waiter whose capacity frees exactly at its maxWaitMs', async () => {
        const { limiter, clock, flush, lease } = await open(perSecond(1));
        await lease('api');
        const waiting = track(limiter.acquire('api', { maxWaitMs: 1_000 }));
        await clock.advance(1_000);
        await flush();
        expect(waiting.state).toBe('fulfilled');
      });

      it('rejects at once with maxWaitMs 0 when it does not fit', async () => {
        const { limiter, lease } = await open(perSecond(1));
        await lease('api');
        expect(await codeOf(() => limiter.acquire('api', { maxWaitMs: 0 }))).toBe(
          'ERR_RATE_LIMITED',
        );
        expect(await limiter.usage('api')).toEqual({ requests: 1, tokens: 0, costUsd: 0 });
      });

      it('rejects with ERR_ABORTED on abort and leaves the queue', async () => {
        const { limiter, clock, flush, lease } = await open([
          { key: 'llm', windowMs: 1_000, tokens: 100 },
        ]);
        await lease('llm', { tokens: 60 });
        const controller = new AbortController();
        const big = track(limiter.acquire('llm', { tokens: 80, signal: controller.signal }));
        const small = track(limiter.acquire('llm', { tokens: 10 }));
        await clock.advance(100);
        controller.abort();
        await flush();
        expect(codeOfTracked(big)).toBe('ERR_ABORTED');
        expect(small.state).toBe('fulfilled');
        expect(small.value?.admittedAt).toBe(100);
      });

      it('rejects at once with ERR_ABORTED for an already aborted signal', async () => {
        const { limiter } = await open(perSecond(1));
        expect(await codeOf(() => limiter.acquire('api', { signal: AbortSignal.abort() }))).toBe(
          'ERR_ABORTED',
        );
        expect(await limiter.usage('api')).toEqual({ requests: 0, tokens: 0, costUsd: 0 });
      });

      it('a waiter that gave up is never admitted later', async () => {
        const { limiter, clock, flush, lease } = await open(perSecond(1));
        await lease('api');
        const gaveUp = track(limiter.acquire('api', { maxWaitMs: 10 }));
        await clock.advance(2_000);
        await flush();
        expect(codeOfTracked(gaveUp)).toBe('ERR_RATE_LIMITED');
        expect(await limiter.usage('api')).toEqual({ requests: 0, tokens: 0, costUsd: 0 });
      });

      it('waits on a spent lifetime budget until a refund', async () => {
        const { limiter, clock, flush, lease } = await open([{ key: 'team', budgetUsd: 1 }]);
        const held = await lease('team', { costUsd: 1 });
        const waiting = track(limiter.acquire('team', { costUsd: 0.5 }));
        await clock.advance(60_000);
        await flush();
        expect(waiting.state).toBe('pending');
        await held.settle({ costUsd: 0.25 });
        await flush();
        expect(waiting.state).toBe('fulfilled');
        expect(await limiter.usage('team')).toEqual({ requests: 2, tokens: 0, costUsd: 0.75 });
      });
    });

    describe('provider feedback', () => {
      it('pauses a key until the request reset when remainingRequests is 0', async () => {
        const { limiter, clock } = await open(perSecond(100));
        await limiter.observe('api', { remainingRequests: 0, resetRequestsMs: 5_000 });
        expect(await limiter.tryAcquire('api')).toEqual({
          ok: false,
          reason: 'requests',
          retryAfterMs: 5_000,
        });
        await clock.advance(5_000);
        expect((await limiter.tryAcquire('api')).ok).toBe(true);
      });

      it('pauses a key until the token reset when remainingTokens is 0', async () => {
        const { limiter, clock } = await open(perSecond(100));
        await limiter.observe('api', { remainingTokens: 0, resetTokensMs: 2_000 });
        await clock.advance(500);
        expect(await limiter.tryAcquire('api', { tokens: 10 })).toEqual({
          ok: false,
          reason: 'tokens',
          retryAfterMs: 1_500,
        });
      });

      it('pauses a key for retryAfterMs and wakes its waiters then', async () => {
        const { limiter, clock, flush } = await open(perSecond(100));
        await limiter.observe('api', { retryAfterMs: 3_000 });
        const waiting = track(limiter.acquire('api'));
        await clock.advance(2_999);
        await flush();
        expect(waiting.state).toBe('pending');
        await clock.advance(1);
        await flush();
        expect(waiting.state).toBe('fulfilled');
        expect(waiting.value?.admittedAt).toBe(3_000);
      });

      it('pauses a key that no rule names', async () => {
        const { limiter, clock } = await open([]);
        await limiter.observe('free', { retryAfterMs: 100 });
        expect((await limiter.tryAcquire('free')).ok).toBe(false);
        await clock.advance(100);
        expect((await limiter.tryAcquire('free')).ok).toBe(true);
      });

      it('caps a huge retryAfterMs at DEFAULT_MAX_FEEDBACK_PAUSE_MS (issue 12)', async () => {
        const { limiter } = await open(perSecond(100));
        await limiter.observe('api', { retryAfterMs: 999_999_999_000 });
        expect(await limiter.tryAcquire('api')).toEqual({
          ok: false,
          reason: 'requests',
          retryAfterMs: DEFAULT_MAX_FEEDBACK_PAUSE_MS,
        });
      });

      it('ignores feedback with capacity remaining', async () => {
        const { limiter } = await open(perSecond(100));
        await limiter.observe('api', { remainingRequests: 3, resetRequestsMs: 5_000 });
        expect((await limiter.tryAcquire('api')).ok).toBe(true);
      });
    });

    describe('close', () => {
      it('rejects waiters with ERR_CLOSED and clears its timers', async () => {
        const { limiter, clock, flush, lease } = await open(perSecond(1));
        await lease('api');
        const waiting = track(limiter.acquire('api', { maxWaitMs: 10_000 }));
        await flush();
        await limiter.close();
        await flush();
        expect(codeOfTracked(waiting)).toBe('ERR_CLOSED');
        expect(clock.pending()).toBe(0);
        expect(await codeOf(() => limiter.acquire('api'))).toBe('ERR_CLOSED');
        expect(await codeOf(() => limiter.tryAcquire('api'))).toBe('ERR_CLOSED');
      });
    });

    describe('bad input', () => {
      const rules: RateLimitRule[] = [{ key: 'llm', windowMs: 1_000, requests: 10, tokens: 100 }];
      const badCalls: [string, (l: LimiterBackend) => unknown][] = [
        ['empty key', (l) => l.tryAcquire('')],
        ['empty key list', (l) => l.tryAcquire([])],
        ['non-string key', (l) => l.tryAcquire([42 as unknown as string])],
        ['repeated key', (l) => l.tryAcquire(['llm', 'llm'])],
        ['negative tokens', (l) => l.tryAcquire('llm', { tokens: -1 })],
        ['NaN tokens', (l) => l.tryAcquire('llm', { tokens: Number.NaN })],
        ['fractional requests', (l) => l.tryAcquire('llm', { requests: 0.5 })],
        ['string tokens', (l) => l.tryAcquire('llm', { tokens: '5' as unknown as number })],
        ['infinite cost', (l) => l.tryAcquire('llm', { costUsd: Number.POSITIVE_INFINITY })],
        ['a cost of 1.8e299 (issue 12)', (l) => l.tryAcquire('llm', { costUsd: 1.8e299 })],
        ['a cost above MAX_COST_USD', (l) => l.tryAcquire('llm', { costUsd: MAX_COST_USD + 1 })],
        [
          'tokens above MAX_LIMIT_UNITS',
          (l) => l.tryAcquire('llm', { tokens: MAX_LIMIT_UNITS + 1 }),
        ],
        ['acquire: a cost of 1.8e299', (l) => l.acquire('llm', { costUsd: 1.8e299 })],
        ['unknown option', (l) => l.tryAcquire('llm', { token: 5 } as never)],
        ['non-object options', (l) => l.tryAcquire('llm', 5 as never)],
        ['acquire: negative maxWaitMs', (l) => l.acquire('llm', { maxWaitMs: -1 })],
        ['acquire: NaN maxWaitMs', (l) => l.acquire('llm', { maxWaitMs: Number.NaN })],
        ['acquire: bad signal', (l) => l.acquire('llm', { signal: {} as AbortSignal })],
        ['acquire: negative tokens', (l) => l.acquire('llm', { tokens: -5 })],
        ['acquire: empty key', (l) => l.acquire('')],
        ['usage: empty key', (l) => l.usage('')],
        ['observe: negative retryAfterMs', (l) => l.observe('llm', { retryAfterMs: -1 })],
        [
          'observe: NaN reset',
          (l) => l.observe('llm', { remainingRequests: 0, resetRequestsMs: Number.NaN }),
        ],
        ['observe: unknown field', (l) => l.observe('llm', { retryAfter: 5 } as never)],
      ];
      for (const [what, call] of badCalls) {
        it(`refuses ${what} with ERR_INVALID_ARGUMENT and changes nothing`, async () => {
          const { limiter } = await open(rules);
          expect(await codeOf(() => call(limiter))).toBe('ERR_INVALID_ARGUMENT');
          expect(await limiter.usage('llm')).toEqual({ requests: 0, tokens: 0, costUsd: 0 });
          expect((await limiter.tryAcquire('llm', { tokens: 100, requests: 10 })).ok).toBe(true);
        });
      }

      it('refuses a bad settle with ERR_INVALID_ARGUMENT and leaves the lease usable', async () => {
        const { limiter, lease } = await open(rules);
        const held = await lease('llm', { tokens: 40 });
        for (const bad of [
          { tokens: -1 },
          { tokens: Number.NaN },
          { costUsd: -0.5 },
          { token: 3 },
          { costUsd: 1.8e299 },
          { tokens: MAX_LIMIT_UNITS + 1 },
        ]) {
          expect(await codeOf(() => held.settle(bad as never))).toBe('ERR_INVALID_ARGUMENT');
        }
        expect(await limiter.usage('llm')).toEqual({ requests: 1, tokens: 40, costUsd: 0 });
        await held.settle({ tokens: 30 });
        expect(await limiter.usage('llm')).toEqual({ requests: 1, tokens: 30, costUsd: 0 });
      });
    });
  });
}
