import {
  abortedError,
  type BusBackend,
  invalidArgument,
  type Message,
  type ReadOptions,
  TroupeError,
  type WaitOptions,
} from '@troupe/core';
import {
  closedError,
  jsonText,
  type LongTimeout,
  parseReadOptions,
  parseWaitOptions,
  requireRecord,
  setLongTimeout,
} from '@troupe/core/backend';
import {
  defineScript,
  type RedisBackendOptions,
  requireKeyName,
  resolveCommon,
  toTroupeError,
} from '../internal/connection.js';
import { parseFrozen } from '../internal/frozen-json.js';
import { parseRetention, type StreamRetention } from '../internal/retention.js';
import { type ReaderClient, teamReader } from '../internal/team-reader.js';
import { decodeEntry, idOf, KEY_SHAPE, type Keyed, type StreamEntry, seqOf } from './codec.js';
import { type BusGap, gapError, SeenBook } from './gaps.js';
import { POST_SCRIPT } from './scripts.js';

export type { BusGap } from './gaps.js';

/**
 * Options of {@link createRedisBus}.
 *
 * @example
 * ```ts
 * const options: RedisBusOptions = {
 *   redis: 'redis://127.0.0.1:6379',
 *   clock: systemClock,
 *   team: 'alpha',
 *   blockMs: 5_000,
 *   retention: { maxCount: 100_000, maxAgeMs: 86_400_000 },
 *   onGap: (gap) => console.warn('bus gap', gap),
 * };
 * ```
 */
export interface RedisBusOptions extends RedisBackendOptions {
  /**
   * How long the blocking reader's `XREAD BLOCK` waits per call, ms (real time). A reader
   * whose reply is more than half of this late is taken for dead (a connection that silently
   * stopped forwarding) and replaced: detected within 1.5x `blockMs`. Default 5000.
   */
  readonly blockMs?: number;
  /** How many messages (and how old) Redis keeps per topic. Default: all. */
  readonly retention?: StreamRetention;
  /** Called at every gap a wait runs into (the wait rejects with `ERR_BUS_GAP` too). */
  readonly onGap?: (gap: BusGap) => void;
}

/**
 * Options of {@link RedisBus.post}.
 *
 * @example
 * ```ts
 * await bus.post('plan', message, { idempotencyKey: 'lead-42' }); // a retry of it posts nothing new
 * ```
 */
export interface RedisPostOptions {
  /**
   * Names this post so that a retry does not post twice: a post naming a key one of the
   * topic's newest 256 messages carries returns that message's seq. A failed post's error
   * carries the key it used in `details.idempotencyKey`. Letters, digits, `_`, `-`, `.`;
   * at most 128. Default: a fresh key per call.
   */
  readonly idempotencyKey?: string;
}

/**
 * The Redis bus: a {@link BusBackend} plus `waiters()` (for leak checks) and idempotent posts.
 *
 * @example
 * ```ts
 * const bus: RedisBus = createRedisBus({ redis, clock, team: 'alpha' });
 * const waiting = bus.wait('plan', { afterSeq: 0, timeoutMs: 1_000 });
 * console.log(bus.waiters('plan')); // 1, until it is woken, times out or is aborted
 * ```
 */
export interface RedisBus extends BusBackend {
  post<T = unknown>(
    topic: string,
    message: { from: string; body: T },
    options?: RedisPostOptions,
  ): Promise<{ seq: number }>;
  /** Pending `wait` calls of this bus on `topic` (or on every topic). */
  waiters(topic?: string): number;
}

