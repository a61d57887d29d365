// The options every Redis backend takes, checked once at construction.
import { type Clock, invalidArgument, systemClock } from '@troupe/core';
import {
  requireBoundedName,
  requireClock,
  requireDuration,
  requireName,
  requireRecord,
} from '@troupe/core/backend';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { type Connection, openConnection } from './connection.js';

/**
 * An ioredis client to share (a `Redis` or a `Cluster`), or options / a `redis://` URL to open
 * one with.
 *
 * @example
 * ```ts
 * const shared: RedisInput = new Redis({ host: '10.0.0.5', maxRetriesPerRequest: 1, commandTimeout: 2_000 });
 * const cluster: RedisInput = new Cluster([{ host: '10.0.0.5', port: 7000 }]);
 * const owned: RedisInput = 'redis://10.0.0.5:6379';
 * ```
 */
export type RedisInput = Redis | Cluster | RedisOptions | string;

/**
 * A connected ioredis client: a single node or a cluster.
 *
 * @example
 * ```ts
 * const client: RedisClient = new Cluster([{ host: '10.0.0.5', port: 7000 }], { redisOptions: { commandTimeout: 1_000 } });
 * const state = createRedisSharedState({ redis: client, clock: systemClock, team: 'alpha' });
 * ```
 */
export type RedisClient = Redis | Cluster;

/**
 * Where scripts take "now" from: `'redis'` is the server's `TIME` inside each script (client
 * clocks do not matter: live use across machines); `'clock'` is the backend's `clock`, passed
 * in (simulations on a `SimulatedClock`).
 *
 * @example
 * ```ts
 * const live: TimeSource = 'redis';
 * ```
 */
export type TimeSource = 'redis' | 'clock';

/**
 * Options every Redis backend takes.
 *
 * @example
 * ```ts
 * const common: RedisBackendOptions = { redis: 'redis://127.0.0.1:6379', clock: systemClock, team: 'alpha' };
 * const state = createRedisSharedState(common);
 * const bus = createRedisBus(common);
 * ```
 */
export interface RedisBackendOptions {
  /** An ioredis client (not closed by `close()`), or options / a URL for one the backend owns. */
  readonly redis: RedisInput;
  readonly clock: Clock;
  /** First part of every key. Default `'troupe'`. */
  readonly prefix?: string;
  /**
   * The team whose state this is. Every key of a team carries the hash tag `{team}`, so a
   * Redis Cluster keeps them in one slot and multi-key scripts stay legal. Default `'default'`.
   */
  readonly team?: string;
  /**
   * Bound on any one command, ms, for clients the backend opens itself (ioredis's
   * `commandTimeout`). Default 5000. With a client you pass in, set ioredis's own
   * `commandTimeout` and `maxRetriesPerRequest`.
   */
  readonly commandTimeoutMs?: number;
  /**
   * Where time comes from for expiries, windows and leases: `'redis'` (the server's `TIME`,
   * read inside each script, so skewed client clocks change nothing) or `'clock'` (the
   * `clock` option, passed into each script: simulations). Default `'redis'` when `clock` is
   * `systemClock`, `'clock'` otherwise. Timers that wait (a wait's timeout, a limiter retry)
   * always run on `clock`.
   */
  readonly time?: TimeSource;
}

/** The common options, checked, with the connection they describe. */
export interface ResolvedCommon {
  readonly connection: Connection;
  readonly clock: Clock;
  /** `<prefix>:{<team>}:` */
  readonly base: string;
  /** True when scripts read the server's `TIME` (see {@link TimeSource}). */
  readonly serverTime: boolean;
  /** The `now` argument of a script: `''` (the script reads `TIME`) or the clock's time. */
  readonly nowArg: () => string | number;
}

/**
 * The longest agent, resource, topic or key name the Redis backends accept (UTF-16 units):
 * names are parts of keys, and a bound keeps every key and argument small.
 */
export const MAX_NAME_LENGTH = 1_024;

/**
 * An agent, resource, topic or key name as the Redis backends take it: non-empty, at most
 * {@link MAX_NAME_LENGTH} units, no lone surrogate (UTF-8 would turn every lone surrogate
 * into the same replacement character, merging distinct names into one key).
 */
export function requireKeyName(value: unknown, name: string): string {
  return requireBoundedName(value, name, MAX_NAME_LENGTH);
}

/** A key part that becomes a hash tag or sits beside one: non-empty, no braces. */
function requireTagPart(value: unknown, name: string): string {
  const text = requireName(value, name);
  if (/[{}]/.test(text)) {
    throw invalidArgument(`${name} must be a non-empty string without braces`, { [name]: text });
  }
  return text;
}

/** Validates the options every backend shares, naming the bad one, and opens the connection. */
export function resolveCommon(options: RedisBackendOptions): ResolvedCommon {
  const record = requireRecord(options, 'options');
  const clock = requireClock(record.clock, 'clock');
  const prefix = requireTagPart(record.prefix ?? 'troupe', 'prefix');
  const team = requireTagPart(record.team ?? 'default', 'team');
  const commandTimeoutMs =
    record.commandTimeoutMs === undefined
      ? 5_000
      : requireDuration(record.commandTimeoutMs, 'commandTimeoutMs');
  if (record.redis === undefined || record.redis === null) {
    throw invalidArgument(
      'redis is required: an ioredis client, ioredis options or a redis:// URL',
    );
  }
  const time = record.time ?? (clock === systemClock ? 'redis' : 'clock');
  if (time !== 'redis' && time !== 'clock') {
    throw invalidArgument("time must be 'redis' or 'clock'", { time });
  }
  const connection = openConnection(options.redis, commandTimeoutMs);
  const serverTime = time === 'redis';
  return {
    connection,
    clock,
    base: `${prefix}:{${team}}:`,
    serverTime,
    nowArg: serverTime ? () => '' : () => clock.now(),
  };
}
