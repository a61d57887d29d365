import { invalidArgument, TroupeError } from './errors.js';

/**
 * An opaque timer handle; pass it back to the clock that made it.
 *
 * @example
 * ```ts
 * const handle: TimerHandle = clock.setTimeout(() => {}, 1_000);
 * clock.clearTimeout(handle);
 * ```
 */
export type TimerHandle = { readonly __troupeTimer: true } | object;

/**
 * The only source of time in Troupe. Every service and actor takes a `clock`; none reads
 * `Date.now()` or calls a global timer itself, so the same code runs live on
 * {@link systemClock} or deterministically on a {@link SimulatedClock}.
 *
 * @example
 * ```ts
 * const clock: Clock = new SimulatedClock();
 * const handle = clock.setTimeout(() => console.log('fired at', clock.now()), 1_000);
 * clock.clearTimeout(handle);
 * ```
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (live) or since the clock's start (simulated). */
  now(): number;
  /** Calls `fn` once, `ms` milliseconds from now. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a pending timer; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The longest delay one host timer takes: Node fires a longer one after about 1 ms. */
const MAX_HOST_TIMER_MS = 2_147_483_647;

type HostTimer = ReturnType<typeof globalThis.setTimeout>;

/**
 * A system-clock timer longer than one host timer can wait: a chain of host timers of at most
 * {@link MAX_HOST_TIMER_MS} toward one deadline (`Infinity`: never fires, but keeps re-arming
 * like any pending timer until cleared). The handle stays the same object across the chain.
 */
class LongTimer {
  readonly #fn: () => void;
  readonly #deadline: number;
  #host: HostTimer | undefined;

  constructor(fn: () => void, ms: number) {
    this.#fn = fn;
    this.#deadline = Date.now() + ms;
    this.#arm(ms);
  }

