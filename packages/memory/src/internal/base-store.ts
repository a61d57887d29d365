import {
  type Clock,
  createIds,
  type IdGenerator,
  invalidArgument,
  TroupeError,
} from '@troupe/core';
import type { Embedder } from '../embedders/embedder.js';
import {
  filterSchema,
  inputSchema,
  patchSchema,
  querySchema,
  storeOptionsSchema,
} from '../schemas.js';
import {
  compositeScore,
  DEFAULT_HALF_LIFE_MS,
  DEFAULT_RRF_K,
  DEFAULT_WEIGHTS,
  decay,
} from '../scoring.js';
import type {
  MemoryEntry,
  MemoryFilter,
  MemoryInput,
  MemoryPatch,
  MemoryStore,
  MemoryStoreOptions,
  MemoryType,
  ScoreWeights,
  SearchQuery,
  SearchResult,
} from '../types.js';
import { vectorNorm } from '../vector.js';
import type { VectorPool } from '../vector-pool.js';
import {
  type Candidate,
  cleanScope,
  type Filter,
  type NewRecord,
  type ResolvedPatch,
  resolveWeights,
  toFilter,
  type Vector,
  type VectorCandidates,
} from './records.js';
import { queryTerms } from './tokenize.js';
import { parseOptions, parseStrictOptions } from './validate.js';
import { VectorIndex } from './vector-index.js';

export type {
  Candidate,
  Filter,
  NewRecord,
  ResolvedPatch,
  Vector,
  VectorCandidates,
} from './records.js';

/**
 * What both backends share: validation at the boundary, the closed state, embedding, the vector
 * matrix, and the search pipeline (fusion, decay, composite score, limits). A backend supplies
 * storage and its indexes through the abstract hooks, all synchronous.
 */
export abstract class BaseStore implements MemoryStore {
  protected readonly clock: Clock;
  protected readonly embedder: Embedder | undefined;
  readonly #ids: IdGenerator;
  readonly #weights: ScoreWeights;
  readonly #halfLifeMs: number;
  readonly #rrfK: number;
  readonly #depth: number;
  readonly #pool: VectorPool | undefined;
  readonly #poolMin: number;
  readonly #minSimilarity: number;
  #dims: number | undefined;
  #index: VectorIndex | undefined;
  #closed = false;

  /** `extra`: option names of the backend itself (the SQLite store's `path`). */
  constructor(options: MemoryStoreOptions, what: string, extra: readonly string[] = []) {
    const parsed = parseStrictOptions(storeOptionsSchema, options, what, extra);
    this.clock = options.clock;
    this.embedder = options.embedder;
    const embedderDims = options.embedder?.dimensions;
    if (
      parsed.dimensions !== undefined &&
      embedderDims !== undefined &&
      parsed.dimensions !== embedderDims
    ) {
      throw invalidArgument(
        `${what}.dimensions: ${parsed.dimensions} differs from the embedder's ${embedderDims}`,
        {
          field: `${what}.dimensions`,
        },
      );
    }
    this.#dims = parsed.dimensions ?? embedderDims;
    this.#weights = resolveWeights(DEFAULT_WEIGHTS, parsed.weights, `${what}.weights`);
    this.#halfLifeMs = parsed.halfLifeMs ?? DEFAULT_HALF_LIFE_MS;
    this.#rrfK = parsed.rrfK ?? DEFAULT_RRF_K;
    this.#depth = parsed.candidateDepth ?? 100;
    this.#pool = options.pool;
    this.#poolMin = parsed.poolMinCandidates ?? 4096;
    this.#minSimilarity = parsed.minSimilarity ?? 0;
    this.#ids = createIds(parsed.idSeed === undefined ? {} : { seed: parsed.idSeed });
  }

  // ---- backend hooks -------------------------------------------------------------------------
  protected abstract insert(record: NewRecord): MemoryEntry;
  protected abstract read(id: string): MemoryEntry | undefined;
  protected abstract has(id: string): boolean;
  protected abstract change(id: string, patch: ResolvedPatch): MemoryEntry | undefined;
  protected abstract remove(id: string): boolean;
  protected abstract listFiltered(filter: Filter, limit: number): MemoryEntry[];
  protected abstract countFiltered(filter: Filter): number;
  /** Entry ids by keyword relevance, best first, at most `depth`. */
  protected abstract keywordRanks(
    terms: readonly string[],
    filter: Filter,
    depth: number,
  ): string[];
  protected abstract vectorCandidates(filter: Filter): VectorCandidates;
  /** Every entry the filter admits (searches with neither text nor embedding). */
  protected abstract allCandidates(filter: Filter): Candidate[];
  protected abstract candidates(ids: readonly string[]): Map<string, Candidate>;
  /** Marks the entries accessed at `now` and returns them, in order, skipping vanished ones. */
  protected abstract touch(ids: readonly string[], now: number): MemoryEntry[];
  protected abstract readMany(ids: readonly string[]): MemoryEntry[];
  protected abstract closeBackend(): void;

