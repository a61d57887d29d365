/**
 * Rate limiter admission cost, side by side in one run.
 *
 * Steady state: one admission per millisecond into a window of N ms, so the window always holds
 * N admissions and every admission evicts exactly one (the "something that keeps the window at a
 * steady size" is the clock moving 1 ms per admission). N = 100, 10,000 and 100,000.
 *
 * Contestants:
 * - Troupe `tryAcquire(key, { tokens })`: the synchronous admission path of the in-memory limiter,
 *   an exact sliding window over requests and tokens (ring buffer + running counters);
 *   also `await acquire(...)`, its promise-returning path, to compare async with async.
 * - naive: the same exact window kept as an array filtered on every call (the obvious version).
 * - `rate-limiter-flexible` `RateLimiterMemory.consume(key, 1)`: its cheapest admission path.
 *   It is a fixed window of `duration` seconds counting points per key: not a sliding window,
 *   no tokens dimension, and its cost does not depend on how many admissions the window holds.
 * - `bottleneck` `schedule(job)` with a `reservoir`: its cheapest admission that enforces a count
 *   (without a reservoir it is within ~20%). A job scheduler with a reservoir refilled on a timer,
 *   not a sliding window with tokens. Every call yields to the event loop through a
 *   `setTimeout(0)` in its local datastore, so one admission costs milliseconds when awaited.
 *
 * Ratios use medians. Timings are per admission: sub-microsecond tasks run in batches (tinybench times each call, and
 * a timer read would otherwise dominate) and the batch time is divided by the batch size.
 */
import type { Clock, TimerHandle } from '@troupe/core';
import { createRateLimiter } from '@troupe/core';
import Bottleneck from 'bottleneck';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { heading, type Measured, measure, ratio, table } from './lib/harness.js';

const SIZES = [100, 10_000, 100_000] as const;
const TOKENS = 10;
const BATCH = 100;

/** A clock the benchmark moves by hand: `now()` is a field read, no timers are ever needed. */
function manualClock(): Clock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    setTimeout: (): TimerHandle => {
      throw new Error('the admission benchmark never waits');
    },
    clearTimeout: (): void => {},
  };
  return clock;
}

/** A Troupe limiter whose window already holds `size` admissions, one per ms. */
function troupeAt(size: number) {
  const clock = manualClock();
  const limiter = createRateLimiter({
    clock,
    // Limits above the steady use: every admission in the benchmark is admitted.
    rules: [{ key: 'k', windowMs: size, requests: size + 1, tokens: (size + 1) * TOKENS }],
  });
  for (let i = 0; i < size; i++) {
    clock.t++;
    limiter.tryAcquire('k', { tokens: TOKENS });
  }
  return { clock, limiter };
}

/** The obvious exact sliding window: keep every admission, filter the array on each call. */
class NaiveLimiter {
  #entries: { at: number; tokens: number }[] = [];
  constructor(
    readonly windowMs: number,
    readonly requests: number,
    readonly tokens: number,
  ) {}

