import type { BusBackend, Message, ReadOptions, WaitOptions } from '../backend/interfaces.js';
import { parseReadOptions, parseWaitOptions } from '../backend/method-inputs.js';
import {
  closedError,
  frozenJsonCopy,
  requireClock,
  requireIndex,
  requireName,
  requireRecord,
} from '../backend/validate.js';
import type { Clock, TimerHandle } from '../clock.js';
import { abortedError } from '../errors.js';
import { ChurnMap } from '../state/churn-map.js';

/**
 * Options of {@link createBus}, checked once when it is called.
 *
 * @example
 * ```ts
 * const options: BusOptions = { clock: systemClock };
 * const bus = createBus(options);
 * ```
 */
export interface BusOptions {
  readonly clock: Clock;
}

/**
 * The in-memory {@link BusBackend}, plus introspection for tests.
 *
 * @example
 * ```ts
 * const bus: MemoryBus = createBus({ clock });
 * console.log(bus.waiters()); // 0
 * ```
 */
export interface MemoryBus extends BusBackend {
  /**
   * Pending `wait` calls on `topic` (or on every topic). A waiter that was woken, timed out or
   * aborted is not counted: it holds no listener and no timer any more.
   *
   * @example
   * ```ts
   * const waiting = bus.wait('t', { afterSeq: 0, timeoutMs: 100 });
   * bus.waiters('t'); // 1
   * await clock.advance(100);
   * bus.waiters('t'); // 0
   * ```
   */
  waiters(topic?: string): number;
}

/**
 * A topic's messages (`seq` n at index n - 1 - base) and its pending waiters, in an intrusive
 * doubly linked list: a post walks it without allocating an iterator, and a waiter that times
 * out or aborts unlinks itself in O(1). New waiters go at `tail`, so a post wakes them oldest
 * first. `trim` drops messages from the front in batches (`base` counts the dropped ones).
 */
interface Topic {
  readonly name: string;
  messages: Message[];
  /** Messages dropped from the front by `trim`: `messages[0]` has seq `base + 1`. */
  base: number;
  /** Seqs up to this one may be dropped (`trim`); dropped in batches of {@link TRIM_BATCH}. */
  trimTo: number;
  head: Waiter | undefined;
  tail: Waiter | undefined;
  waiting: number;
}