  // ---- vectors -------------------------------------------------------------------------------
  /**
   * The matrix. Backends pass the length of the vector they are about to store: the first one
   * creates the matrix and fixes the store's length (unless options fixed it already).
   */
  protected vectorIndex(dims?: number): VectorIndex | undefined {
    if (this.#index === undefined) {
      const d = dims ?? this.#dims;
      if (d === undefined) return undefined;
      this.#dims = d;
      this.#index = new VectorIndex(d);
    }
    return this.#index;
  }

  /** Checks a vector against the store's length and computes its norm (once, here). */
  protected checkVector(values: Float32Array, field: string): Vector {
    if (this.#dims !== undefined && values.length !== this.#dims) {
      throw invalidArgument(`${field}: expected ${this.#dims} dimensions, got ${values.length}`, {
        field,
      });
    }
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw invalidArgument(`${field}: values must be finite numbers`, { field, index: i });
      }
    }
    const norm = vectorNorm(values);
    if (norm === 0) throw invalidArgument(`${field}: must not be all zeros`, { field });
    // The first vector stored fixes the length (see vectorIndex); checks change nothing.
    return { values: Float32Array.from(values), norm };
  }

  async #embed(text: string, field: string): Promise<Vector | undefined> {
    if (this.embedder === undefined) return undefined;
    const [values] = await this.embedder.embed([text]);
    this.#assertOpen();
    if (values === undefined)
      throw new TroupeError('ERR_INTERNAL', 'the embedder returned no vector');
    // Text with nothing to embed (punctuation only) gets no vector rather than an error.
    if (values.every((v) => v === 0)) return undefined;
    return this.checkVector(values, field);
  }

  // ---- public API ----------------------------------------------------------------------------
  async add(input: MemoryInput): Promise<MemoryEntry> {
    this.#assertOpen();
    const parsed = parseOptions(inputSchema, input, 'entry');
    if (parsed.id !== undefined && this.has(parsed.id)) {
      throw invalidArgument(`entry.id: an entry with id ${parsed.id} exists`, {
        field: 'entry.id',
      });
    }
    const vector =
      parsed.embedding === undefined
        ? await this.#embed(parsed.content, 'entry.embedding')
        : this.checkVector(parsed.embedding, 'entry.embedding');
    this.#assertOpen();
    const id = parsed.id ?? this.#ids.next('mem');
    if (this.has(id))
      throw invalidArgument(`entry.id: an entry with id ${id} exists`, { field: 'entry.id' });
    return this.insert({
      id,
      content: parsed.content,
      type: (parsed.type ?? 'semantic') as MemoryType,
      importance: parsed.importance ?? 0.5,
      tags: [...(parsed.tags ?? [])],
      scope: cleanScope(parsed.scope),
      evergreen: parsed.evergreen ?? false,
      createdAt: this.clock.now(),
      vector,
    });
  }

  async get(id: string): Promise<MemoryEntry | undefined> {
    this.#assertOpen();
    return typeof id === 'string' ? this.read(id) : undefined;
  }

  async update(id: string, patch: MemoryPatch): Promise<MemoryEntry | undefined> {
    this.#assertOpen();
    const parsed = parseOptions(patchSchema, patch, 'patch');
    let vector: Vector | null | undefined;
    if (parsed.embedding === null) vector = null;
    else if (parsed.embedding !== undefined)
      vector = this.checkVector(parsed.embedding, 'patch.embedding');
    else if (parsed.content !== undefined)
      vector = await this.#embed(parsed.content, 'patch.embedding');
    this.#assertOpen();
    const resolved: ResolvedPatch = {
      ...(parsed.content === undefined ? {} : { content: parsed.content }),
      ...(parsed.type === undefined ? {} : { type: parsed.type as MemoryType }),
      ...(parsed.importance === undefined ? {} : { importance: parsed.importance }),
      ...(parsed.tags === undefined ? {} : { tags: [...parsed.tags] }),
      ...(parsed.scope === undefined ? {} : { scope: cleanScope(parsed.scope) }),
      ...(parsed.evergreen === undefined ? {} : { evergreen: parsed.evergreen }),
      ...(vector === undefined ? {} : { vector }),
    };
    return this.change(id, resolved);
  }

  async delete(id: string): Promise<boolean> {
    this.#assertOpen();
    return typeof id === 'string' ? this.remove(id) : false;
  }

  forget(id: string): Promise<boolean> {
    return this.delete(id);
  }

  async list(filter: MemoryFilter & { readonly limit?: number } = {}): Promise<MemoryEntry[]> {
    this.#assertOpen();
    const parsed = parseOptions(filterSchema, filter, 'filter');
    return this.listFiltered(toFilter(parsed), parsed.limit ?? Number.POSITIVE_INFINITY);
  }

  async count(filter: MemoryFilter = {}): Promise<number> {
    this.#assertOpen();
    return this.countFiltered(toFilter(parseOptions(filterSchema, filter, 'filter')));
  }

  async search(query: SearchQuery): Promise<SearchResult[]> {
    this.#assertOpen();
    const q = parseOptions(querySchema, query, 'query');
    const weights =
      q.weights === undefined
        ? this.#weights
        : resolveWeights(this.#weights, q.weights, 'query.weights');
    const halfLifeMs = q.halfLifeMs ?? this.#halfLifeMs;
    const limit = q.limit ?? 10;
    const minScore = q.minScore ?? 0;
    const filter = toFilter(q);
    const terms = q.text === undefined ? [] : queryTerms(q.text);

    let queryVector: Vector | undefined;
    if (q.embedding !== undefined) queryVector = this.checkVector(q.embedding, 'query.embedding');
    else if (q.text !== undefined && terms.length > 0)
      queryVector = await this.#embed(q.text, 'query.embedding');

    const keywordRank = new Map<string, number>();
    const vectorRank = new Map<string, number>();
    let pool: Map<string, Candidate>;
    let fused: Map<string, number> | undefined;
    let maxFused = 0;
    if (terms.length === 0 && queryVector === undefined) {
      // Text with nothing to match (punctuation only) matches nothing; no query at all ranks
      // every admitted entry by importance and recency.
      if (q.text !== undefined) return [];
      pool = new Map(this.allCandidates(filter).map((c) => [c.id, c]));
    } else {
      const k = this.#rrfK;
      fused = new Map();
      // Fusion tracks the maximum as it goes: normalizing is then one pass over the fused set.
      const addRank = (id: string, rank: number): void => {
        const value = (fused!.get(id) ?? 0) + 1 / (k + rank);
        fused!.set(id, value);
        if (value > maxFused) maxFused = value;
      };
      if (terms.length > 0) {
        const ids = this.keywordRanks(terms, filter, this.#depth);
        for (let i = 0; i < ids.length; i++) {
          keywordRank.set(ids[i]!, i + 1);
          addRank(ids[i]!, i + 1);
        }
      }
      if (queryVector !== undefined) {
        const ids = await this.#vectorRanks(
          queryVector,
          filter,
          q.minSimilarity ?? this.#minSimilarity,
        );
        for (let i = 0; i < ids.length; i++) {
          vectorRank.set(ids[i]!, i + 1);
          addRank(ids[i]!, i + 1);
        }
      }
      pool = this.candidates([...fused.keys()]);
    }

    const now = this.clock.now();
    const hits: { id: string; score: number; relevance: number; recency: number }[] = [];
    for (const c of pool.values()) {
      const relevance = fused === undefined ? 0 : (fused.get(c.id) ?? 0) / maxFused;
      const recency = decay(now - c.accessedAt, halfLifeMs, c.evergreen);
      const score = compositeScore({ relevance, importance: c.importance, recency }, weights);
      if (score >= minScore) hits.push({ id: c.id, score, relevance, recency });
    }
    hits.sort(
      (a, b) =>
        b.score - a.score || b.relevance - a.relevance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    const top = hits.slice(0, limit);
    const ids = top.map((h) => h.id);
    const entries = q.peek === true ? this.readMany(ids) : this.touch(ids, now);
    const byId = new Map(entries.map((e) => [e.id, e]));
    const results: SearchResult[] = [];
    for (const hit of top) {
      const entry = byId.get(hit.id);
      if (entry === undefined) continue;
      const kr = keywordRank.get(hit.id);
      const vr = vectorRank.get(hit.id);
      results.push({
        entry,
        score: hit.score,
        relevance: hit.relevance,
        recency: hit.recency,
        ...(kr === undefined ? {} : { keywordRank: kr }),
        ...(vr === undefined ? {} : { vectorRank: vr }),
      });
    }
    return results;
  }

  async #vectorRanks(query: Vector, filter: Filter, minSimilarity: number): Promise<string[]> {
    const index = this.#index;
    if (index === undefined) return [];
    const { ids, slots } = this.vectorCandidates(filter);
    const k = Math.min(this.#depth, slots.length);
    const top =
      this.#pool !== undefined && slots.length >= this.#poolMin
        ? await this.#pool.topK({
            matrix: index.matrixBuffer,
            norms: index.normsBuffer,
            dims: index.dims,
            query: query.values,
            queryNorm: query.norm,
            slots,
            k,
          })
        : index.scan(query.values, query.norm, slots, k);
    this.#assertOpen();
    const out: string[] = [];
    // Only vectors close enough to the query count as matches: an unrelated entry must not gain
    // relevance just because the list has room.
    for (let i = 0; i < top.indices.length; i++) {
      const score = top.scores[i]!;
      if (score > 0 && score >= minSimilarity) out.push(ids[top.indices[i]!]!);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.closeBackend();
  }

  #assertOpen(): void {
    if (this.#closed) throw new TroupeError('ERR_CLOSED', 'the memory store is closed');
  }
}
