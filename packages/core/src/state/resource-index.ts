/**
 * Everything about one resource's claims; conflict checks never look outside it.
 *
 * Most resources hold one or two claims, so a resource starts in *small* mode: its entries in
 * one short array, scanned linearly (a few pointer compares, all in one or two cache lines).
 * Past {@link SMALL_MAX} entries it moves, for good, to the large layout: agent -> entry in a
 * {@link ChurnMap} and the ranges in an {@link IntervalIndex} (O(log n) conflict checks on a
 * hot file). The two layouts answer the same four questions.
 */
import { ChurnMap } from './churn-map.js';
import { IntervalIndex, type Range } from './interval-index.js';

/** What the index needs of an entry. Ranges are inclusive and fixed while indexed. */
export interface IndexedEntry extends Range {
  readonly agent: string;
}

const SMALL_MAX = 16;

export class ResourceIndex<T extends IndexedEntry> {
  /** Small mode: every entry, unordered. `undefined` once large. */
  #small: T[] | undefined = [];
  #byAgent: ChurnMap<string, T> | undefined;
  #ranges: IntervalIndex<T> | undefined;
  /** False once its last entry went and the owner dropped it from its map. */
  attached = true;

  get size(): number {
    return this.#small === undefined ? this.#byAgent!.size : this.#small.length;
  }

  /** The agent's entry, if it has one here. */
  byAgent(agent: string): T | undefined {
    const small = this.#small;
    if (small === undefined) return this.#byAgent!.get(agent);
    for (let i = 0; i < small.length; i++) if (small[i]!.agent === agent) return small[i];
    return undefined;
  }

  /** An entry other than `skip` whose range overlaps `[start, end]` (inclusive). */
  firstOverlap(start: number, end: number, skip: T | undefined): T | undefined {
    const small = this.#small;
    if (small === undefined) return this.#ranges!.firstOverlap(start, end, skip);
    for (let i = 0; i < small.length; i++) {
      const e = small[i]!;
      if (e !== skip && e.start <= end && start <= e.end) return e;
    }
    return undefined;
  }

  /** Adds an entry whose agent has none here and whose range overlaps no entry. */
  add(entry: T): void {
    const small = this.#small;
    if (small === undefined) {
      this.#byAgent!.setNew(entry.agent, entry);
      this.#ranges!.insert(entry);
      return;
    }
    small.push(entry);
    if (small.length > SMALL_MAX) {
      const byAgent = new ChurnMap<string, T>();
      const ranges = new IntervalIndex<T>();
      for (const e of small) {
        byAgent.setNew(e.agent, e);
        ranges.insert(e);
      }
      this.#byAgent = byAgent;
      this.#ranges = ranges;
      this.#small = undefined;
    }
  }

  /** Removes this exact entry (which must be indexed). */
  remove(entry: T): void {
    const small = this.#small;
    if (small === undefined) {
      this.#byAgent!.deleteLive(entry.agent);
      this.#ranges!.remove(entry);
      return;
    }
    const i = small.indexOf(entry);
    if (i < 0) return;
    // Order does not matter here: move the last entry into the gap.
    const last = small.pop()!;
    if (i < small.length) small[i] = last;
  }

  /** Every entry, in no particular order. */
  values(): Iterable<T> {
    return this.#small ?? this.#byAgent!.values();
  }
}
