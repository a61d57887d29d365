/**
 * Everything about one resource's claims; conflict checks never look outside it.
 *
 * Most resources hold one or two claims, so a resource starts in *small* mode: its entries
 * linked through their own `resPrev` / `resNext` fields, scanned linearly. No array: from the
 * index straight to the first entry is one pointer, which matters when the store is large and
 * the lines are cold (10,000 files), and removal is O(1) unlinking. Past {@link SMALL_MAX}
 * entries it moves, for good, to the large layout: agent -> entry in a {@link ChurnMap} and the
 * ranges in an {@link IntervalIndex} (O(log n) conflict checks on a hot file). The two layouts
 * answer the same four questions.
 */
import { ChurnMap } from './churn-map.js';
import { IntervalIndex, type Range } from './interval-index.js';

/** What the index needs of an entry. Ranges are inclusive and fixed while indexed. */
export interface IndexedEntry extends Range {
  readonly agent: string;
  /** Small-mode list links, owned by the index. */
  resPrev: this | undefined;
  resNext: this | undefined;
}

const SMALL_MAX = 16;

export class ResourceIndex<T extends IndexedEntry> {
  /** Small mode: the first entry of the list. */
  #head: T | undefined;
  #count = 0;
  /** Large mode once set. */
  #byAgent: ChurnMap<string, T> | undefined;
  #ranges: IntervalIndex<T> | undefined;
  /** False once its last entry went and the owner dropped it from its map. */
  attached = true;
  /** The agent's own entry found by the last {@link scan} (a field: no result object). */
  scannedOwn: T | undefined = undefined;

  get size(): number {
    return this.#count;
  }

  /** The agent's entry, if it has one here. */
  byAgent(agent: string): T | undefined {
    if (this.#byAgent !== undefined) return this.#byAgent.get(agent);
    for (let e = this.#head; e !== undefined; e = e.resNext) if (e.agent === agent) return e;
    return undefined;
  }

  /**
   * {@link byAgent} and {@link firstOverlap} in one pass over a small resource: returns an
   * entry of another agent overlapping `[start, end]` and leaves the agent's own entry (or
   * `undefined`) in {@link scannedOwn}.
   */
  scan(agent: string, start: number, end: number): T | undefined {
    if (this.#byAgent !== undefined) {
      const own = this.#byAgent.get(agent);
      this.scannedOwn = own;
      return this.#ranges!.firstOverlap(start, end, own);
    }
    let own: T | undefined;
    let other: T | undefined;
    for (let e = this.#head; e !== undefined; e = e.resNext) {
      if (e.agent === agent) own = e;
      else if (other === undefined && e.start <= end && start <= e.end) other = e;
    }
    this.scannedOwn = own;
    return other;
  }

  /** An entry other than `skip` whose range overlaps `[start, end]` (inclusive). */
  firstOverlap(start: number, end: number, skip: T | undefined): T | undefined {
    if (this.#ranges !== undefined) return this.#ranges.firstOverlap(start, end, skip);
    for (let e = this.#head; e !== undefined; e = e.resNext) {
      if (e !== skip && e.start <= end && start <= e.end) return e;
    }
    return undefined;
  }

  /** Adds an entry whose agent has none here and whose range overlaps no entry. */
  add(entry: T): void {
    this.#count++;
    if (this.#byAgent !== undefined) {
      this.#byAgent.setNew(entry.agent, entry);
      this.#ranges!.insert(entry);
      return;
    }
    const head = this.#head;
    entry.resPrev = undefined;
    entry.resNext = head;
    if (head !== undefined) head.resPrev = entry;
    this.#head = entry;
    if (this.#count > SMALL_MAX) {
      const byAgent = new ChurnMap<string, T>();
      const ranges = new IntervalIndex<T>();
      let e: T | undefined = this.#head;
      while (e !== undefined) {
        const next: T | undefined = e.resNext;
        e.resPrev = undefined;
        e.resNext = undefined;
        byAgent.setNew(e.agent, e);
        ranges.insert(e);
        e = next;
      }
      this.#head = undefined;
      this.#byAgent = byAgent;
      this.#ranges = ranges;
    }
  }

  /** Removes this exact entry (which must be indexed). */
  remove(entry: T): void {
    this.#count--;
    if (this.#byAgent !== undefined) {
      this.#byAgent.deleteLive(entry.agent);
      this.#ranges!.remove(entry);
      return;
    }
    const { resPrev: prev, resNext: next } = entry;
    if (prev !== undefined) prev.resNext = next;
    else this.#head = next;
    if (next !== undefined) next.resPrev = prev;
    entry.resPrev = undefined;
    entry.resNext = undefined;
  }

  /** Every entry, in no particular order. */
  values(): Iterable<T> {
    if (this.#byAgent !== undefined) return this.#byAgent.values();
    const out: T[] = [];
    for (let e = this.#head; e !== undefined; e = e.resNext) out.push(e);
    return out;
  }
}
