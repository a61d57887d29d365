/**
 * Rate limiter admission cost, side by side in one run. Every contestant does the same job: an
 * admission decision (look at the key's window, admit or refuse, record the admission).
 *
 * Steady state: one admission per millisecond into a window of N ms, so the window always holds
 * N admissions and every admission evicts exactly one (the "something that keeps the window at a
 * steady size" is the clock moving 1 ms per admission). N = 100, 10,000 and 100,000.
 *
 * Synchronous, judged against the floor:
 * - Troupe `tryAcquire(key, { tokens })`: the synchronous admission path of the in-memory limiter,
 *   an exact sliding window over requests and tokens (ring buffer + running counters).
 * - floor: a fixed-window counter in a `Map` (one lookup, a window check, two comparisons, two
 *   additions): the least any admission decision can do. There is no synchronous peer library
 *   to compare with (rate-limiter-flexible and bottleneck answer with promises only).
 * - naive: the same exact window kept as an array filtered on every call, printed for scale
 *   only (a straw man written for the comparison cannot fail a goal).
 *
 * Asynchronous, judged against the peer (each awaited, one at a time):
 * - Troupe `await tryAcquire(...)` (code written against the async `LimiterBackend` interface
 *   awaits every call) and `await acquire(...)` (the waiting path, admitted at once here).
 * - `rate-limiter-flexible` `await RateLimiterMemory.consume(key, points)`: its admission. A fixed
 *   window of `duration` seconds counting points per key: no sliding window, no tokens dimension,
 *   so its cost does not depend on how many admissions the window holds; compared with Troupe
 *   at 100,000 in the window, Troupe's worst case here.
 * - bottleneck is not compared: every admission it makes (`schedule`, `submit`, even `check`)
 *   goes through `await new Promise(r => setTimeout(r, 0))` in its local datastore, so what a
 *   timing measures is its scheduler's timer (about a millisecond), not its decision.
 *
 * Ratios use medians. Timings are per admission: sub-microsecond tasks run in batches (tinybench
 * times each call, and a timer read would otherwise dominate) and the batch time is divided by
 * the batch size.
 */
import type { Clock, TimerHandle } from '@troupe/core';
import { createRateLimiter } from '@troupe/core';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { heading, type Measured, measure, ratio, table } from './lib/harness.js';

const SIZES = [100, 10_000, 100_000] as const;
const TOKENS = 10;
const BATCH = 100;
/**
 * tryAcquire within this many times the floor: an exact sliding window over requests and tokens
 * that hands out a lease, against a one-dimension fixed-window count (measured: about 6x).
 */
const FLOOR_GOAL = 10;

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

  /** Records an admission already known to fit (filling the window without N filters). */
  preload(at: number, tokens: number): void {
    this.#entries.push({ at, tokens });
  }

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
  for (let i = 0; i < size; i++) naive.preload(++clock.t, TOKENS);
  return { clock, naive };
}

/**
 * The floor: a fixed-window counter per key in a `Map`. One lookup, a window check, two
 * comparisons and two additions: the least work an admission decision can be.
 */
class FixedWindowCounter {
  readonly #windows = new Map<string, { start: number; requests: number; tokens: number }>();
  constructor(
    readonly windowMs: number,
    readonly requests: number,
    readonly tokens: number,
  ) {}