interface Waiter {
  readonly topic: Topic;
  readonly afterSeq: number;
  readonly limit: number;
  readonly resolve: (messages: Message[]) => void;
  readonly reject: (error: unknown) => void;
  prev: Waiter | undefined;
  next: Waiter | undefined;
  linked: boolean;
  timer: TimerHandle | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * Creates the in-memory bus: ordered messages per topic (`seq` from 1) and blocking waits that
 * the post itself wakes, with no polling. Messages are kept for the life of the bus, unless
 * `trim` says they are no longer needed (a team trims each agent's mailbox as it handles it).
 *
 * `read` and the immediate path of `wait` slice by index (seqs are dense, so message `seq` is
 * at index `seq - 1` less the trimmed ones): cost is the number of messages returned, not the
 * topic's length.
 * Bodies must be JSON values; the bus stores a deeply frozen copy.
 *
 * @example
 * ```ts
 * const bus = createBus({ clock: systemClock });
 * const next = bus.wait('reviews', { afterSeq: 0, timeoutMs: 5_000 });
 * await bus.post('reviews', { from: 'lead', body: { file: 'src/app.ts' } });
 * console.log(await next); // [{ seq: 1, topic: 'reviews', from: 'lead', body: {...}, at }]
 * ```
 */
export function createBus(options: BusOptions): MemoryBus {
  const opts = requireRecord(options, 'options');
  return new InMemoryBus(requireClock(opts.clock));
}

/** Marks the `wait` of an in-memory bus (see {@link isMemoryBusWait}). */
const MEMORY_WAIT = Symbol('troupe.memoryBusWait');

/**
 * True when `wait` is an in-memory bus's own `wait` (a wrapper's is not). Of a signal, that
 * `wait` reads only `aborted` and `reason` and adds and removes one `'abort'` listener: the
 * team's mailboxes end their waits on such a bus with a small signal of their own instead of an
 * AbortController each (team/mailbox-signal.ts).
 *
 * @example
 * ```ts
 * isMemoryBusWait(createBus({ clock }).wait); // true
 * ```
 */
export function isMemoryBusWait(wait: unknown): boolean {
  return typeof wait === 'function' && (wait as { [MEMORY_WAIT]?: true })[MEMORY_WAIT] === true;
}

/** Trimmed messages are dropped once this many are due (amortized O(1) per message). */
const TRIM_BATCH = 64;

/** Up to `limit` messages after `afterSeq` (a trimmed seq reads from the first one kept). */
function slice(topic: Topic | undefined, afterSeq: number, limit: number): Message[] {
  if (topic === undefined) return [];
  const from = Math.max(0, afterSeq - topic.base);
  const { messages } = topic;
  return messages.length <= from ? [] : messages.slice(from, from + limit);
}

/**
 * The bus {@link createBus} returns, its options already checked.
 *
 * Its methods are own properties (arrow fields), as on the object the factory used to build: a
 * wrapper may spread it (`{ ...backend, post }`) or take a method off it.
 */
class InMemoryBus implements MemoryBus {
  readonly #clock: Clock;
  // A topic with messages stays for the life of the bus; one made only by a wait goes when its
  // last waiter does, so waits on many topics leave nothing behind.
  readonly #topics = new ChurnMap<string, Topic>();
  #closed = false;

  constructor(clock: Clock) {
    this.#clock = clock;
    Object.defineProperty(this.wait, MEMORY_WAIT, { value: true });
  }

  readonly post = async <T = unknown>(
    topic: string,
    message: { from: string; body: T },
  ): Promise<{ seq: number }> => {
    if (this.#closed) throw closedError('bus');
    requireName(topic, 'topic');
    const m = requireRecord(message, 'message');
    const from = requireName(m.from, 'from');
    const body = frozenJsonCopy(m.body, 'body');
    const record = this.#topicFor(topic);
    const messages = record.messages;
    const seq = record.base + messages.length + 1;
    const stored: Message = Object.freeze({ seq, topic, from, body, at: this.#clock.now() });
    messages.push(stored);
    // Wake every waiter whose afterSeq this seq passes, oldest first, each with its own slice;
    // `next` is read before `detach` clears it.
    let waiter = record.head;
    while (waiter !== undefined) {
      const next = waiter.next;
      if (waiter.afterSeq < seq) {
        this.#detach(waiter);
        waiter.resolve(
          waiter.afterSeq === seq - 1 ? [stored] : slice(record, waiter.afterSeq, waiter.limit),
        );
      }
      waiter = next;
    }
    return { seq };
  };

  readonly read = async <T = unknown>(
    topic: string,
    options?: ReadOptions,
  ): Promise<Message<T>[]> => {
    if (this.#closed) throw closedError('bus');
    requireName(topic, 'topic');
    const { afterSeq, limit } = parseReadOptions(options);
    return slice(this.#topics.get(topic), afterSeq, limit) as Message<T>[];
  };

  readonly trim = async (topic: string, throughSeq: number): Promise<void> => {
    if (this.#closed) throw closedError('bus');
    requireName(topic, 'topic');
    requireIndex(throughSeq, 'throughSeq');
    const record = this.#topics.get(topic);
    if (record === undefined || throughSeq <= record.trimTo) return;
    // Never past the last message: the next post's seq stays where it is.
    record.trimTo = Math.min(throughSeq, record.base + record.messages.length);
    const due = record.trimTo - record.base;
    if (due < TRIM_BATCH) return;
    record.messages = record.messages.slice(due);
    record.base = record.trimTo;
  };

  // Not `async`: the returned promise is the waiter's own, so a post wakes the caller in one
  // microtask hop instead of three.
  readonly wait = <T = unknown>(topic: string, options?: WaitOptions): Promise<Message<T>[]> => {
    let afterSeq: number;
    let limit: number;
    let timeoutMs: number | undefined;
    let signal: AbortSignal | undefined;
    try {
      if (this.#closed) throw closedError('bus');
      requireName(topic, 'topic');
      ({ afterSeq, limit, timeoutMs, signal } = parseWaitOptions(options));
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(abortedError(signal, 'wait'));
    // A post between the caller's read and this wait is already stored: return it now.
    const ready = slice(this.#topics.get(topic), afterSeq, limit);
    if (ready.length > 0 || timeoutMs === 0) return Promise.resolve(ready as Message<T>[]);
    return new Promise<Message<T>[]>((resolve, reject) => {
      const waiter = this.#enqueue(topic, afterSeq, limit, resolve as Waiter['resolve'], reject);
      if (timeoutMs !== undefined) {
        // Any length: the clock itself handles delays past one host timer's reach.
        waiter.timer = this.#clock.setTimeout(() => {
          waiter.timer = undefined;
          this.#detach(waiter);
          resolve([]);
        }, timeoutMs);
      }
      if (signal !== undefined) {
        const onAbort = (): void => {
          this.#detach(waiter);
          reject(abortedError(signal, 'wait'));
        };
        waiter.signal = signal;
        waiter.onAbort = onAbort;
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  };

  readonly waiters = (topic?: string): number => {
    if (topic !== undefined) return this.#topics.get(topic)?.waiting ?? 0;
    let count = 0;
    for (const record of this.#topics.values()) count += record.waiting;
    return count;
  };

  readonly close = async (): Promise<void> => {
    if (this.#closed) return;
    this.#closed = true;
    const error = closedError('bus');
    for (const record of [...this.#topics.values()]) {
      while (record.head !== undefined) {
        const waiter = record.head;
        this.#detach(waiter);
        waiter.reject(error);
      }
    }
    this.#topics.clear();
  };

  #topicFor(name: string): Topic {
    let topic = this.#topics.get(name);
    if (topic === undefined) {
      topic = {
        name,
        messages: [],
        base: 0,
        trimTo: 0,
        head: undefined,
        tail: undefined,
        waiting: 0,
      };
      this.#topics.set(name, topic);
    }
    return topic;
  }

  /** Links a new waiter at the tail of its topic's list. */
  #enqueue(
    topic: string,
    afterSeq: number,
    limit: number,
    resolve: Waiter['resolve'],
    reject: Waiter['reject'],
  ): Waiter {
    const record = this.#topicFor(topic);
    const waiter: Waiter = {
      topic: record,
      afterSeq,
      limit,
      resolve,
      reject,
      prev: record.tail,
      next: undefined,
      linked: true,
      timer: undefined,
      signal: undefined,
      onAbort: undefined,
    };
    if (record.tail === undefined) record.head = waiter;
    else record.tail.next = waiter;
    record.tail = waiter;
    record.waiting++;
    return waiter;
  }

  /** Detaches a waiter from everything that could still reach it: list, timer, signal. */
  #detach(waiter: Waiter): void {
    if (waiter.linked) {
      const topic = waiter.topic;
      waiter.linked = false;
      if (waiter.prev === undefined) topic.head = waiter.next;
      else waiter.prev.next = waiter.next;
      if (waiter.next === undefined) topic.tail = waiter.prev;
      else waiter.next.prev = waiter.prev;
      waiter.prev = undefined;
      waiter.next = undefined;
      if (--topic.waiting === 0 && topic.messages.length === 0 && topic.base === 0)
        this.#topics.delete(topic.name);
    }
    if (waiter.timer !== undefined) {
      this.#clock.clearTimeout(waiter.timer);
      waiter.timer = undefined;
    }
    if (waiter.signal !== undefined) {
      waiter.signal.removeEventListener('abort', waiter.onAbort!);
      waiter.signal = undefined;
      waiter.onAbort = undefined;
    }
  }
}
