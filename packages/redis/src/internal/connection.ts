import { type Clock, invalidArgument, TroupeError } from '@troupe/core';
import { requireClock } from '@troupe/core/backend';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * An ioredis client to share, or options / a `redis://` URL to open one with.
 *
 * @example
 * ```ts
 * const shared: RedisInput = new Redis({ host: '10.0.0.5', maxRetriesPerRequest: 1, commandTimeout: 2_000 });
 * const owned: RedisInput = 'redis://10.0.0.5:6379';
 * ```
 */
export type RedisInput = Redis | RedisOptions | string;

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
   * Bound on any one command, ms, for clients the backend opens itself. Default 5000.
   * With a client you pass in, set ioredis's own `commandTimeout` and `maxRetriesPerRequest`.
   */
  readonly commandTimeoutMs?: number;
}

/** Reply errors that mean "the server cannot serve right now", not "the script is wrong". */
const UNAVAILABLE_REPLY =
  /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|MISCONF|OOM)\b/;

/** Maps any failure of a Redis call to a TroupeError with a stable code. */
export function toTroupeError(error: unknown, operation: string): TroupeError {
  if (error instanceof TroupeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : '';
  if (name === 'ReplyError' && !UNAVAILABLE_REPLY.test(message)) {
    return new TroupeError('ERR_INTERNAL', `redis ${operation} failed: ${message}`, {
      cause: error,
    });
  }
  return new TroupeError(
    'ERR_BACKEND_UNAVAILABLE',
    `redis is unavailable (${operation}): ${message}`,
    {
      cause: error,
      details: { operation },
    },
  );
}

/** Runs a Lua script through EVALSHA, falling back to EVAL when the server lost it. */
export type ScriptRunner = (
  keys: readonly string[],
  args: readonly (string | number)[],
) => Promise<unknown>;

type Dynamic = Record<string, (...args: (string | number)[]) => Promise<unknown>>;

/** Defines `lua` on `client` under `name` (ioredis `defineCommand`: EVALSHA with fallback). */
export function defineScript(client: Redis, name: string, lua: string): ScriptRunner {
  client.defineCommand(name, { lua });
  const command = (client as unknown as Dynamic)[name];
  if (command === undefined)
    throw new TroupeError('ERR_INTERNAL', `script ${name} was not defined`);
  return (keys, args) => {
    // One argument array, no spread copies: this runs on every admission and claim.
    const all: (string | number)[] = [keys.length];
    for (let i = 0; i < keys.length; i++) all.push(keys[i]!);
    for (let i = 0; i < args.length; i++) all.push(args[i]!);
    return command.apply(client, all);
  };
}

/** A client plus whether the backend opened it (and so must close it). */
export interface Connection {
  readonly client: Redis;
  readonly owned: boolean;
  /** A second connection for blocking commands, with no command timeout. Owned by the caller. */
  duplicateForBlocking(): Redis;
  close(): Promise<void>;
}

function isRedisClient(value: unknown): value is Redis {
  return (
    value instanceof Redis ||
    (typeof value === 'object' &&
      value !== null &&
      'defineCommand' in value &&
      'duplicate' in value)
  );
}

/** Defaults that turn an outage into bounded failures instead of hangs. */
function faultDefaults(commandTimeoutMs: number): RedisOptions {
  return {
    // One reconnect attempt per queued command, then it rejects (MaxRetriesPerRequestError).
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: commandTimeoutMs,
    // Reconnect forever, backing off to 1 s: the next operation after a restart succeeds.
    retryStrategy: (times: number) => Math.min(50 * times, 1_000),
  };
}

/** Opens (or adopts) the client described by `input`. */
export function openConnection(input: RedisInput, commandTimeoutMs: number): Connection {
  let client: Redis;
  let owned: boolean;
  if (typeof input === 'string') {
    client = new Redis(input, faultDefaults(commandTimeoutMs));
    owned = true;
  } else if (isRedisClient(input)) {
    client = input;
    owned = false;
  } else if (typeof input === 'object' && input !== null) {
    client = new Redis({ ...faultDefaults(commandTimeoutMs), ...input });
    owned = true;
  } else {
    throw invalidArgument('redis must be an ioredis client, ioredis options or a redis:// URL');
  }
  // An unhandled 'error' event would crash the process; failures surface per command instead.
  if (owned) client.on('error', () => {});
  return {
    client,
    owned,
    duplicateForBlocking: () => {
      const blocking = client.duplicate({
        commandTimeout: undefined,
        maxRetriesPerRequest: 0,
        lazyConnect: false,
      });
      blocking.on('error', () => {});
      return blocking;
    },
    close: async () => {
      if (owned) await quit(client);
    },
  };
}

/** QUIT when connected, otherwise drop the socket: closing never hangs on a dead server. */
export async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  client.disconnect();
}

export interface ResolvedCommon {
  readonly connection: Connection;
  readonly clock: Clock;
  /** `<prefix>:{<team>}:` */
  readonly base: string;
}

/** Validates the options every backend shares, naming the bad one, and opens the connection. */
export function resolveCommon(options: RedisBackendOptions, what: string): ResolvedCommon {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument(`${what} options must be an object`);
  const clock = requireClock(options.clock, 'clock');
  const prefix = options.prefix ?? 'troupe';
  if (typeof prefix !== 'string' || prefix.length === 0 || /[{}]/.test(prefix)) {
    throw invalidArgument('prefix must be a non-empty string without braces', { prefix });
  }
  const team = options.team ?? 'default';
  if (typeof team !== 'string' || team.length === 0 || /[{}]/.test(team)) {
    throw invalidArgument('team must be a non-empty string without braces', { team });
  }
  const commandTimeoutMs = options.commandTimeoutMs ?? 5_000;
  if (!(Number.isFinite(commandTimeoutMs) && commandTimeoutMs > 0)) {
    throw invalidArgument('commandTimeoutMs must be a positive finite number', {
      commandTimeoutMs,
    });
  }
  if (options.redis === undefined || options.redis === null) {
    throw invalidArgument(
      'redis is required: an ioredis client, ioredis options or a redis:// URL',
    );
  }
  const connection = openConnection(options.redis, commandTimeoutMs);
  return { connection, clock, base: `${prefix}:{${team}}:` };
}