  #arm(ms: number): void {
    this.#host = globalThis.setTimeout(this.#fire, Math.min(ms, MAX_HOST_TIMER_MS));
  }

  readonly #fire = (): void => {
    this.#host = undefined;
    const left = this.#deadline - Date.now();
    // A link of the chain (or a host timer that fired early): wait for the rest.
    if (left > 0) this.#arm(left);
    else this.#fn();
  };

  cancel(): void {
    if (this.#host === undefined) return;
    globalThis.clearTimeout(this.#host);
    this.#host = undefined;
  }
}

/**
 * Real time: `Date.now()` and the host's timers. Any delay works: one longer than a host timer
 * can wait (2^31 - 1 ms, about 24.8 days) is chained inside the clock, so a 30-day budget
 * window, `maxWaitMs` or tool timeout waits 30 days instead of firing after 1 ms. `Infinity`
 * never fires. Negative or NaN delays fire as soon as possible.
 *
 * @example
 * ```ts
 * const limiter = createRateLimiter({ clock: systemClock, rules: [] });
 * const handle = systemClock.setTimeout(() => console.log('a month later'), 30 * 86_400_000);
 * systemClock.clearTimeout(handle);
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): TimerHandle =>
    ms > MAX_HOST_TIMER_MS ? new LongTimer(fn, ms) : globalThis.setTimeout(fn, ms),
  clearTimeout: (handle: TimerHandle): void => {
    if (handle instanceof LongTimer) handle.cancel();
    else globalThis.clearTimeout(handle as HostTimer);
  },
});

/** Cleared timers a heap may hold beyond its live ones before it is rebuilt without them. */
const COMPACT_SLACK = 64;

interface SimTimer {
  readonly __troupeTimer: true;
  due: number;
  seq: number;
  fn: (() => void) | undefined;
}

/** Lets every pending promise continuation run before the next timer fires. */
const drainMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock that moves only when told to. Timers fire in order of due time, ties in the order
 * they were set, each with `now()` equal to its due time. The async `advance` and
 * `runUntilIdle` let promise continuations settle between timers, so code awaiting a timer
 * runs before the next one fires, exactly as it would live.
 *
 * Timers live in a binary heap: setting and firing are O(log n), clearing is O(1) amortized
 * (the entry is marked and skipped when it reaches the top; once cleared entries outnumber live
 * ones the heap is rebuilt without them, so a clock that does not move stays bounded). Any finite delay works; a timer of
 * `Infinity` never fires (it stays pending until cleared, and `runUntilIdle` does not wait
 * for it), as on {@link systemClock}. Negative or NaN delays fire at the current time.
 *
 * @example
 * ```ts
 * const clock = new SimulatedClock();
 * const bus = createBus({ clock });
 * const waiting = bus.wait('topic', { afterSeq: 0, timeoutMs: 5_000 });
 * await clock.advance(5_000);
 * console.log(await waiting); // [] — timed out on simulated time, instantly
 * ```
 */
export class SimulatedClock implements Clock {
  #now: number;
  #seq = 0;
  #heap: SimTimer[] = [];
  #live = 0;

  constructor(start = 0) {
    if (!Number.isFinite(start)) throw invalidArgument('start must be a finite number', { start });
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = ms > 0 ? ms : 0; // NaN and negatives: now; Infinity: never (due at Infinity)
    const timer: SimTimer = { __troupeTimer: true, due: this.#now + delay, seq: this.#seq++, fn };
    this.#push(timer);
    this.#live++;
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = handle as Partial<SimTimer>;
    if (timer.__troupeTimer === true && timer.fn !== undefined) {
      timer.fn = undefined;
      this.#live--;
      if (this.#heap.length > 2 * this.#live + COMPACT_SLACK) this.#compact();
    }
  }

  /** Number of timers set and neither fired nor cleared. */
  pending(): number {
    return this.#live;
  }

  /** Due time of the next live timer, or `undefined` when none is pending. */
  nextDue(): number | undefined {
    this.#dropCleared();
    return this.#heap[0]?.due;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way (including ones
   * those timers set), with promise continuations drained between timers.
   */
  async advance(ms: number): Promise<void> {
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw invalidArgument('ms must be a non-negative finite number', { ms });
    }
    const target = this.#now + ms;
    await drainMicrotasks();
    for (;;) {
      const next = this.nextDue();
      if (next === undefined || next > target) break;
      this.#fireNext();
      await drainMicrotasks();
    }
    this.#now = target;
  }

  /**
   * Like {@link advance} but synchronous: fires due timers without letting promise
   * continuations run in between. For hot loops and benchmarks over callback code.
   */
  advanceSync(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw invalidArgument('ms must be a non-negative finite number', { ms });
    }
    const target = this.#now + ms;
    for (;;) {
      const next = this.nextDue();
      if (next === undefined || next > target) break;
      this.#fireNext();
    }
    this.#now = target;
  }

  /**
   * Fires timers, jumping time to each one's due time, until none is pending (timers of
   * `Infinity` never come due and do not count).
   * Throws `ERR_TIMEOUT` after `maxTimers` (default 1,000,000) timers, which means
   * something keeps re-arming a timer forever.
   */
  async runUntilIdle(options: { maxTimers?: number } = {}): Promise<void> {
    const maxTimers = options.maxTimers ?? 1_000_000;
    let fired = 0;
    await drainMicrotasks();
    for (;;) {
      const next = this.nextDue();
      if (next === undefined || next === Number.POSITIVE_INFINITY) break;
      if (fired++ >= maxTimers) {
        throw new TroupeError(
          'ERR_TIMEOUT',
          `runUntilIdle fired ${maxTimers} timers without going idle`,
          {
            details: { maxTimers },
          },
        );
      }
      this.#fireNext();
      await drainMicrotasks();
    }
  }

  #fireNext(): void {
    const timer = this.#pop();
    if (timer === undefined) return;
    const fn = timer.fn;
    if (fn === undefined) return;
    timer.fn = undefined;
    this.#live--;
    if (timer.due > this.#now) this.#now = timer.due;
    fn();
  }

  /** Rebuilds the heap from its live timers (O(n)); the firing order is unchanged. */
  #compact(): void {
    const heap = this.#heap.filter((timer) => timer.fn !== undefined);
    this.#heap = heap;
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  #dropCleared(): void {
    while (this.#heap.length > 0 && this.#heap[0]!.fn === undefined) this.#pop();
  }

  static #before(a: SimTimer, b: SimTimer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  #push(timer: SimTimer): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!SimulatedClock.#before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #pop(): SimTimer | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    this.#siftDown(0);
    return top;
  }

  #siftDown(from: number): void {
    const heap = this.#heap;
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < heap.length && SimulatedClock.#before(heap[l]!, heap[best]!)) best = l;
      if (r < heap.length && SimulatedClock.#before(heap[r]!, heap[best]!)) best = r;
      if (best === i) break;
      [heap[i], heap[best]] = [heap[best]!, heap[i]!];
      i = best;
    }
  }
}
