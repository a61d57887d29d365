import {
  abortedError,
  invalidArgument,
  type Message,
  type ReadOptions,
  TroupeError,
  type WaitOptions,
} from '@troupe/core';
import {
  closedError,
  jsonText,
  parseReadOptions,
  parseWaitOptions,
  requirePositiveInteger,
  requireRecord,
  setLongTimeout,
} from '@troupe/core/backend';
import { defineScript, type ScriptRunner } from '../internal/define-script.js';
import { parseFrozen } from '../internal/frozen-json.js';
import { type ResolvedCommon, requireKeyName, resolveCommon } from '../internal/options.js';
import { RedisBackend } from '../internal/redis-backend.js';
import { parseRetention } from '../internal/retention.js';
import { type TeamReader, teamReader } from '../internal/team-reader.js';
import { BusReaderClient } from './bus-reader.js';
import { decodeEntry, idOf, KEY_SHAPE, type Keyed, type StreamEntry, seqOf } from './codec.js';
import type { BusGap } from './gaps.js';
import { POST_SCRIPT } from './scripts.js';
import type { RedisBus, RedisBusOptions, RedisPostOptions } from './types.js';
import { BusWaiters, type Waiter } from './waiters.js';

export type { BusGap } from './gaps.js';
export type { RedisBus, RedisBusOptions, RedisPostOptions } from './types.js';

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
  const blockMs =
    record.blockMs === undefined
      ? 5_000
      : requirePositiveInteger(record.blockMs, 'options.blockMs');
  const retention = parseRetention(record.retention);
  const onGap = record.onGap;
  if (onGap !== undefined && typeof onGap !== 'function') {
    throw invalidArgument('options.onGap must be a function');
  }
  return new RedisBusBackend(resolveCommon(options), {
    blockMs,
    retention,
    onGap: onGap as ((gap: BusGap) => void) | undefined,
  });
}

interface BusSettings {
  readonly blockMs: number;
  readonly retention: { readonly maxCount: number; readonly maxAgeMs: number };
  readonly onGap: ((gap: BusGap) => void) | undefined;
}

class RedisBusBackend extends RedisBackend implements RedisBus {
  readonly #clock: ResolvedCommon['clock'];
  readonly #retention: BusSettings['retention'];
  readonly #post: ScriptRunner;
  readonly #waiters: BusWaiters;
  readonly #readerClient: BusReaderClient;
  readonly #reader: TeamReader;
  /** Fresh idempotency keys: this prefix (process and bus) and a counter. */
  readonly #keyPrefix = `${process.pid.toString(36)}.${Math.random().toString(36).slice(2, 8)}.`;
  #posts = 0;

  constructor({ connection, clock, base }: ResolvedCommon, settings: BusSettings) {
    super(connection, 'bus');
    this.#clock = clock;
    this.#retention = settings.retention;
    this.#post = defineScript(this.client, 'troupeBusPost', POST_SCRIPT);
    this.#waiters = new BusWaiters(settings.onGap);
    this.#readerClient = new BusReaderClient(this.#waiters, base, settings.blockMs);
    this.#reader = teamReader(connection, base);
    this.#reader.add(this.#readerClient);
  }

