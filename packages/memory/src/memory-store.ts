import {
  BaseStore,
  type Candidate,
  type Filter,
  type NewRecord,
  type ResolvedPatch,
  type VectorCandidates,
} from './internal/base-store.js';
import { KeywordIndex } from './internal/keyword-index.js';
import { ScopeIndex } from './internal/scope-index.js';
import type {
  MemoryEntry,
  MemoryScope,
  MemoryStore,
  MemoryStoreOptions,
  MemoryType,
} from './types.js';

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
}

/**
 * The in-memory backend: entries in a Map, a {@link ScopeIndex} for scope and type filters, a
 * {@link KeywordIndex} for BM25, embeddings in the shared matrix of the base store.
 */
class InMemoryStore extends BaseStore {
  readonly #records = new Map<string, Rec>();
  readonly #scopes = new ScopeIndex();
  readonly #keywords = new KeywordIndex();
  /** Every entry with a vector, for unfiltered scans; rebuilt lazily after a vector changes. */
  #allVectors: VectorCandidates | undefined;

  protected insert(record: NewRecord): MemoryEntry {
    const { vector } = record;
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
        vector === undefined
          ? -1
          : this.vectorIndex(vector.values.length)!.add(vector.values, vector.norm),
    };
    this.#records.set(rec.id, rec);
    if (rec.slot >= 0) this.#allVectors = undefined;
    this.#scopes.add(rec.id, rec.scope, rec.type);
    this.#keywords.add(rec.id, rec.content);
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
      this.#scopes.remove(id, rec.scope, rec.type);
      if (patch.scope !== undefined) rec.scope = patch.scope;
      if (patch.type !== undefined) rec.type = patch.type;
      this.#scopes.add(id, rec.scope, rec.type);
    }
    if (patch.content !== undefined) {
      this.#keywords.remove(id);
      rec.content = patch.content;
      this.#keywords.add(id, rec.content);
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
          : this.vectorIndex(patch.vector.values.length)!.add(
              patch.vector.values,
              patch.vector.norm,
            );
    }
    return this.#toEntry(rec);
  }

  protected remove(id: string): boolean {
    const rec = this.#records.get(id);
    if (rec === undefined) return false;
    this.#records.delete(id);
    this.#scopes.remove(id, rec.scope, rec.type);
    this.#keywords.remove(id);
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
    const selection = this.#scopes.select(filter);
    if (selection === undefined) return this.#records.size;
    let n = 0;
    for (const _ of selection.ids()) n++;
    return n;
  }

  protected keywordRanks(terms: readonly string[], filter: Filter, depth: number): string[] {
    return this.#keywords.top(terms, depth, this.#scopes.select(filter));
  }

  protected vectorCandidates(filter: Filter): VectorCandidates {
    const selection = this.#scopes.select(filter);
    if (selection === undefined && this.#allVectors !== undefined) return this.#allVectors;
    const ids: string[] = [];
    const slots: number[] = [];
    const records = this.#records;
    for (const id of selection === undefined ? records.keys() : selection.ids()) {
      const slot = records.get(id)!.slot;
      if (slot < 0) continue;
      ids.push(id);
      slots.push(slot);
    }
    const candidates = { ids, slots: Int32Array.from(slots) };
    if (selection === undefined) this.#allVectors = candidates;
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
    this.#keywords.clear();
  }

  /** The records a filter admits, walking only its narrowest index set. */
  *#filtered(filter: Filter): Generator<Rec> {
    const selection = this.#scopes.select(filter);
    if (selection === undefined) {
      yield* this.#records.values();
      return;
    }
    for (const id of selection.ids()) yield this.#records.get(id)!;
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
