// What a bus reader knows about each topic's history, to tell a continuation from a gap.
import { TroupeError } from '@troupe/core';
import type { Stamped } from './codec.js';

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

/** How many topics' last stamps a bus remembers (least recently seen ones are forgotten). */
const REMEMBERED_TOPICS = 10_000;

/** Per topic, the newest (seq, stamp) this bus saw: posts it made and messages it read. */
export class StampBook {
  readonly #last = new Map<string, { seq: number; stamp: number }>();

  /** Remembers the newest of `messages` (stamps of 0 are entries without stamps). */
  note(topic: string, seq: number, stamp: number): void {
    if (stamp === 0) return;
    const known = this.#last.get(topic);
    if (known !== undefined && known.seq > seq) return;
    this.#last.delete(topic);
    this.#last.set(topic, { seq, stamp });
    if (this.#last.size > REMEMBERED_TOPICS) {
      const oldest = this.#last.keys().next().value;
      if (oldest !== undefined) this.#last.delete(oldest);
    }
  }

  forget(topic: string): void {
    this.#last.delete(topic);
  }

  /** True when this bus saw a message with a seq above `lastSeq`: the history went back. */
  wentBack(topic: string, lastSeq: number): boolean {
    const known = this.#last.get(topic);
    return known !== undefined && known.seq > lastSeq;
  }

  /**
   * True when a message (`seq`, `stamp`) cannot belong to the history this bus saw: stamps
   * grow with seqs, so a seq at or below the newest seen with a newer stamp (or the same seq
   * with another stamp) was written after the history went back.
   */
  contradicts(topic: string, seq: number, stamp: number): boolean {
    const known = this.#last.get(topic);
    if (known === undefined || stamp === 0) return false;
    return (
      (known.seq >= seq && stamp > known.stamp) || (known.seq === seq && stamp !== known.stamp)
    );
  }

  /** True when `entry` cannot follow what this bus saw: its prev is not the known stamp. */
  breaks(topic: string, entry: Stamped): boolean {
    const known = this.#last.get(topic);
    return (
      known !== undefined &&
      entry.prev !== 0 &&
      known.seq === entry.message.seq - 1 &&
      known.stamp !== entry.prev
    );
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
