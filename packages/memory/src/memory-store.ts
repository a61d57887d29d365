import {
  BaseStore,
  type Candidate,
  type Filter,
  type NewRecord,
  type ResolvedPatch,
  type VectorCandidates,
} from './internal/base-store.js';
import { tokenize } from './internal/tokenize.js';
import { TopKHeap } from './internal/top-k.js';
import type {
  MemoryEntry,
  MemoryScope,
  MemoryStore,
  MemoryStoreOptions,
  MemoryType,
} from './types.js';
import { SCOPE_FIELDS } from './types.js';

/** BM25's customary parameters. */
const K1 = 1.2;
const B = 0.75;
const EMPTY: ReadonlySet<string> = new Set();

interface Rec {
  id: string;
  content: string;
  type: MemoryType;
  importance: number;
  tags: readonly string[];
  scope: MemoryScope;
  evergreen: boolean;
  createdAt: number;
  accessedAt: number;
  accessCount: number;
  /** Row in the vector matrix, -1 without a vector. */
  slot: number;
  /** Term frequencies of the content, and its length in terms. */
  terms: Map<string, number>;
  length: number;
}

/**
 * The in-memory backend: entries in a Map, one index per scope field and per type
 * (value → ids), an inverted index for BM25, embeddings in a shared matrix.
 */
