// What a bus reader knows about each topic's history, to tell a continuation from a gap.
import { TroupeError } from '@troupe/core';

/**
 * A gap in a topic's sequence, as `onGap` reports it and as the `details` of the
 * `ERR_BUS_GAP` error a waiter rejects with.
 *
 * @example
 * ```ts
 * const bus = createRedisBus({ redis, clock, onGap: (gap: BusGap) => log.warn(gap) });
 * ```
 */
export interface BusGap {
  readonly topic: string;
  /**
   * `'restarted'`: the topic's history went back (Redis lost recent writes: a restart from an
   * older snapshot or without persistence, a failover to a lagging replica); seqs after the
   * loss name other messages than before. `'jumped'`: the next message has a higher seq than
   * the one after `afterSeq` (entries trimmed by retention before they were read, or lost).
   */
  readonly reason: 'restarted' | 'jumped';
  /** The waiter's cursor. */
  readonly afterSeq: number;
  /** Where to read again so that nothing still stored is skipped. */
  readonly resumeAfterSeq: number;
}

/** How many topics a bus remembers (least recently seen ones are forgotten). */
const REMEMBERED_TOPICS = 10_000;

/**
 * Per topic, the newest message this bus read: its seq and its post's key. After a fresh
 * connection (a restart or a failover always drops the old one), the entry at that seq must
 * still be the same post; if it is gone (the topic ends before it) or another post holds its
 * seq, the topic's history went back.
 */
export class SeenBook {
  readonly #last = new Map<string, { seq: number; key: string }>();

  note(topic: string, seq: number, key: string): void {
    if (key === '') return;
    const known = this.#last.get(topic);
    if (known !== undefined && known.seq > seq) return;
    this.#last.delete(topic);
    this.#last.set(topic, { seq, key });
    if (this.#last.size > REMEMBERED_TOPICS) {
      const oldest = this.#last.keys().next().value;
      if (oldest !== undefined) this.#last.delete(oldest);
    }
  }

  get(topic: string): { seq: number; key: string } | undefined {
    return this.#last.get(topic);
  }

  forget(topic: string): void {
    this.#last.delete(topic);
  }

  /** Forgets every topic but `keep`: what was seen there can no longer be checked cheaply. */
  keepOnly(keep: ReadonlySet<string>): void {
    for (const topic of [...this.#last.keys()]) if (!keep.has(topic)) this.#last.delete(topic);
  }
}

/** The error a waiter rejects with at a gap. */
export function gapError(gap: BusGap): TroupeError {
  const what =
    gap.reason === 'restarted'
      ? 'its history went back (Redis lost recent writes)'
      : 'messages after the cursor are gone';
  return new TroupeError(
    'ERR_BUS_GAP',
    `bus topic ${gap.topic}: ${what}; read again after seq ${gap.resumeAfterSeq}`,
    { details: { ...gap } },
  );
}
