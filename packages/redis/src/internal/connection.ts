import {
  type Clock,
  invalidArgument,
  requireBoundedName,
  systemClock,
  TroupeError,
} from '@troupe/core';
import { requireClock } from '@troupe/core/backend';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

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
   * Bound on any one command, ms, for clients the backend opens itself. Default 5000.
   * With a client you pass in, set ioredis's own `commandTimeout` and `maxRetriesPerRequest`.
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

/** Reply errors that mean "the server cannot serve right now", not "the script is wrong". */
const UNAVAILABLE_REPLY =
  /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|MISCONF|OOM)\b/;

/** Reply errors that mean "you may not": bad credentials, or an ACL that forbids the call. */
const AUTH_REPLY = /^(NOAUTH|WRONGPASS|NOPERM)\b|\bACL\b|invalid password|no password is set/i;

/** Failures that happen before a command reaches the server: it surely did not run. */
const NEVER_SENT = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|Stream isn't writeable|offline queue/i;

/**
 * Maps any failure of a Redis call to a TroupeError with a stable code. An unavailable error
 * says in `details.mayHaveTakenEffect` whether the command may have run on the server (it was
 * sent and no answer came back: a timeout or a connection lost mid-call) or surely did not
 * (refused before sending, or the server answered with an error).
 */
