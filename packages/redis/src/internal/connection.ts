// The ioredis client a backend talks through: opened from a URL or options (owned, shared per
// URL in a process) or adopted from the caller, with a duplicate for blocking reads.
import { invalidArgument, type TroupeError } from '@troupe/core';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { isCommandTimeout, toTroupeError } from './errors.js';
import type { RedisClient, RedisInput } from './options.js';

/** A client plus whether the backend opened it (and so must close it). */
export interface Connection {
  readonly client: RedisClient;
  readonly owned: boolean;
  /**
   * A second connection for blocking commands, with no command timeout (the caller bounds
   * its blocking calls itself). Owned by the caller.
   */
  duplicateForBlocking(): RedisClient;
  /**
   * The TroupeError for a failed call on this connection (see {@link toTroupeError}). A call
   * that got no reply within the command timeout on a connection that still looks ready means
   * the connection died without a reset (a NAT or load balancer dropped it): an owned one is
   * replaced, so the next calls go through a fresh one.
   */
  failure(error: unknown, operation: string): TroupeError;
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

/** Defaults that turn an outage into bounded failures instead of hangs. */
function faultDefaults(commandTimeoutMs: number): RedisOptions {
  return {
    // Every command fails (with "Command timed out": it may have taken effect) when no reply
    // came within this, sent or still queued for a connection.
    commandTimeout: commandTimeoutMs,
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
    failure: entry.connection.failure,
    close: async () => {
      if (closed) return;
      closed = true;
      if (--entry.refs > 0) return;
      if (byUrl.get(key) === entry) byUrl.delete(key);
      await entry.connection.close();
    },
  };
}

/** The client `input` describes, and whether the backend owns it. */
function clientOf(
  input: RedisInput,
  commandTimeoutMs: number,
): { client: RedisClient; owned: boolean } {
  if (typeof input === 'string') {
    return { client: new Redis(input, faultDefaults(commandTimeoutMs)), owned: true };
  }
  if (isRedisClient(input)) return { client: input, owned: false };
  if (typeof input === 'object' && input !== null) {
    return { client: new Redis({ ...faultDefaults(commandTimeoutMs), ...input }), owned: true };
  }
  throw invalidArgument('redis must be an ioredis client, ioredis options or a redis:// URL');
}

/** A duplicate of `client` for blocking reads: no command timeout, failures not retried. */
function blockingDuplicate(client: RedisClient): RedisClient {
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
}

function newConnection(input: RedisInput, commandTimeoutMs: number): Connection {
  const { client, owned } = clientOf(input, commandTimeoutMs);
  // An unhandled 'error' event would crash the process; failures surface per command instead.
  if (owned) client.on('error', () => {});
  return {
    client,
    owned,
    duplicateForBlocking: () => blockingDuplicate(client),
    failure: (error, operation) => {
      if (owned && isCommandTimeout(error) && client.status === 'ready') client.disconnect(true);
      return toTroupeError(error, operation);
    },
    close: async () => {
      if (owned) await quit(client);
    },
  };
}

/** How long `close()` waits for QUIT's reply before dropping the socket (real time). */
const QUIT_WAIT_MS = 1_000;

/**
 * QUIT when connected, otherwise (or when QUIT gets no answer soon: a connection that died
 * silently) drop the socket: closing never hangs on a dead server.
 */
async function quit(client: RedisClient): Promise<void> {
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
