// The bus's one blocking reader: a dedicated connection in `XREAD BLOCK` over every topic
// with waiters, bounded in real time so that a connection that died silently is replaced,
// and a check after every fresh connection that no topic's history went back.
import type { Connection, RedisClient } from '../internal/connection.js';
import { toTroupeError } from '../internal/connection.js';
import { decodeEntry, idOf, type Keyed, type StreamEntry, seqOf } from './codec.js';
import type { SeenBook } from './gaps.js';

type XReadReply = [key: string, entries: StreamEntry[]][] | null;

/** Consecutive failed reads (each after a fresh connection) before waiters are failed. */
const MAX_READ_FAILURES = 3;
/** Real-time pause after the n-th failure in a row: n times this. */
const RETRY_BACKOFF_MS = 150;

/** What the reader needs of its bus. */
export interface ReaderHost {
  readonly connection: Connection;
  readonly blockMs: number;
  /** `<prefix>:{<team>}:` */
  readonly base: string;
  /** This bus's control stream: an XADD there makes the XREAD in flight return. */
  readonly controlKey: string;
  streamKey(topic: string): string;
  /** Topic -> the waiters' cursors and limits. */
  readonly waiting: ReadonlyMap<string, ReadonlySet<{ afterSeq: number; limit: number }>>;
  readonly seen: SeenBook;
  isClosed(): boolean;
  /** Hands messages read from a topic (in seq order) to its waiters. */
  offer(topic: string, entries: Keyed[]): void;
  /** The topic's history went back: its waiters are told. */
  restarted(topic: string): void;
  failAll(error: unknown): void;
}

/** The reader of one bus. */
export interface BlockingReader {
  /** Makes sure a waiter on `topic` after `afterSeq` is covered by the next read. */
  cover(topic: string, afterSeq: number): void;
  close(): void;
}

