// The waits of one Redis bus, per topic: who waits after which seq, and handing each the
// messages that reach it (or the gap it ran into).
import type { Message } from '@troupe/core';
import type { LongTimeout } from '@troupe/core/backend';
import type { Keyed } from './codec.js';
import { type BusGap, gapError, SeenBook } from './gaps.js';

/** One pending `wait`. */
export interface Waiter {
  readonly topic: string;
  readonly afterSeq: number;
  readonly limit: number;
  resolve(messages: Message[]): void;
  reject(error: unknown): void;
  timer: LongTimeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** The pending waits of a bus, by topic, and what it has seen of each topic. */
export class BusWaiters {
  readonly #waiting = new Map<string, Set<Waiter>>();
  readonly #onGap: ((gap: BusGap) => void) | undefined;
  /** The newest message read per topic, to tell a continuation from a history gone back. */
  readonly seen = new SeenBook();

  constructor(onGap: ((gap: BusGap) => void) | undefined) {
    this.#onGap = onGap;
  }

  add(waiter: Waiter): void {
    let set = this.#waiting.get(waiter.topic);
    if (set === undefined) {
      set = new Set();
      this.#waiting.set(waiter.topic, set);
    }
    set.add(waiter);
  }

  /** Takes `waiter` off its topic and stops its timer and abort listener. */
  settle(waiter: Waiter): void {
    const set = this.#waiting.get(waiter.topic);
    if (set !== undefined) {
      set.delete(waiter);
      if (set.size === 0) this.#waiting.delete(waiter.topic);
    }
    waiter.timer?.cancel();
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }

  /** Rejects every pending wait with `error`. */
  failAll(error: unknown): void {
    for (const set of [...this.#waiting.values()]) {
      for (const waiter of [...set]) {
        this.settle(waiter);
        waiter.reject(error);
      }
    }
  }

  /** Pending waits on `topic` (or on every topic). */
  count(topic?: string): number {
    if (topic !== undefined) return this.#waiting.get(topic)?.size ?? 0;
    let count = 0;
    for (const set of this.#waiting.values()) count += set.size;
    return count;
  }

  /** Topics with waits. */
  topics(): IterableIterator<string> {
    return this.#waiting.keys();
  }

  /** The lowest `afterSeq` of the waits on `topic` (Infinity when none). */
  lowestAfter(topic: string): number {
    let min = Number.POSITIVE_INFINITY;
    for (const waiter of this.#waiting.get(topic) ?? []) min = Math.min(min, waiter.afterSeq);
    return min;
  }

  /** The largest `limit` of any wait (at least 1). */
  largestLimit(): number {
    let count = 1;
    for (const set of this.#waiting.values())
      for (const waiter of set) count = Math.max(count, waiter.limit);
    return count;
  }

  /** A topic's history went back: every waiter on it is told, and what was seen forgotten. */
  restarted(topic: string): void {
    this.seen.forget(topic);
    for (const waiter of [...(this.#waiting.get(topic) ?? [])]) {
      this.#reportGap(waiter, {
        topic,
        reason: 'restarted',
        afterSeq: waiter.afterSeq,
        resumeAfterSeq: 0,
      });
    }
  }

  /**
   * Hands `entries` (in seq order, all after the lowest cursor on the topic) to the waiters
   * they reach, checking continuity first.
   */
  offer(topic: string, entries: readonly Keyed[]): void {
    if (entries.length === 0) return;
    const last = entries[entries.length - 1]!;
    for (const waiter of [...(this.#waiting.get(topic) ?? [])]) {
      const mine: Message[] = [];
      for (const entry of entries) {
        if (entry.message.seq > waiter.afterSeq) mine.push(entry.message);
        if (mine.length === waiter.limit) break;
      }
      if (mine.length === 0) continue;
      if (mine[0]!.seq > waiter.afterSeq + 1) {
        this.#reportGap(waiter, {
          topic,
          reason: 'jumped',
          afterSeq: waiter.afterSeq,
          resumeAfterSeq: mine[0]!.seq - 1,
        });
        continue;
      }
      this.settle(waiter);
      waiter.resolve(mine);
    }
    this.seen.note(topic, last.message.seq, last.key);
  }

  #reportGap(waiter: Waiter, gap: BusGap): void {
    this.settle(waiter);
    waiter.reject(gapError(gap));
    this.#onGap?.(gap);
  }
}