interface Waiter {
  readonly topic: string;
  readonly afterSeq: number;
  readonly limit: number;
  resolve(messages: Message[]): void;
  reject(error: unknown): void;
  timer: LongTimeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * A {@link BusBackend} on Redis Streams, shared by every process that uses the same Redis,
 * prefix and team.
 *
 * - `post` is one script: `XADD <topic> 0-*` (Redis picks the next seq), with a stamp that
 *   lets readers see a history that went back, an idempotency key, and retention trimming.
 * - `read` is one `XRANGE` from `afterSeq + 1`.
 * - `wait` is served by one blocking reader per bus (`XREAD BLOCK blockMs` on every topic
 *   with waiters, each from its lowest `afterSeq`): a post anywhere wakes it, never a poll.
 *   A reply late by more than half of `blockMs` means a dead connection: the reader is
 *   replaced and the topics re-checked. A wait that meets a gap (a history that went back,
 *   or messages gone) rejects with `ERR_BUS_GAP` instead of skipping them.
 *
 * @example
 * ```ts
 * import { systemClock } from '@troupe/core';
 * import { createRedisBus } from '@troupe/redis';
 *
 * const bus = createRedisBus({ redis: 'redis://127.0.0.1:6379', clock: systemClock, team: 'alpha' });
 * const next = bus.wait('plan', { afterSeq: 0, timeoutMs: 5_000 });
 * await bus.post('plan', { from: 'lead', body: { step: 1 } });
 * console.log(await next); // [{ seq: 1, topic: 'plan', from: 'lead', body: { step: 1 }, at: ... }]
 * await bus.close();
 * ```
 */
export function createRedisBus(options: RedisBusOptions): RedisBus {
  const record = requireRecord(options, 'options');
  const blockMs = record.blockMs ?? 5_000;
  if (!(typeof blockMs === 'number' && Number.isSafeInteger(blockMs) && blockMs > 0)) {
    throw invalidArgument('options.blockMs must be a positive integer', { blockMs });
  }
  const retention = parseRetention(record.retention);
  const onGap = record.onGap;
  if (onGap !== undefined && typeof onGap !== 'function') {
    throw invalidArgument('options.onGap must be a function');
  }
  const { connection, clock, base } = resolveCommon(options, 'createRedisBus');
  const { client } = connection;
  const postScript = defineScript(client, 'troupeBusPost', POST_SCRIPT);
  const streamKey = (topic: string): string => `${base}b:${topic}`;
  const keyPrefix = `${process.pid.toString(36)}.${Math.random().toString(36).slice(2, 8)}.`;
  let posts = 0;
  let closed = false;

  const waiting = new Map<string, Set<Waiter>>();
  const seen = new SeenBook();

  const checkOpen = (): void => {
    if (closed) throw closedError('bus');
  };

  const settle = (waiter: Waiter): void => {
    const set = waiting.get(waiter.topic);
    if (set !== undefined) {
      set.delete(waiter);
      if (set.size === 0) waiting.delete(waiter.topic);
    }
    waiter.timer?.cancel();
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  };

  const failAll = (error: unknown): void => {
    for (const set of [...waiting.values()]) {
      for (const waiter of [...set]) {
        settle(waiter);
        waiter.reject(error);
      }
    }
  };

  const reportGap = (waiter: Waiter, gap: BusGap): void => {
    settle(waiter);
    waiter.reject(gapError(gap));
    onGap?.(gap);
  };

  /** A topic's history went back: every waiter on it is told, and what was seen forgotten. */
  const restarted = (topic: string): void => {
    seen.forget(topic);
    for (const waiter of [...(waiting.get(topic) ?? [])]) {
      reportGap(waiter, {
        topic,
        reason: 'restarted',
        afterSeq: waiter.afterSeq,
        resumeAfterSeq: 0,
      });
    }
  };

  /**
   * Hands `entries` (in seq order, all after the lowest cursor on the topic) to the waiters
   * they reach, checking continuity first.
   */
  const offer = (topic: string, entries: Keyed[]): void => {
    if (entries.length === 0) return;
    const last = entries[entries.length - 1]!;
    for (const waiter of [...(waiting.get(topic) ?? [])]) {
      const mine: Message[] = [];
      for (const entry of entries) {
        if (entry.message.seq > waiter.afterSeq) mine.push(entry.message);
        if (mine.length === waiter.limit) break;
      }
      if (mine.length === 0) continue;
      if (mine[0]!.seq > waiter.afterSeq + 1) {
        reportGap(waiter, {
          topic,
          reason: 'jumped',
          afterSeq: waiter.afterSeq,
          resumeAfterSeq: mine[0]!.seq - 1,
        });
        continue;
      }
      settle(waiter);
      waiter.resolve(mine);
    }
    seen.note(topic, last.message.seq, last.key);
  };

  /** What this bus waits on, read through the team's one blocking connection. */
  const readerClient: ReaderClient = {
    blockMs,
    interests() {
      const cursors = new Map<string, string>();
      for (const [topic, set] of waiting) {
        let min = Number.POSITIVE_INFINITY;
        for (const waiter of set) min = Math.min(min, waiter.afterSeq);
        cursors.set(streamKey(topic), idOf(min));
      }
      return cursors;
    },
    // COUNT is the largest limit: the waiter at the lowest cursor always gets its messages;
    // one further ahead that a full batch does not reach is served by the next read.
    count() {
      let count = 1;
      for (const set of waiting.values())
        for (const waiter of set) count = Math.max(count, waiter.limit);
      return count;
    },
    deliver(key, entries) {
      const topic = key.slice(base.length + 2);
      offer(
        topic,
        entries.map((entry) => decodeEntry(topic, entry)),
      );
    },
    /**
     * After a fresh connection (Redis restarted or failed over, or the old connection died):
     * on each topic with waiters, the newest message this bus read must still be there, from
     * the same post. If not, the topic lost messages and its seqs will name other ones: its
     * waiters are told at once (ERR_BUS_GAP) instead of being handed the new ones as if
     * nothing happened.
     */
    async recheck(call) {
      seen.keepOnly(new Set(waiting.keys()));
      for (const topic of [...waiting.keys()]) {
        const known = seen.get(topic);
        if (known === undefined) continue;
        const key = streamKey(topic);
        const at = (await call((c) =>
          c.xrange(key, idOf(known.seq), idOf(known.seq)),
        )) as StreamEntry[];
        const newest = (await call((c) => c.xrevrange(key, '+', '-', 'COUNT', 1))) as StreamEntry[];
        const lastSeq = newest[0] === undefined ? 0 : seqOf(newest[0][0]);
        const entry = at[0];
        // Gone with the topic ending before it, or another post in its place: the history
        // went back. Gone while later entries remain is retention trimming: no evidence.
        const replaced = entry !== undefined && decodeEntry(topic, entry).key !== known.key;
        if (replaced || (entry === undefined && lastSeq < known.seq)) restarted(topic);
      }
    },
    fail: (error) => failAll(error),
  };
  const reader = teamReader(connection, base);
  reader.add(readerClient);

  /**
   * Wakes this process's waiters on `topic` before `post` returns: a waiter right behind the
   * new message gets it at once (no trip through the reader); one further behind gets the gap
   * read by XRANGE. Remote posts reach waiters through the blocking reader.
   */
  const wakeLocal = async (topic: string, posted: Keyed): Promise<void> => {
    const set = waiting.get(topic);
    if (set === undefined) return;
    const seq = posted.message.seq;
    let from = Number.POSITIVE_INFINITY;
    for (const waiter of set) from = Math.min(from, waiter.afterSeq + 1);
    if (from === seq) {
      offer(topic, [posted]);
      return;
    }
    if (from > seq) return;
    let entries: StreamEntry[];
    try {
      entries = (await client.xrange(streamKey(topic), idOf(from), idOf(seq))) as StreamEntry[];
    } catch {
      return; // the blocking reader still delivers them
    }
    offer(
      topic,
      entries.map((entry) => decodeEntry(topic, entry)),
    );
  };

  const readRange = async (topic: string, afterSeq: number, limit: number): Promise<Message[]> => {
    let entries: StreamEntry[];
    try {
      entries = (await client.xrange(
        streamKey(topic),
        idOf(afterSeq + 1),
        '+',
        'COUNT',
        limit,
      )) as StreamEntry[];
    } catch (error) {
      throw toTroupeError(error, 'read');
    }
    return entries.map((entry) => decodeEntry(topic, entry).message);
  };

  return {
    async post<T = unknown>(
      topic: string,
      message: { from: string; body: T },
      postOptions?: RedisPostOptions,
    ): Promise<{ seq: number }> {
      checkOpen();
      requireKeyName(topic, 'topic');
      const m = requireRecord(message, 'message');
      const from = requireKeyName(m.from, 'from');
      const text = jsonText(m.body, 'body');
      const given = postOptions?.idempotencyKey;
      if (given !== undefined && (typeof given !== 'string' || !KEY_SHAPE.test(given))) {
        throw invalidArgument('idempotencyKey must be 1 to 128 letters, digits, "_", "-" or "."', {
          idempotencyKey: given,
        });
      }
      const key = given ?? `${keyPrefix}${(posts++).toString(36)}`;
      const at = clock.now();
      const value = `${at}|${key}|${text}`;
      let id: string;
      try {
        if (given === undefined && retention.maxAgeMs === 0) {
          // The common post: one XADD, no script.
          id = (await (retention.maxCount > 0
            ? client.xadd(streamKey(topic), 'MAXLEN', '~', retention.maxCount, '0-*', from, value)
            : client.xadd(streamKey(topic), '0-*', from, value))) as string;
        } else {
          const reply = (await postScript(
            [streamKey(topic)],
            [
              from,
              value,
              key,
              given === undefined ? '0' : '1',
              retention.maxCount,
              retention.maxAgeMs,
              at,
            ],
          )) as [string, number];
          id = reply[0];
          if (reply[1] === 1) return { seq: seqOf(id) };
        }
      } catch (error) {
        const failed = toTroupeError(error, 'post');
        throw new TroupeError(failed.code, failed.message, {
          cause: error,
          details: { ...failed.details, idempotencyKey: key },
        });
      }
      const seq = seqOf(id);
      await wakeLocal(topic, {
        message: Object.freeze({ seq, topic, from, body: parseFrozen(text), at }),
        key,
      });
      return { seq };
    },

    async read<T = unknown>(topic: string, readOptions?: ReadOptions): Promise<Message<T>[]> {
      checkOpen();
      requireKeyName(topic, 'topic');
      const { afterSeq, limit } = parseReadOptions(readOptions);
      return (await readRange(topic, afterSeq, limit)) as Message<T>[];
    },

    wait<T = unknown>(topic: string, waitOptions?: WaitOptions): Promise<Message<T>[]> {
      let afterSeq: number;
      let limit: number;
      let timeoutMs: number | undefined;
      let signal: AbortSignal | undefined;
      try {
        checkOpen();
        requireKeyName(topic, 'topic');
        ({ afterSeq, limit, timeoutMs, signal } = parseWaitOptions(waitOptions));
      } catch (error) {
        return Promise.reject(error);
      }
      if (signal?.aborted) return Promise.reject(abortedError(signal, 'wait'));
      // "Do not wait": whatever is there now.
      if (timeoutMs === 0) return readRange(topic, afterSeq, limit) as Promise<Message<T>[]>;
      return new Promise<Message<T>[]>((resolve, reject) => {
        const waiter: Waiter = {
          topic,
          afterSeq,
          limit,
          resolve: resolve as (messages: Message[]) => void,
          reject,
          timer: undefined,
          signal,
          onAbort: undefined,
        };
        // The timer is set now, on the caller's clock tick, not after a round trip; one longer
        // than a timer can hold (2^31 - 1 ms) is chained toward its deadline.
        if (timeoutMs !== undefined) {
          waiter.timer = setLongTimeout(
            clock,
            () => {
              waiter.timer = undefined;
              settle(waiter);
              resolve([]);
            },
            timeoutMs,
          );
        }
        if (signal !== undefined) {
          waiter.onAbort = () => {
            settle(waiter);
            reject(abortedError(signal, 'wait'));
          };
          signal.addEventListener('abort', waiter.onAbort, { once: true });
        }
        let set = waiting.get(topic);
        if (set === undefined) {
          set = new Set();
          waiting.set(topic, set);
        }
        set.add(waiter);
        // No read first: the reader's XREAD from afterSeq returns at once when messages exist.
        reader.changed();
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
      reader.remove(readerClient);
      await connection.close();
      // Rejected last, right before close() resolves, so a caller awaiting close() and then
      // its waiters has attached its handlers before the rejections count as unhandled.
      failAll(closedError('bus'));
    },
  };
}