export function toTroupeError(error: unknown, operation: string): TroupeError {
  if (error instanceof TroupeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : '';
  if (AUTH_REPLY.test(message) && (name === 'ReplyError' || /auth|password/i.test(message))) {
    return new TroupeError('ERR_BACKEND_AUTH', `redis refused ${operation}: ${message}`, {
      cause: error,
      details: { operation },
    });
  }
  if (name === 'ReplyError' && !UNAVAILABLE_REPLY.test(message)) {
    return new TroupeError('ERR_INTERNAL', `redis ${operation} failed: ${message}`, {
      cause: error,
    });
  }
  const mayHaveTakenEffect = name !== 'ReplyError' && !NEVER_SENT.test(message);
  return new TroupeError(
    'ERR_BACKEND_UNAVAILABLE',
    `redis is unavailable (${operation}): ${message}${mayHaveTakenEffect ? ' (it may have taken effect)' : ''}`,
    {
      cause: error,
      details: { operation, mayHaveTakenEffect },
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
export function defineScript(client: RedisClient, name: string, lua: string): ScriptRunner {
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
  readonly client: RedisClient;
  readonly owned: boolean;
  /**
   * A second connection for blocking commands, with no command timeout (the caller bounds
   * its blocking calls itself). Owned by the caller.
   */
  duplicateForBlocking(): RedisClient;
  close(): Promise<void>;
}

function isRedisClient(value: unknown): value is RedisClient {
  return (
    value instanceof Redis ||
    value instanceof Cluster ||
    (typeof value === 'object' &&
      value !== null &&
      'defineCommand' in value &&
      'duplicate' in value)
  );
}

/**
 * Defaults that turn an outage into bounded failures instead of hangs. The command timeout is
 * not ioredis's `commandTimeout` (see {@link boundCommands}).
 */
function faultDefaults(commandTimeoutMs: number): RedisOptions {
  return {
    // One reconnect attempt per queued command, then it rejects (MaxRetriesPerRequestError).
    maxRetriesPerRequest: 1,
    connectTimeout: commandTimeoutMs,
    // Reconnect forever, backing off to 1 s: the next operation after a restart succeeds.
    retryStrategy: (times: number) => Math.min(50 * times, 1_000),
    // A command in flight when the connection drops fails (its error says it may have taken
    // effect) instead of being sent again behind the caller's back: posts and claims carry
    // idempotency keys, and only the caller knows whether to retry.
    autoResendUnfulfilledCommands: false,
  };
}

/** What {@link boundCommands} needs of an ioredis command. */
interface SentCommand {
  readonly isResolved: boolean;
  reject(error: Error): void;
}
type SendCommand = (command: SentCommand, stream?: unknown) => unknown;

/** Ticks per timeout: a command fails after more than this many ticks, at most a quarter late. */
const TICKS = 4;

/**
 * Bounds every command sent on `client` to between `timeoutMs` and 1.25 `timeoutMs`, with one
 * timer per client instead of one per command: ioredis's own `commandTimeout` sets and clears
 * a timer for every command, ~1.5 µs of a ~20 µs loopback round trip. Sent commands are
 * remembered oldest first with the tick they were sent in (replies come back in that order,
 * so answered ones leave from the front); each tick rejects, with the error ioredis's
 * `commandTimeout` raises, every command still unanswered after more than {@link TICKS} ticks.
 * Rejecting a command that already failed changes nothing. Real time, not the backend's
 * clock: this bounds the network, as ioredis's own timers do, and must run under a simulated
 * clock too. Returns the function that stops it.
 */
function boundCommands(
  client: Redis,
  timeoutMs: number,
): { stop: () => void; failPending: (error: Error) => void } {
  const sent: SentCommand[] = [];
  const at: number[] = [];
  let head = 0;
  let tick = 0;
  const send = client.sendCommand as unknown as SendCommand;
  const bounded: SendCommand = function (this: Redis, command, stream) {
    // Drop answered commands from the front first: in steady state this keeps one or two.
    while (head < sent.length && sent[head]!.isResolved) head++;
    if (head === sent.length) {
      sent.length = 0;
      at.length = 0;
      head = 0;
    }
    sent.push(command);
    at.push(tick);
    return send.call(this, command, stream);
  };
  (client as unknown as { sendCommand: SendCommand }).sendCommand = bounded;
  const timer = setInterval(
    () => {
      tick++;
      let timedOut = false;
      while (head < sent.length) {
        const command = sent[head]!;
        if (!command.isResolved) {
          if (tick - at[head]! <= TICKS) break;
          command.reject(new Error('Command timed out'));
          timedOut = true;
        }
        head++;
      }
      // A connection that stopped answering without a reset (a NAT or load balancer dropped
      // it) stays "ready" forever: replace it, so the next commands go through a fresh one.
      if (timedOut && client.status === 'ready') client.disconnect(true);
      if (head > 1_024 && head * 2 > sent.length) {
        sent.splice(0, head);
        at.splice(0, head);
        head = 0;
      }
    },
    Math.max(1, timeoutMs / TICKS),
  );
  // Never what keeps a process alive.
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    // Rejects every command still waiting (sent or queued while the connection is not ready).
    failPending: (error: Error) => {
      for (let i = head; i < sent.length; i++) if (!sent[i]!.isResolved) sent[i]!.reject(error);
    },
  };
}

/** Opens (or adopts) the client described by `input`. */
export function openConnection(input: RedisInput, commandTimeoutMs: number): Connection {
  if (typeof input === 'string') return sharedConnection(input, commandTimeoutMs);
  return newConnection(input, commandTimeoutMs);
}

/** Connections opened from a URL, shared by every backend of this process given that URL. */
const byUrl = new Map<string, { connection: Connection; refs: number }>();

/**
 * The connection for `url`: backends given the same URL (and command timeout) share one
 * client, so a team's backends in one process hold one command connection (plus the team's
 * one blocking reader). Each handle's `close()` lets go of it; the last one closes it.
 */
function sharedConnection(url: string, commandTimeoutMs: number): Connection {
  const key = `${commandTimeoutMs}|${url}`;
  let shared = byUrl.get(key);
  if (shared === undefined) {
    shared = { connection: newConnection(url, commandTimeoutMs), refs: 0 };
    byUrl.set(key, shared);
  }
  shared.refs++;
  const entry = shared;
  let closed = false;
  return {
    client: entry.connection.client,
    owned: true,
    duplicateForBlocking: entry.connection.duplicateForBlocking,
    close: async () => {
      if (closed) return;
      closed = true;
      if (--entry.refs > 0) return;
      if (byUrl.get(key) === entry) byUrl.delete(key);
      await entry.connection.close();
    },
  };
}

function newConnection(input: RedisInput, commandTimeoutMs: number): Connection {
  let client: RedisClient;
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
  const bound =
    owned && client instanceof Redis ? boundCommands(client, commandTimeoutMs) : undefined;
  // An unhandled 'error' event would crash the process; failures surface per command instead.
  // A refused password or ACL is not an outage: commands waiting for a connection that can
  // never authenticate fail at once with that reason (ERR_BACKEND_AUTH), not after a timeout.
  if (owned) {
    client.on('error', (error: Error) => {
      if (AUTH_REPLY.test(error.message)) {
        const refused = new Error(error.message);
        refused.name = 'ReplyError';
        bound?.failPending(refused);
      }
    });
  }
  return {
    client,
    owned,
    duplicateForBlocking: () => {
      let blocking: RedisClient;
      if (client instanceof Cluster) {
        // A Cluster's commandTimeout would fail every wait longer than it: the blocking
        // duplicate has none (its reads are bounded by their own BLOCK time).
        blocking = client.duplicate(undefined, {
          redisOptions: { ...client.options.redisOptions, commandTimeout: undefined },
        });
      } else {
        blocking = (client as Redis).duplicate({
          commandTimeout: undefined,
          maxRetriesPerRequest: 0,
          lazyConnect: false,
        });
      }
      blocking.on('error', () => {});
      return blocking;
    },
    close: async () => {
      // Stopped after QUIT: a QUIT to a server that stopped answering still times out.
      if (owned) await quit(client);
      bound?.stop();
    },
  };
}

/** How long `close()` waits for QUIT's reply before dropping the socket (real time). */
const QUIT_WAIT_MS = 1_000;

/**
 * QUIT when connected, otherwise (or when QUIT gets no answer soon: a connection that died
 * silently) drop the socket: closing never hangs on a dead server.
 */
export async function quit(client: RedisClient): Promise<void> {
  if (client.status === 'ready') {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), QUIT_WAIT_MS);
    });
    const quitted = client.quit().then(
      () => true,
      () => false,
    );
    const clean = await Promise.race([quitted, waited]);
    clearTimeout(timer);
    if (clean) return;
  }
  client.disconnect();
}

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
  const time = options.time ?? (clock === systemClock ? 'redis' : 'clock');
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
