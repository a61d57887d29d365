// The public shape of the Redis bus: its options, post options and interface.
import type { BusBackend } from '@troupe/core';
import type { RedisBackendOptions } from '../internal/options.js';
import type { StreamRetention } from '../internal/retention.js';
import type { BusGap } from './gaps.js';

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