export function createBlockingReader(host: ReaderHost): BlockingReader {
  const { connection, blockMs, base, controlKey, waiting, seen } = host;
  const { client } = connection;
  let reader: RedisClient | undefined;
  let running = false;
  /** Topic -> cursor of the XREAD now in flight (undefined when none is). */
  let watching: Map<string, number> | undefined;
  let controlId = '0-0';
  let wakeSent = false;

  /** Makes the in-flight XREAD return so the next one covers the current waiters. */
  const wake = (): void => {
    if (wakeSent) return;
    wakeSent = true;
    client.xadd(controlKey, 'MAXLEN', '~', 16, '*', 'w', '1').then(
      () => client.pexpire(controlKey, 60_000),
      (error: unknown) => {
        wakeSent = false;
        host.failAll(toTroupeError(error, 'wait'));
      },
    );
  };

  const deliver = (reply: XReadReply): void => {
    if (reply === null) return;
    for (const [key, entries] of reply) {
      if (key === controlKey) {
        const last = entries[entries.length - 1];
        if (last !== undefined) controlId = last[0];
        continue;
      }
      const topic = key.slice(base.length + 2);
      host.offer(
        topic,
        entries.map((entry) => decodeEntry(topic, entry)),
      );
    }
  };

  /**
   * After a fresh reader connection (Redis restarted or failed over, or the old connection
   * died): on each topic with waiters, the newest message this bus read must still be there,
   * from the same post. If not, the topic lost messages and its seqs will name other ones:
   * its waiters are told at once (ERR_BUS_GAP) instead of being handed the new ones as if
   * nothing happened.
   */
  const recheck = async (fresh: RedisClient): Promise<void> => {
    seen.keepOnly(new Set(waiting.keys()));
    for (const topic of [...waiting.keys()]) {
      const known = seen.get(topic);
      if (known === undefined) continue;
      const [at, newest] = await Promise.all([
        bounded(fresh, fresh.xrange(host.streamKey(topic), idOf(known.seq), idOf(known.seq))),
        bounded(fresh, fresh.xrevrange(host.streamKey(topic), '+', '-', 'COUNT', 1)),
      ]);
      const lastSeq = newest[0] === undefined ? 0 : seqOf(newest[0][0]);
      const entry = at[0] as StreamEntry | undefined;
      // Gone with the topic ending before it, or another post in its place: the history went
      // back. Gone while later entries remain is retention trimming: no evidence.
      const replaced = entry !== undefined && decodeEntry(topic, entry).key !== known.key;
      if (replaced || (entry === undefined && lastSeq < known.seq)) host.restarted(topic);
    }
  };

  /**
   * A call on the blocking connection, bounded in real time: an XREAD's reply is due within
   * `blockMs`, so one later than 1.5x `blockMs` means the connection died without a reset
   * (a NAT or load balancer dropped it), and the connection is dropped. Real timers, not the
   * clock: this bounds the network, as the command timeout does, and must work under a
   * simulated clock too.
   */
  const bounded = <T>(blocking: RedisClient, call: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const watchdog = setTimeout(() => {
        reject(new Error(`no reply from redis within ${blockMs * 1.5} ms (connection dropped?)`));
        blocking.disconnect();
      }, blockMs * 1.5);
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

  const readOnce = (blocking: RedisClient, args: (string | number)[]): Promise<XReadReply> =>
    bounded(
      blocking,
      (blocking.xread as (...a: (string | number)[]) => Promise<XReadReply>)(...args),
    );

  /** Set when a read failed: the next read waits until the topics were checked again. */
  let needRecheck = false;

  const loop = async (): Promise<void> => {
    running = true;
    let failures = 0;
    // A failure: bounded retries with a short real-time backoff (the server may be coming
    // back), then every waiter fails with ERR_BACKEND_UNAVAILABLE rather than hang.
    const failed = async (error: unknown): Promise<boolean> => {
      failures++;
      if (failures >= MAX_READ_FAILURES) {
        host.failAll(toTroupeError(error, 'wait'));
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_BACKOFF_MS * failures).unref?.());
      return true;
    };
    try {
      while (!host.isClosed() && waiting.size > 0) {
        reader ??= connection.duplicateForBlocking();
        if (needRecheck) {
          try {
            await recheck(reader);
            needRecheck = false;
          } catch (error) {
            if (host.isClosed()) return;
            reader.disconnect();
            reader = undefined;
            if (!(await failed(error))) return;
          }
          continue;
        }
        // Each topic from its lowest waiting afterSeq. COUNT is the largest limit: the waiter
        // at that lowest cursor always gets its messages; one further ahead that a full batch
        // does not reach is served by the next read, from a higher cursor.
        const cursors = new Map<string, number>();
        let count = 1;
        for (const [topic, set] of waiting) {
          let min = Number.POSITIVE_INFINITY;
          for (const waiter of set) {
            min = Math.min(min, waiter.afterSeq);
            count = Math.max(count, waiter.limit);
          }
          cursors.set(topic, min);
        }
        const keys = [...cursors.keys()].map((topic) => host.streamKey(topic));
        const ids = [...cursors.values()].map(idOf);
        watching = cursors;
        wakeSent = false;
        let reply: XReadReply;
        try {
          reply = await readOnce(reader, [
            'COUNT',
            count,
            'BLOCK',
            blockMs,
            'STREAMS',
            controlKey,
            ...keys,
            controlId,
            ...ids,
          ]);
        } catch (error) {
          watching = undefined;
          if (host.isClosed()) return;
          // A dead or reset connection: drop it, open a fresh one, and check that no topic
          // went back while we were away before reading on.
          reader.disconnect();
          reader = undefined;
          needRecheck = true;
          if (!(await failed(error))) return;
          continue;
        }
        failures = 0;
        watching = undefined;
        deliver(reply);
      }
    } finally {
      running = false;
      watching = undefined;
    }
  };

  return {
    cover(topic: string, afterSeq: number): void {
      if (!running) {
        void loop();
        return;
      }
      const cursor = watching?.get(topic);
      // Not in flight yet (the loop is between reads): the next XREAD will include it.
      if (watching === undefined) return;
      if (cursor === undefined || cursor > afterSeq) wake();
    },
    close(): void {
      reader?.disconnect();
    },
  };
}
