// What a Redis bus waits on through the team's one blocking reader: the topics with waits.
import type { RedisClient } from '../internal/options.js';
import type { ReaderClient } from '../internal/team-reader.js';
import { decodeEntry, idOf, type StreamEntry, seqOf } from './codec.js';
import type { BusWaiters } from './waiters.js';

/** The bus's side of the team reader: its topics' cursors in, their entries out. */
export class BusReaderClient implements ReaderClient {
  readonly blockMs: number;
  readonly #waiters: BusWaiters;
  readonly #base: string;

  constructor(waiters: BusWaiters, base: string, blockMs: number) {
    this.#waiters = waiters;
    this.#base = base;
    this.blockMs = blockMs;
  }

  /** The stream of `topic`. */
  streamKey(topic: string): string {
    return `${this.#base}b:${topic}`;
  }

  interests(): ReadonlyMap<string, string> {
    const cursors = new Map<string, string>();
    for (const topic of this.#waiters.topics()) {
      cursors.set(this.streamKey(topic), idOf(this.#waiters.lowestAfter(topic)));
    }
    return cursors;
  }

  // COUNT is the largest limit: the waiter at the lowest cursor always gets its messages;
  // one further ahead that a full batch does not reach is served by the next read.
  count(): number {
    return this.#waiters.largestLimit();
  }

  deliver(key: string, entries: StreamEntry[]): void {
    const topic = key.slice(this.#base.length + 2);
    this.#waiters.offer(
      topic,
      entries.map((entry) => decodeEntry(topic, entry)),
    );
  }

  /**
   * After a fresh connection (Redis restarted or failed over, or the old connection died):
   * on each topic with waiters, the newest message this bus read must still be there, from
   * the same post. If not, the topic lost messages and its seqs will name other ones: its
   * waiters are told at once (ERR_BUS_GAP) instead of being handed the new ones as if
   * nothing happened.
   */
  async recheck(
    call: <T>(command: (client: RedisClient) => Promise<T>) => Promise<T>,
  ): Promise<void> {
    const seen = this.#waiters.seen;
    seen.keepOnly(new Set(this.#waiters.topics()));
    for (const topic of [...this.#waiters.topics()]) {
      const known = seen.get(topic);
      if (known === undefined) continue;
      const key = this.streamKey(topic);
      const at = (await call((c) =>
        c.xrange(key, idOf(known.seq), idOf(known.seq)),
      )) as StreamEntry[];
      const newest = (await call((c) => c.xrevrange(key, '+', '-', 'COUNT', 1))) as StreamEntry[];
      const lastSeq = newest[0] === undefined ? 0 : seqOf(newest[0][0]);
      const entry = at[0];
      // Gone with the topic ending before it, or another post in its place: the history
      // went back. Gone while later entries remain is retention trimming: no evidence.
      const replaced = entry !== undefined && decodeEntry(topic, entry).key !== known.key;
      if (replaced || (entry === undefined && lastSeq < known.seq)) this.#waiters.restarted(topic);
    }
  }

  fail(error: unknown): void {
    this.#waiters.failAll(error);
  }
}
