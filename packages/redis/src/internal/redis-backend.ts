// What every Redis backend class shares: its connection, the closed check, and calls whose
// failures become TroupeErrors.
import type { TroupeError } from '@troupe/core';
import { closedError } from '@troupe/core/backend';
import type { Connection } from './connection.js';
import type { ScriptRunner } from './define-script.js';
import type { RedisClient } from './options.js';

/**
 * The base of the Redis backends: each is a class of small methods behind its public
 * `createRedisX(options)` factory, which checks the options and constructs it.
 */
export abstract class RedisBackend {
  protected readonly connection: Connection;
  protected readonly client: RedisClient;
  /** What `closedError` names ("bus is closed"). */
  readonly #what: string;
  #closed = false;

  protected constructor(connection: Connection, what: string) {
    this.connection = connection;
    this.client = connection.client;
    this.#what = what;
  }

  protected get closed(): boolean {
    return this.#closed;
  }

  /** Throws `ERR_CLOSED` once closed. */
  protected open(): void {
    if (this.#closed) throw this.closedError();
  }

  /** The error of a call on a closed backend. */
  protected closedError(): TroupeError {
    return closedError(this.#what);
  }

  /** The TroupeError for a failed call of `operation`. */
  protected failure(error: unknown, operation: string): TroupeError {
    return this.connection.failure(error, operation);
  }

  /** Runs `fn` while open; its failure rejects as a TroupeError. */
  protected async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    this.open();
    try {
      return await fn();
    } catch (error) {
      throw this.failure(error, operation);
    }
  }

  /** Runs a script while open; its failure rejects as a TroupeError. */
  protected script(
    runner: ScriptRunner,
    keys: readonly string[],
    args: readonly (string | number)[],
    operation: string,
  ): Promise<unknown> {
    return this.call(operation, () => runner(keys, args));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.closing();
  }

  /** What closing does once: lets go of the connection (subclasses add their own first). */
  protected async closing(): Promise<void> {
    await this.connection.close();
  }
}
