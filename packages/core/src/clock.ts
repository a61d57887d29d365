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

/**
 * Real time: `Date.now()` and the host's timers.
 *
 * @example
 * ```ts
 * const limiter = createRateLimiter({ clock: systemClock, rules: [] });
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): TimerHandle => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle: TimerHandle): void => {
    globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>);
  },
});

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
 * Timers live in a binary heap: setting and firing are O(log n), clearing is O(1) (the
 * entry is marked and skipped when it reaches the top).
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
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
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
   * Fires timers, jumping time to each one's due time, until none is pending.
   * Throws `ERR_TIMEOUT` after `maxTimers` (default 1,000,000) timers, which means
   * something keeps re-arming a timer forever.
   */
  async runUntilIdle(options: { maxTimers?: number } = {}): Promise<void> {
    const maxTimers = options.maxTimers ?? 1_000_000;
    let fired = 0;
    await drainMicrotasks();
    while (this.nextDue() !== undefined) {
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
    let i = 0;
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
    return top;
  }
}
