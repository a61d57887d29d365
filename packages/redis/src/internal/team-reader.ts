// One blocking connection per team and process: a reader in `XREAD BLOCK` over every stream
// that any of the team's backends in this process waits on (bus topics with waiters, the
// limiter's wake stream), bounded in real time so that a connection that died silently is
// replaced, and each backend re-checks its streams after every fresh connection.
import type { Connection } from './connection.js';
import { toTroupeError } from './errors.js';
import type { RedisClient } from './options.js';

export type StreamEntry = [id: string, fields: string[]];
type XReadReply = [key: string, entries: StreamEntry[]][] | null;

/** A backend reading through the team reader. */
export interface ReaderClient {
  /** Its own XREAD BLOCK time; the reader blocks for the shortest one. */
  readonly blockMs: number;
  /** Stream key -> the id to read after, for every stream it waits on now. */
  interests(): ReadonlyMap<string, string>;
  /** The largest batch it wants per stream. */
  count(): number;
  /** Entries read from one of its streams (after the lowest cursor any client asked for). */
  deliver(key: string, entries: StreamEntry[]): void;
  /** After a fresh connection: check its streams with `call` (bounded calls on it). */
  recheck(call: <T>(command: (client: RedisClient) => Promise<T>) => Promise<T>): Promise<void>;
  /** The reader gave up (Redis unreachable for good): fail its waits. */
  fail(error: unknown): void;
}

/** The shared reader of one team in this process. */
export interface TeamReader {
  add(client: ReaderClient): void;
  remove(client: ReaderClient): void;
  /** A client's interests changed: the next XREAD (or the one in flight, woken) covers them. */
  changed(): void;
}

/** Consecutive failed reads (each after a fresh connection) before clients are failed. */
const MAX_READ_FAILURES = 3;
/** Real-time pause after the n-th failure in a row: n times this. */
const RETRY_BACKOFF_MS = 150;

const readers = new WeakMap<RedisClient, Map<string, TeamReader>>();

/** Compares stream ids (`ms-seq`). */
function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  return Number(am) - Number(bm) || Number(as) - Number(bs);
}

/**
 * The team reader for `base` on `connection`'s client, shared by every backend of the team
 * in this process that uses the same client (backends given the same URL share one).
 */
export function teamReader(connection: Connection, base: string): TeamReader {
  let byBase = readers.get(connection.client);
  if (byBase === undefined) {
    byBase = new Map();
    readers.set(connection.client, byBase);
  }
  let reader = byBase.get(base);
  if (reader === undefined) {
    reader = new SharedTeamReader(connection, base, () => byBase.delete(base));
    byBase.set(base, reader);
  }
  return reader;
}

/** The reader of one team: one blocking connection, one XREAD loop while anyone waits. */
class SharedTeamReader implements TeamReader {
  readonly #connection: Connection;
  readonly #client: RedisClient;
  readonly #forget: () => void;
  readonly #clients = new Set<ReaderClient>();
  /** One control stream per reader; a random suffix keeps processes apart. */
  readonly #controlKey: string;
  #blocking: RedisClient | undefined;
  #running = false;
  /** Stream -> cursor of the XREAD now in flight (undefined when none is). */
  #watching: Map<string, string> | undefined;
  #controlId = '0-0';
  #wakeSent = false;
  #needRecheck = false;
  /** Failed reads in a row. */
  #failures = 0;

  constructor(connection: Connection, base: string, forget: () => void) {
    this.#connection = connection;
    this.#client = connection.client;
    this.#forget = forget;
    this.#controlKey = `${base}rctl:${Math.random().toString(36).slice(2)}${process.pid.toString(36)}`;
  }

  add(c: ReaderClient): void {
    this.#clients.add(c);
  }