class InMemoryStore extends BaseStore {
  readonly #records = new Map<string, Rec>();
  readonly #byScope = {
    team: new Map<string, Set<string>>(),
    agent: new Map<string, Set<string>>(),
    session: new Map<string, Set<string>>(),
    user: new Map<string, Set<string>>(),
  };
  readonly #byType = new Map<MemoryType, Set<string>>();
  readonly #postings = new Map<string, Map<string, number>>();
  #totalLength = 0;
  /** Every entry with a vector, for unfiltered scans; rebuilt lazily after a vector changes. */
  #allVectors: VectorCandidates | undefined;

  protected insert(record: NewRecord): MemoryEntry {
    const rec: Rec = {
      id: record.id,
      content: record.content,
      type: record.type,
      importance: record.importance,
      tags: record.tags,
      scope: record.scope,
      evergreen: record.evergreen,
      createdAt: record.createdAt,
      accessedAt: record.createdAt,
      accessCount: 0,
      slot:
        record.vector === undefined
          ? -1
          : this.vectorIndex()!.add(record.vector.values, record.vector.norm),
      terms: new Map(),
      length: 0,
    };
    this.#records.set(rec.id, rec);
    if (rec.slot >= 0) this.#allVectors = undefined;
    this.#indexScope(rec);
    this.#indexTerms(rec);
    return this.#toEntry(rec);
  }

  protected read(id: string): MemoryEntry | undefined {
    const rec = this.#records.get(id);
    return rec === undefined ? undefined : this.#toEntry(rec);
  }

  protected has(id: string): boolean {
    return this.#records.has(id);
  }

  protected change(id: string, patch: ResolvedPatch): MemoryEntry | undefined {
    const rec = this.#records.get(id);
    if (rec === undefined) return undefined;
    if (patch.scope !== undefined || patch.type !== undefined) {
      this.#unindexScope(rec);
      if (patch.scope !== undefined) rec.scope = patch.scope;
      if (patch.type !== undefined) rec.type = patch.type;
      this.#indexScope(rec);
    }
    if (patch.content !== undefined) {
      this.#unindexTerms(rec);
      rec.content = patch.content;
      this.#indexTerms(rec);
    }
    if (patch.importance !== undefined) rec.importance = patch.importance;
    if (patch.tags !== undefined) rec.tags = patch.tags;
    if (patch.evergreen !== undefined) rec.evergreen = patch.evergreen;
    if (patch.vector !== undefined) {
      this.#allVectors = undefined;
      if (rec.slot >= 0) this.vectorIndex()!.remove(rec.slot);
      rec.slot =
        patch.vector === null
          ? -1
          : this.vectorIndex()!.add(patch.vector.values, patch.vector.norm);
    }
    return this.#toEntry(rec);
  }

  protected remove(id: string): boolean {
    const rec = this.#records.get(id);
    if (rec === undefined) return false;
    this.#records.delete(id);
    this.#unindexScope(rec);
    this.#unindexTerms(rec);
    if (rec.slot >= 0) {
      this.vectorIndex()!.remove(rec.slot);
      this.#allVectors = undefined;
    }
    return true;
  }

  protected listFiltered(filter: Filter, limit: number): MemoryEntry[] {
    const recs = [...this.#filtered(filter)];
    recs.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return recs.slice(0, limit).map((rec) => this.#toEntry(rec));
  }

  protected countFiltered(filter: Filter): number {
    let n = 0;
    for (const _ of this.#filtered(filter)) n++;
    return n;
  }

  protected keywordRanks(terms: readonly string[], filter: Filter, depth: number): string[] {
    const n = this.#records.size;
    if (n === 0) return [];
    const avgLength = this.#totalLength / n;
    const live: { postings: Map<string, number>; term: string; idf: number }[] = [];
    let postingCost = 0;
    for (const term of terms) {
      const postings = this.#postings.get(term);
      if (postings === undefined) continue;
      const df = postings.size;
      live.push({ postings, term, idf: Math.log(1 + (n - df + 0.5) / (df + 0.5)) });
      postingCost += df;
    }
    if (live.length === 0) return [];
    const bm25 = (tf: number, length: number, idf: number): number =>
      (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * length) / avgLength));

    const scores = new Map<string, number>();
    const bound = this.#smallestBound(filter);
    // Walk whichever is cheaper: the terms' postings (checking each against the filter) or the
    // filter's candidates (looking each one's terms up). A narrow scope never pays for a common
    // term's whole posting list.
    if (bound === undefined || postingCost <= bound * live.length) {
      for (const { postings, idf } of live) {
        for (const [id, tf] of postings) {
          const rec = this.#records.get(id)!;
          if (bound !== undefined && !admits(rec, filter)) continue;
          scores.set(id, (scores.get(id) ?? 0) + bm25(tf, rec.length, idf));
        }
      }
    } else {
      for (const rec of this.#filtered(filter)) {
        let score = 0;
        for (const { term, idf } of live) {
          const tf = rec.terms.get(term);
          if (tf !== undefined) score += bm25(tf, rec.length, idf);
        }
        if (score > 0) scores.set(rec.id, score);
      }
    }
    const ids = [...scores.keys()];
    const heap = new TopKHeap(Math.min(depth, ids.length));
    for (let i = 0; i < ids.length; i++) heap.push(scores.get(ids[i]!)!, i);
    return Array.from(heap.result().indices, (i) => ids[i]!);
  }

  protected vectorCandidates(filter: Filter): VectorCandidates {
    const unfiltered =
      filter.types === undefined && SCOPE_FIELDS.every((f) => filter.scope[f] === undefined);
    if (unfiltered && this.#allVectors !== undefined) return this.#allVectors;
    const ids: string[] = [];
    const slots: number[] = [];
    for (const rec of this.#filtered(filter)) {
      if (rec.slot < 0) continue;
      ids.push(rec.id);
      slots.push(rec.slot);
    }
    const candidates = { ids, slots: Int32Array.from(slots) };
    if (unfiltered) this.#allVectors = candidates;
    return candidates;
  }

  protected allCandidates(filter: Filter): Candidate[] {
    return [...this.#filtered(filter)];
  }

  protected candidates(ids: readonly string[]): Map<string, Candidate> {
    const out = new Map<string, Candidate>();
    for (const id of ids) {
      const rec = this.#records.get(id);
      if (rec !== undefined) out.set(id, rec);
    }
    return out;
  }

  protected touch(ids: readonly string[], now: number): MemoryEntry[] {
    const out: MemoryEntry[] = [];
    for (const id of ids) {
      const rec = this.#records.get(id);
      if (rec === undefined) continue;
      rec.accessedAt = now;
      rec.accessCount++;
      out.push(this.#toEntry(rec));
    }
    return out;
  }

  protected readMany(ids: readonly string[]): MemoryEntry[] {
    const out: MemoryEntry[] = [];
    for (const id of ids) {
      const rec = this.#records.get(id);
      if (rec !== undefined) out.push(this.#toEntry(rec));
    }
    return out;
  }

  protected closeBackend(): void {
    this.#records.clear();
    this.#postings.clear();
  }

  /**
   * The entries a filter admits. Each named scope field and the type list give an index set;
   * the smallest is walked and the others are checked per entry, so the cost follows the
   * narrowest constraint, not the store.
   */
  *#filtered(filter: Filter): Generator<Rec> {
    const sets: ReadonlySet<string>[] = [];
    for (const field of SCOPE_FIELDS) {
      const value = filter.scope[field];
      if (value !== undefined) sets.push(this.#byScope[field].get(value) ?? EMPTY);
    }
    let typeSize = Number.POSITIVE_INFINITY;
    if (filter.types !== undefined) {
      typeSize = 0;
      for (const type of filter.types) typeSize += this.#byType.get(type)?.size ?? 0;
    }
    if (sets.length === 0 && filter.types === undefined) {
      yield* this.#records.values();
      return;
    }
    sets.sort((a, b) => a.size - b.size);
    const smallest = sets[0];
    if (smallest !== undefined && smallest.size <= typeSize) {
      outer: for (const id of smallest) {
        for (let i = 1; i < sets.length; i++) if (!sets[i]!.has(id)) continue outer;
        const rec = this.#records.get(id)!;
        if (filter.types === undefined || filter.types.includes(rec.type)) yield rec;
      }
      return;
    }
    for (const type of filter.types!) {
      const set = this.#byType.get(type);
      if (set === undefined) continue;
      outer: for (const id of set) {
        for (const other of sets) if (!other.has(id)) continue outer;
        yield this.#records.get(id)!;
      }
    }
  }

  /** An upper bound on the filter's candidates, `undefined` when it admits everything. */
  #smallestBound(filter: Filter): number | undefined {
    let bound: number | undefined;
    for (const field of SCOPE_FIELDS) {
      const value = filter.scope[field];
      if (value === undefined) continue;
      const size = this.#byScope[field].get(value)?.size ?? 0;
      bound = bound === undefined ? size : Math.min(bound, size);
    }
    if (filter.types !== undefined) {
      let size = 0;
      for (const type of filter.types) size += this.#byType.get(type)?.size ?? 0;
      bound = bound === undefined ? size : Math.min(bound, size);
    }
    return bound;
  }

  #indexScope(rec: Rec): void {
    for (const field of SCOPE_FIELDS) {
      const value = rec.scope[field];
      if (value === undefined) continue;
      const index = this.#byScope[field];
      setOf(index, value).add(rec.id);
    }
    setOf(this.#byType, rec.type).add(rec.id);
  }

  #unindexScope(rec: Rec): void {
    for (const field of SCOPE_FIELDS) {
      const value = rec.scope[field];
      if (value === undefined) continue;
      const index = this.#byScope[field];
      const set = index.get(value);
      set?.delete(rec.id);
      if (set?.size === 0) index.delete(value);
    }
    this.#byType.get(rec.type)?.delete(rec.id);
  }

  #indexTerms(rec: Rec): void {
    const terms = new Map<string, number>();
    const tokens = tokenize(rec.content);
    for (const token of tokens) terms.set(token, (terms.get(token) ?? 0) + 1);
    rec.terms = terms;
    rec.length = tokens.length;
    this.#totalLength += tokens.length;
    for (const [term, tf] of terms) {
      let postings = this.#postings.get(term);
      if (postings === undefined) {
        postings = new Map();
        this.#postings.set(term, postings);
      }
      postings.set(rec.id, tf);
    }
  }

  #unindexTerms(rec: Rec): void {
    this.#totalLength -= rec.length;
    for (const term of rec.terms.keys()) {
      const postings = this.#postings.get(term);
      postings?.delete(rec.id);
      if (postings?.size === 0) this.#postings.delete(term);
    }
  }

  #toEntry(rec: Rec): MemoryEntry {
    return {
      id: rec.id,
      content: rec.content,
      type: rec.type,
      importance: rec.importance,
      tags: [...rec.tags],
      ...(rec.slot >= 0 ? { embedding: this.vectorIndex()!.get(rec.slot) } : {}),
      scope: { ...rec.scope },
      evergreen: rec.evergreen,
      createdAt: rec.createdAt,
      accessedAt: rec.accessedAt,
      accessCount: rec.accessCount,
    };
  }
}

function setOf<K>(index: Map<K, Set<string>>, key: K): Set<string> {
  let set = index.get(key);
  if (set === undefined) {
    set = new Set();
    index.set(key, set);
  }
  return set;
}

function admits(rec: Rec, filter: Filter): boolean {
  for (const field of SCOPE_FIELDS) {
    const value = filter.scope[field];
    if (value !== undefined && rec.scope[field] !== value) return false;
  }
  return filter.types === undefined || filter.types.includes(rec.type);
}

/**
 * A {@link MemoryStore} held in this process. Scope and type filters use per-value indexes,
 * keyword search is BM25 over an inverted index, vectors live in a shared matrix with their
 * norms.
 *
 * @example
 * ```ts
 * const memory = createInMemoryStore({ clock: new SimulatedClock(), embedder: createHashEmbedder() });
 * await memory.add({ content: 'The staging database is Postgres 16', scope: { team: 'infra' } });
 * const [hit] = await memory.search({ text: 'which postgres version', scope: { team: 'infra' } });
 * ```
 */
export function createInMemoryStore(options: MemoryStoreOptions): MemoryStore {
  return new InMemoryStore(options, 'createInMemoryStore options');
}
