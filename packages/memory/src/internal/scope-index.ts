import type { MemoryScope, MemoryType } from '../types.js';
import { SCOPE_FIELDS } from '../types.js';
import type { Filter } from './records.js';

const EMPTY: ReadonlySet<string> = new Set();

/**
 * The ids a filter admits, without walking anything yet. `bound` is an upper bound on their
 * number (the smallest index set involved), for choosing between strategies.
 */
export interface Selection {
  readonly bound: number;
  has(id: string): boolean;
  ids(): Iterable<string>;
}

function setOf<K>(index: Map<K, Set<string>>, key: K): Set<string> {
  let set = index.get(key);
  if (set === undefined) {
    set = new Set();
    index.set(key, set);
  }
  return set;
}

/**
 * One index per scope field and one for the type: value → ids. A filter selects by walking its
 * smallest set and probing the others, so its cost follows the narrowest constraint.
 */
export class ScopeIndex {
  readonly #byScope = {
    team: new Map<string, Set<string>>(),
    agent: new Map<string, Set<string>>(),
    session: new Map<string, Set<string>>(),
    user: new Map<string, Set<string>>(),
  };
  readonly #byType = new Map<MemoryType, Set<string>>();

  add(id: string, scope: MemoryScope, type: MemoryType): void {
    for (const field of SCOPE_FIELDS) {
      const value = scope[field];
      if (value !== undefined) setOf(this.#byScope[field], value).add(id);
    }
    setOf(this.#byType, type).add(id);
  }

  remove(id: string, scope: MemoryScope, type: MemoryType): void {
    for (const field of SCOPE_FIELDS) {
      const value = scope[field];
      if (value === undefined) continue;
      const index = this.#byScope[field];
      const set = index.get(value);
      set?.delete(id);
      if (set?.size === 0) index.delete(value);
    }
    this.#byType.get(type)?.delete(id);
  }

  /** The filter's selection, or `undefined` when it admits every entry. */
  select(filter: Filter): Selection | undefined {
    const sets: ReadonlySet<string>[] = [];
    for (const field of SCOPE_FIELDS) {
      const value = filter.scope[field];
      if (value !== undefined) sets.push(this.#byScope[field].get(value) ?? EMPTY);
    }
    const typeSets = filter.types?.map((type) => this.#byType.get(type) ?? EMPTY);
    if (sets.length === 0 && typeSets === undefined) return undefined;
    if (sets.length === 1 && typeSets === undefined) {
      // The common case, one scope field: the index set itself, no generator in between.
      const only = sets[0]!;
      return { bound: only.size, has: (id) => only.has(id), ids: () => only };
    }
    sets.sort((a, b) => a.size - b.size);
    let typeSize = Number.POSITIVE_INFINITY;
    if (typeSets !== undefined) typeSize = typeSets.reduce((n, set) => n + set.size, 0);
    const smallest = sets[0];
    const walkScope = smallest !== undefined && smallest.size <= typeSize;
    const inTypes = (id: string): boolean =>
      typeSets === undefined || typeSets.some((set) => set.has(id));
    const has = (id: string): boolean => sets.every((set) => set.has(id)) && inTypes(id);
    return {
      bound: Math.min(smallest?.size ?? Number.POSITIVE_INFINITY, typeSize),
      has,
      *ids() {
        if (walkScope) {
          outer: for (const id of smallest!) {
            for (let i = 1; i < sets.length; i++) if (!sets[i]!.has(id)) continue outer;
            if (inTypes(id)) yield id;
          }
          return;
        }
        // Type sets are disjoint (an entry has one type): their union needs no dedup.
        for (const set of typeSets!) {
          outer: for (const id of set) {
            for (const other of sets) if (!other.has(id)) continue outer;
            yield id;
          }
        }
      },
    };
  }
}