  tryAcquire(key: string, now: number, tokens: number): boolean {
    let window = this.#windows.get(key);
    if (window === undefined || now - window.start >= this.windowMs) {
      window = { start: now - (now % this.windowMs), requests: 0, tokens: 0 };
      this.#windows.set(key, window);
    }
    if (window.requests + 1 > this.requests || window.tokens + tokens > this.tokens) return false;
    window.requests++;
    window.tokens += tokens;
    return true;
  }
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

/** Timed jobs by name, with how many admissions one call of each makes. */
interface Jobs {
  readonly tasks: Record<string, () => unknown>;
  readonly batches: Record<string, number>;
}

/** Synchronous admissions: Troupe at each window size, and with a settle. */
function syncJobs({ tasks, batches }: Jobs): void {
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
}

/** The floor (a fixed-window counter in a Map), sync like Troupe's tryAcquire. */
function floorJob({ tasks, batches }: Jobs): void {
  {
    const clock = { t: 0 };
    const floor = new FixedWindowCounter(1_000, 1e12, 1e13);
    const name = 'floor: fixed-window counter in a Map';
    batches[name] = BATCH;
    tasks[name] = () => {
      for (let i = 0; i < BATCH; i++) {
        if (!floor.tryAcquire('k', ++clock.t, TOKENS)) fail('floor');
      }
    };
  }
}

/** Asynchronous admissions: Troupe's awaited tryAcquire and acquire, and the async peer. */
function asyncJobs({ tasks, batches }: Jobs): void {
  {
    const { clock, limiter } = troupeAt(100_000);
    const name = 'troupe await tryAcquire, 100,000 in window';
    batches[name] = BATCH;
    tasks[name] = async () => {
      for (let i = 0; i < BATCH; i++) {
        clock.t++;
        if (!(await limiter.tryAcquire('k', { tokens: TOKENS })).ok) fail('troupe');
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
  {
    const rlf = new RateLimiterMemory({ points: 1e12, duration: 60 });
    const name = 'rate-limiter-flexible await consume';
    batches[name] = BATCH;
    tasks[name] = async () => {
      for (let i = 0; i < BATCH; i++) await rlf.consume('k', TOKENS);
    };
  }
}

/** The straw man, informational: a limiter that filters the whole array per call. */
function naiveJobs({ tasks, batches }: Jobs): void {
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
}

/** Per-admission figures of each job (its median: this 2-core machine is shared). */
async function measureJobs({ tasks, batches }: Jobs): Promise<(name: string) => number> {
  const raw = await measure(tasks);
  const rows = Object.fromEntries(
    Object.entries(raw).map(([name, m]) => {
      const batch = batches[name] ?? 1;
      return [name, perOp(m, batch, batch > 1 ? `${name} (x${batch})` : name)];
    }),
  );
  table(Object.values(rows));

  return (name) => {
    const row = rows[name];
    if (row === undefined) throw new Error(`no timing for ${name}`);
    return row.p50Us;
  };
}

export default async function limiterBench(): Promise<void> {
  heading(
    `admission with N admissions in the window (per admission; batches of ${BATCH} where marked)`,
  );
  const jobs: Jobs = { tasks: {}, batches: {} };
  syncJobs(jobs);
  floorJob(jobs);
  asyncJobs(jobs);
  naiveJobs(jobs);
  const us = await measureJobs(jobs);
  const at100 = us('troupe tryAcquire, 100 in window');
  const at100k = us('troupe tryAcquire, 100,000 in window');
  ratio('limiter admission 100,000 vs 100 in window', at100k / at100, { max: 1.5 });
  ratio(
    'limiter tryAcquire at 100,000 / floor (fixed-window Map counter)',
    at100k / us('floor: fixed-window counter in a Map'),
    { max: FLOOR_GOAL },
  );
  ratio(
    'limiter naive filter-the-array / troupe at 100,000',
    us('naive filter-the-array, 100,000 in window') / at100k,
  );
  // The peer, async against async: how many times slower it is than Troupe (goal >= 1x).
  ratio(
    'limiter rate-limiter-flexible await consume / troupe await tryAcquire at 100,000',
    us('rate-limiter-flexible await consume') / us('troupe await tryAcquire, 100,000 in window'),
    { min: 1 },
  );
  ratio(
    'limiter rate-limiter-flexible await consume / troupe await acquire at 100,000',
    us('rate-limiter-flexible await consume') / us('troupe await acquire, 100,000 in window'),
    { min: 1 },
  );
}