  remove(c: ReaderClient): void {
    this.#clients.delete(c);
    if (this.#clients.size > 0) return;
    this.#forget();
    this.#blocking?.disconnect();
    this.#blocking = undefined;
    if (this.#client.status === 'ready') this.#client.del(this.#controlKey).catch(() => {});
  }

  changed(): void {
    if (!this.#running) {
      void this.#loop();
      return;
    }
    // Not in flight yet (the loop is between reads): the next XREAD includes it.
    const watching = this.#watching;
    if (watching === undefined) return;
    for (const [key, id] of this.#wanted().cursors) {
      const cursor = watching.get(key);
      if (cursor === undefined || compareIds(cursor, id) > 0) {
        this.#wake();
        return;
      }
    }
  }

  #blockMs(): number {
    let ms = Number.POSITIVE_INFINITY;
    for (const c of this.#clients) ms = Math.min(ms, c.blockMs);
    return Number.isFinite(ms) ? ms : 5_000;
  }

  /** Every client's interests merged: per stream, the lowest cursor. */
  #wanted(): { cursors: Map<string, string>; count: number } {
    const cursors = new Map<string, string>();
    let count = 1;
    for (const c of this.#clients) {
      const mine = c.interests();
      if (mine.size > 0) count = Math.max(count, c.count());
      for (const [key, id] of mine) {
        const current = cursors.get(key);
        if (current === undefined || compareIds(id, current) < 0) cursors.set(key, id);
      }
    }
    return { cursors, count };
  }

  /** Makes the in-flight XREAD return so the next one covers the current interests. */
  #wake(): void {
    if (this.#wakeSent) return;
    this.#wakeSent = true;
    const client = this.#client;
    const controlKey = this.#controlKey;
    client.xadd(controlKey, 'MAXLEN', '~', 16, '*', 'w', '1').then(
      // Housekeeping only: a connection closing meanwhile must not surface as an unhandled
      // rejection (it crashed a process closing its backends under load).
      () => client.pexpire(controlKey, 60_000).catch(() => {}),
      (error: unknown) => {
        this.#wakeSent = false;
        const failed = this.#connection.failure(error, 'wait');
        for (const c of [...this.#clients]) c.fail(failed);
      },
    );
  }

  /**
   * A call on the blocking connection, bounded in real time: an XREAD's reply is due within
   * its BLOCK time, so one later than 1.5x that means the connection died without a reset (a
   * NAT or load balancer dropped it), and the connection is dropped. Real timers, not a
   * clock: this bounds the network, as the command timeout does, and must work under a
   * simulated clock too.
   */
  #bounded<T>(on: RedisClient, call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const limit = this.#blockMs() * 1.5;
      const watchdog = setTimeout(() => {
        reject(new Error(`no reply from redis within ${limit} ms (connection dropped?)`));
        on.disconnect();
      }, limit);
      watchdog.unref?.();
      call.then(
        (reply) => {
          clearTimeout(watchdog);
          resolve(reply);
        },
        (error: unknown) => {
          clearTimeout(watchdog);
          reject(error);
        },
      );
    });
  }

  #deliver(reply: XReadReply): void {
    if (reply === null) return;
    for (const [key, entries] of reply) {
      if (key === this.#controlKey) {
        const last = entries[entries.length - 1];
        if (last !== undefined) this.#controlId = last[0];
        continue;
      }
      for (const c of [...this.#clients]) if (c.interests().has(key)) c.deliver(key, entries);
    }
  }

  /**
   * A failure: bounded retries with a short real-time backoff (the server may be coming
   * back), then every client fails its waits with ERR_BACKEND_UNAVAILABLE rather than hang.
   * Resolves to whether to go on.
   */
  async #failed(error: unknown): Promise<boolean> {
    this.#failures++;
    if (this.#failures >= MAX_READ_FAILURES) {
      const unavailable = toTroupeError(error, 'wait');
      for (const c of [...this.#clients]) c.fail(unavailable);
      return false;
    }
    const pause = RETRY_BACKOFF_MS * this.#failures;
    await new Promise((resolve) => setTimeout(resolve, pause).unref?.());
    return true;
  }

  /** Drops the blocking connection: the next step opens a fresh one. */
  #drop(on: RedisClient): void {
    on.disconnect();
    this.#blocking = undefined;
  }

  async #loop(): Promise<void> {
    this.#running = true;
    this.#failures = 0;
    try {
      for (;;) {
        const { cursors, count } = this.#wanted();
        if (cursors.size === 0) return;
        this.#blocking ??= this.#connection.duplicateForBlocking();
        const on = this.#blocking;
        const goOn = this.#needRecheck
          ? await this.#recheck(on)
          : await this.#read(on, cursors, count);
        if (!goOn) return;
      }
    } finally {
      this.#running = false;
      this.#watching = undefined;
    }
  }

  /** After a fresh connection, every client checks its streams before reading on. */
  async #recheck(on: RedisClient): Promise<boolean> {
    try {
      for (const c of [...this.#clients]) {
        await c.recheck((command) => this.#bounded(on, command(on)));
      }
      this.#needRecheck = false;
      return true;
    } catch (error) {
      this.#drop(on);
      return this.#failed(error);
    }
  }

  /** One XREAD BLOCK over every stream wanted (and the control stream); false to stop. */
  async #read(on: RedisClient, cursors: Map<string, string>, count: number): Promise<boolean> {
    this.#watching = cursors;
    this.#wakeSent = false;
    let reply: XReadReply;
    try {
      const args: (string | number)[] = ['COUNT', count, 'BLOCK', this.#blockMs(), 'STREAMS'];
      args.push(this.#controlKey, ...cursors.keys(), this.#controlId, ...cursors.values());
      reply = await this.#bounded(
        on,
        (on.xread as (...a: (string | number)[]) => Promise<XReadReply>)(...args),
      );
    } catch (error) {
      this.#watching = undefined;
      if (this.#clients.size === 0) return false;
      // A dead or reset connection: drop it, open a fresh one, and let every client check
      // its streams before reading on.
      this.#drop(on);
      this.#needRecheck = true;
      return this.#failed(error);
    }
    this.#failures = 0;
    this.#watching = undefined;
    this.#deliver(reply);
    return true;
  }
}