  tryAcquire(now: number, tokens: number): boolean {
    this.#entries = this.#entries.filter((e) => now - e.at < this.windowMs);
    let used = 0;
    for (const e of this.#entries) used += e.tokens;
    if (this.#entries.length + 1 > this.requests || used + tokens > this.tokens) return false;
    this.#entries.push({ at: now, tokens });
    return true;
  }
}

function naiveAt(size: number) {
  const clock = { t: 0 };
  const naive = new NaiveLimiter(size, size + 1, (size + 1) * TOKENS);
  for (let i = 0; i < size; i++) naive.tryAcquire(++clock.t, TOKENS);
  return { clock, naive };
}

const fail = (who: string): never => {
  throw new Error(`${who} refused an admission the benchmark expects to pass`);
};

/** Scales a batch's timing to one admission. */
const perOp = (m: Measured, batch: number, name = m.name): Measured => ({
  ...m,
  name,
  meanUs: m.meanUs / batch,
  p50Us: m.p50Us / batch,
  p99Us: m.p99Us / batch,
  opsPerSec: m.opsPerSec * batch,
});

export default async function limiterBench(): Promise<void> {
  heading(
    `admission with N admissions in the window (per admission; batches of ${BATCH} where marked)`,
  );
  const tasks: Record<string, () => unknown> = {};
  const batches: Record<string, number> = {};

  for (const size of SIZES) {
    const { clock, limiter } = troupeAt(size);
    const name = `troupe tryAcquire, ${size.toLocaleString('en-US')} in window`;
    batches[name] = BATCH;
    tasks[name] = () => {
      for (let i = 0; i < BATCH; i++) {
        clock.t++;
        if (!limiter.tryAcquire('k', { tokens: TOKENS }).ok) fail('troupe');
      }
    };
  }
  {
    const { clock, limiter } = troupeAt(100_000);
    const name = 'troupe tryAcquire + settle, 100,000 in window';
    batches[name] = BATCH;
    tasks[name] = () => {
      for (let i = 0; i < BATCH; i++) {
        clock.t++;
        const result = limiter.tryAcquire('k', { tokens: TOKENS });
        if (!result.ok) return fail('troupe');
        result.lease.settle({ tokens: TOKENS - 1 });
      }
    };
  }
  {
    const { clock, limiter } = troupeAt(100_000);
    const name = 'troupe await acquire, 100,000 in window';
    batches[name] = BATCH;
    tasks[name] = async () => {
      for (let i = 0; i < BATCH; i++) {
        clock.t++;
        await limiter.acquire('k', { tokens: TOKENS });
      }
    };
  }
  for (const size of SIZES) {
    const { clock, naive } = naiveAt(size);
    const name = `naive filter-the-array, ${size.toLocaleString('en-US')} in window`;
    // Big windows make one call slow enough to time alone.
    const batch = size <= 100 ? BATCH : 1;
    batches[name] = batch;
    tasks[name] = () => {
      for (let i = 0; i < batch; i++) if (!naive.tryAcquire(++clock.t, TOKENS)) fail('naive');
    };
  }
  {
    const rlf = new RateLimiterMemory({ points: 1e12, duration: 60 });
    const name = 'rate-limiter-flexible await consume';
    batches[name] = BATCH;
    tasks[name] = async () => {
      for (let i = 0; i < BATCH; i++) await rlf.consume('k', 1);
    };
  }
  const bottleneck = new Bottleneck({ reservoir: 1e12 });
  {
    const job = (): Promise<void> => Promise.resolve();
    const name = 'bottleneck await schedule';
    batches[name] = 1;
    tasks[name] = () => bottleneck.schedule(job);
  }

  const raw = await measure(tasks);
  await bottleneck.stop({ dropWaitingJobs: true });
  const rows = Object.fromEntries(
    Object.entries(raw).map(([name, m]) => {
      const batch = batches[name] ?? 1;
      return [name, perOp(m, batch, batch > 1 ? `${name} (x${batch})` : name)];
    }),
  );
  table(Object.values(rows));

  const us = (name: string): number => {
    const row = rows[name];
    if (row === undefined) throw new Error(`no timing for ${name}`);
    // The median: this 2-core machine is shared, and a stray GC or neighbour skews the mean.
    return row.p50Us;
  };
  const at100 = us('troupe tryAcquire, 100 in window');
  const at100k = us('troupe tryAcquire, 100,000 in window');
  ratio('limiter admission 100,000 vs 100 in window', at100k / at100, { max: 1.5 });
  ratio(
    'limiter naive filter-the-array / troupe at 100,000',
    us('naive filter-the-array, 100,000 in window') / at100k,
    { min: 1000 },
  );
  // Peers: how many times slower they are than Troupe (goal: Troupe no slower, >= 1x).
  ratio(
    'limiter rate-limiter-flexible consume / troupe tryAcquire at 100,000',
    us('rate-limiter-flexible await consume') / at100k,
    { min: 1 },
  );
  ratio(
    'limiter bottleneck schedule / troupe tryAcquire at 100,000',
    us('bottleneck await schedule') / at100k,
    { min: 1 },
  );
  ratio(
    'limiter rate-limiter-flexible consume / troupe await acquire at 100,000',
    us('rate-limiter-flexible await consume') / us('troupe await acquire, 100,000 in window'),
    { min: 1 },
  );
}
