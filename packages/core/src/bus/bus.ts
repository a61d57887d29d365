import type { BusBackend, Message, ReadOptions, WaitOptions } from '../backends.js';
import type { Clock, TimerHandle } from '../clock.js';
import { abortedError } from '../errors.js';
import {
  closedError,
  frozenJsonCopy,
  optionalRecord,
  optionalSignal,
  requireClock,
  requireDelay,
  requireIndex,
  requireName,
  requirePositiveInteger,
  requireRecord,
} from '../state/validate.js';

/** Default `limit` of `read` and `wait`. */
export const DEFAULT_READ_LIMIT = 100;

export interface BusOptions {
  readonly clock: Clock;
}

/** The in-memory {@link BusBackend}, plus introspection for tests. */
export interface MemoryBus extends BusBackend {
  /**
   * Pending `wait` calls on `topic` (or on every topic). A waiter that was woken, timed out or
   * aborted is not counted: it holds no listener and no timer any more.
   */
  waiters(topic?: string): number;
}

interface Waiter {
  readonly topic: string;
  readonly afterSeq: number;
  readonly limit: number;
  readonly resolve: (messages: Message[]) => void;
  readonly reject: (error: unknown) => void;
  timer: TimerHandle | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * Creates the in-memory bus: ordered messages per topic (`seq` from 1) and blocking waits that
 * the post itself wakes, with no polling. Messages are kept for the life of the bus.
 *
 * `read` and the immediate path of `wait` slice by index (seqs are dense, so message `seq` is
 * at index `seq - 1`): cost is the number of messages returned, not the topic's length.
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
  const clock = requireClock(opts.clock);
  const topics = new Map<string, Message[]>();
  const waiting = new Map<string, Set<Waiter>>();
  let closed = false;

  /** Detaches a waiter from everything that could still reach it. */
  function detach(waiter: Waiter): void {
    const set = waiting.get(waiter.topic);
    if (set?.delete(waiter) && set.size === 0) waiting.delete(waiter.topic);
    if (waiter.timer !== undefined) {
      clock.clearTimeout(waiter.timer);
      waiter.timer = undefined;
    }
    if (waiter.signal !== undefined) {
      waiter.signal.removeEventListener('abort', waiter.onAbort!);
      waiter.signal = undefined;
      waiter.onAbort = undefined;
    }
  }

  function parseRead(options: unknown): { afterSeq: number; limit: number } {
    const o = optionalRecord(options, 'options');
    return {
      afterSeq: o.afterSeq === undefined ? 0 : requireIndex(o.afterSeq, 'afterSeq'),
      limit: o.limit === undefined ? DEFAULT_READ_LIMIT : requirePositiveInteger(o.limit, 'limit'),
    };
  }

  const slice = (messages: Message[] | undefined, afterSeq: number, limit: number): Message[] =>
    messages === undefined || messages.length <= afterSeq
      ? []
      : messages.slice(afterSeq, afterSeq + limit);

  return {
    async post<T = unknown>(
      topic: string,
      message: { from: string; body: T },
    ): Promise<{ seq: number }> {
      if (closed) throw closedError('bus');
      requireName(topic, 'topic');
      const m = requireRecord(message, 'message');
      const from = requireName(m.from, 'from');
      const body = frozenJsonCopy(m.body, 'body');
      let messages = topics.get(topic);
      if (messages === undefined) {
        messages = [];
        topics.set(topic, messages);
      }
      const seq = messages.length + 1;
      messages.push(Object.freeze({ seq, topic, from, body, at: clock.now() }));
      const set = waiting.get(topic);
      if (set !== undefined) {
        // Each waiter gets its own slice from its own afterSeq; iterating a Set while deleting
        // the visited element is safe.
        for (const waiter of set) {
          if (waiter.afterSeq >= seq) continue;
          detach(waiter);
          waiter.resolve(slice(messages, waiter.afterSeq, waiter.limit));
        }
      }
      return { seq };
    },

    async read<T = unknown>(topic: string, options?: ReadOptions): Promise<Message<T>[]> {
      if (closed) throw closedError('bus');
      requireName(topic, 'topic');
      const { afterSeq, limit } = parseRead(options);
      return slice(topics.get(topic), afterSeq, limit) as Message<T>[];
    },

    // Not `async`: the returned promise is the waiter's own, so a post wakes the caller in one
    // microtask hop instead of three.
    wait<T = unknown>(topic: string, options?: WaitOptions): Promise<Message<T>[]> {
      let afterSeq: number;
      let limit: number;
      let timeoutMs: number | undefined;
      let signal: AbortSignal | undefined;
      try {
        if (closed) throw closedError('bus');
        requireName(topic, 'topic');
        ({ afterSeq, limit } = parseRead(options));
        const o = options as { timeoutMs?: unknown; signal?: unknown } | undefined;
        timeoutMs = o?.timeoutMs === undefined ? undefined : requireDelay(o.timeoutMs, 'timeoutMs');
        signal = optionalSignal(o?.signal, 'signal');
      } catch (error) {
        return Promise.reject(error);
      }
      if (signal?.aborted) return Promise.reject(abortedError(signal, 'wait'));
      // A post between the caller's read and this wait is already stored: return it now.
      const ready = slice(topics.get(topic), afterSeq, limit);
      if (ready.length > 0 || timeoutMs === 0) return Promise.resolve(ready as Message<T>[]);

      return new Promise<Message<T>[]>((resolve, reject) => {
        const waiter: Waiter = {
          topic,
          afterSeq,
          limit,
          resolve: resolve as (messages: Message[]) => void,
          reject,
          timer: undefined,
          signal: undefined,
          onAbort: undefined,
        };
        let set = waiting.get(topic);
        if (set === undefined) {
          set = new Set();
          waiting.set(topic, set);
        }
        set.add(waiter);
        if (timeoutMs !== undefined) {
          waiter.timer = clock.setTimeout(() => {
            waiter.timer = undefined;
            detach(waiter);
            resolve([]);
          }, timeoutMs);
        }
        if (signal !== undefined) {
          const onAbort = (): void => {
            detach(waiter);
            reject(abortedError(signal, 'wait'));
          };
          waiter.signal = signal;
          waiter.onAbort = onAbort;
          signal.addEventListener('abort', onAbort, { once: true });
        }
      });
    },

    waiters(topic?: string): number {
      if (topic !== undefined) return waiting.get(topic)?.size ?? 0;
      let count = 0;
      for (const set of waiting.values()) count += set.size;
      return count;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const error = closedError('bus');
      for (const set of [...waiting.values()]) {
        for (const waiter of set) {
          detach(waiter);
          waiter.reject(error);
        }
      }
      waiting.clear();
      topics.clear();
    },
  };
}