  #streamKey(topic: string): string {
    return this.#readerClient.streamKey(topic);
  }

  async post<T = unknown>(
    topic: string,
    message: { from: string; body: T },
    postOptions?: RedisPostOptions,
  ): Promise<{ seq: number }> {
    this.open();
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
    const key = given ?? `${this.#keyPrefix}${(this.#posts++).toString(36)}`;
    const at = this.#clock.now();
    const value = `${at}|${key}|${text}`;
    let id: string;
    let repeated: boolean;
    try {
      [id, repeated] = await this.#append(topic, from, value, key, given !== undefined, at);
    } catch (error) {
      const failed = this.failure(error, 'post');
      throw new TroupeError(failed.code, failed.message, {
        cause: error,
        details: { ...failed.details, idempotencyKey: key },
      });
    }
    const seq = seqOf(id);
    if (repeated) return { seq };
    await this.#wakeLocal(topic, {
      message: Object.freeze({ seq, topic, from, body: parseFrozen(text), at }),
      key,
    });
    return { seq };
  }

  /**
   * Appends one message: the entry id, and whether it was an earlier post with the same
   * idempotency key (nothing new was written).
   */
  async #append(
    topic: string,
    from: string,
    value: string,
    key: string,
    named: boolean,
    at: number,
  ): Promise<[id: string, repeated: boolean]> {
    const { maxCount, maxAgeMs } = this.#retention;
    const stream = this.#streamKey(topic);
    if (!named && maxAgeMs === 0) {
      // The common post: one XADD, no script.
      const id = (await (maxCount > 0
        ? this.client.xadd(stream, 'MAXLEN', '~', maxCount, '0-*', from, value)
        : this.client.xadd(stream, '0-*', from, value))) as string;
      return [id, false];
    }
    const reply = (await this.#post(
      [stream],
      [from, value, key, named ? '1' : '0', maxCount, maxAgeMs, at],
    )) as [string, number];
    return [reply[0], reply[1] === 1];
  }

  /**
   * Wakes this process's waiters on `topic` before `post` returns: a waiter right behind the
   * new message gets it at once (no trip through the reader); one further behind gets the gap
   * read by XRANGE. Remote posts reach waiters through the blocking reader.
   */
  async #wakeLocal(topic: string, posted: Keyed): Promise<void> {
    const seq = posted.message.seq;
    const from = this.#waiters.lowestAfter(topic) + 1;
    if (from === seq) {
      this.#waiters.offer(topic, [posted]);
      return;
    }
    if (from > seq) return;
    let entries: StreamEntry[];
    try {
      entries = (await this.client.xrange(
        this.#streamKey(topic),
        idOf(from),
        idOf(seq),
      )) as StreamEntry[];
    } catch {
      return; // the blocking reader still delivers them
    }
    this.#waiters.offer(
      topic,
      entries.map((entry) => decodeEntry(topic, entry)),
    );
  }

  async #readRange(topic: string, afterSeq: number, limit: number): Promise<Message[]> {
    let entries: StreamEntry[];
    try {
      entries = (await this.client.xrange(
        this.#streamKey(topic),
        idOf(afterSeq + 1),
        '+',
        'COUNT',
        limit,
      )) as StreamEntry[];
    } catch (error) {
      throw this.failure(error, 'read');
    }
    return entries.map((entry) => decodeEntry(topic, entry).message);
  }

  async read<T = unknown>(topic: string, readOptions?: ReadOptions): Promise<Message<T>[]> {
    this.open();
    requireKeyName(topic, 'topic');
    const { afterSeq, limit } = parseReadOptions(readOptions);
    return (await this.#readRange(topic, afterSeq, limit)) as Message<T>[];
  }

  wait<T = unknown>(topic: string, waitOptions?: WaitOptions): Promise<Message<T>[]> {
    let parsed: ReturnType<typeof parseWaitOptions>;
    try {
      this.open();
      requireKeyName(topic, 'topic');
      parsed = parseWaitOptions(waitOptions);
    } catch (error) {
      return Promise.reject(error);
    }
    const { afterSeq, limit, timeoutMs, signal } = parsed;
    if (signal?.aborted) return Promise.reject(abortedError(signal, 'wait'));
    // "Do not wait": whatever is there now.
    if (timeoutMs === 0) return this.#readRange(topic, afterSeq, limit) as Promise<Message<T>[]>;
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
      this.#enqueue(waiter, timeoutMs);
    });
  }

  /** Starts a wait: its timer, its abort listener, and the reader reading for it. */
  #enqueue(waiter: Waiter, timeoutMs: number | undefined): void {
    // The timer is set now, on the caller's clock tick, not after a round trip; one longer
    // than a timer can hold (2^31 - 1 ms) is chained toward its deadline.
    if (timeoutMs !== undefined) {
      waiter.timer = setLongTimeout(
        this.#clock,
        () => {
          waiter.timer = undefined;
          this.#waiters.settle(waiter);
          waiter.resolve([]);
        },
        timeoutMs,
      );
    }
    const signal = waiter.signal;
    if (signal !== undefined) {
      waiter.onAbort = () => {
        this.#waiters.settle(waiter);
        waiter.reject(abortedError(signal, 'wait'));
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
    this.#waiters.add(waiter);
    // No read first: the reader's XREAD from afterSeq returns at once when messages exist.
    this.#reader.changed();
  }

  waiters(topic?: string): number {
    return this.#waiters.count(topic);
  }

  protected override async closing(): Promise<void> {
    this.#reader.remove(this.#readerClient);
    await this.connection.close();
    // Rejected last, right before close() resolves, so a caller awaiting close() and then
    // its waiters has attached its handlers before the rejections count as unhandled.
    this.#waiters.failAll(closedError('bus'));
  }
}
