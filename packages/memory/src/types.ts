import type { Clock } from '@troupe/core';
import type { Embedder } from './embedders/embedder.js';
import type { VectorPool } from './vector-pool.js';

/**
 * What kind of memory an entry is: a fact (`semantic`), something that happened (`episodic`)
 * or how to do something (`procedural`).
 *
 * @example
 * ```ts
 * const type: MemoryType = 'procedural';
 * ```
 */
export type MemoryType = 'semantic' | 'episodic' | 'procedural';

/**
 * The memory types, in a fixed order.
 *
 * @example
 * ```ts
 * for (const type of MEMORY_TYPES) console.log(type, await memory.count({ types: [type] }));
 * ```
 */
export const MEMORY_TYPES: readonly MemoryType[] = Object.freeze([
  'semantic',
  'episodic',
  'procedural',
]);

/**
 * Who an entry belongs to. Every field is optional; a search filter matches an entry only when
 * each field the filter names is equal on the entry.
 *
 * @example
 * ```ts
 * const scope: MemoryScope = { team: 'research', agent: 'scout' };
 * ```
 */
export interface MemoryScope {
  readonly team?: string;
  readonly agent?: string;
  readonly session?: string;
  readonly user?: string;
}

/**
 * The scope fields, in a fixed order.
 *
 * @example
 * ```ts
 * const named = SCOPE_FIELDS.filter((field) => entry.scope[field] !== undefined);
 * ```
 */
export const SCOPE_FIELDS = Object.freeze(['team', 'agent', 'session', 'user'] as const);

/**
 * One of {@link SCOPE_FIELDS}.
 *
 * @example
 * ```ts
 * const field: ScopeField = 'agent';
 * ```
 */
export type ScopeField = (typeof SCOPE_FIELDS)[number];

/**
 * A stored memory. Entries handed out by a store are copies: changing one changes nothing stored.
 *
 * @example
 * ```ts
 * const entry: MemoryEntry = await memory.add({ content: 'The API key rotates monthly' });
 * console.log(entry.id, entry.type, entry.importance); // 'mem_…' 'semantic' 0.5
 * ```
 */
export interface MemoryEntry {
  readonly id: string;
  readonly content: string;
  readonly type: MemoryType;
  /** How much the entry matters, in [0, 1]. */
  readonly importance: number;
  readonly tags: readonly string[];
  /** The entry's vector, when it has one. */
  readonly embedding?: Float32Array;
  readonly scope: MemoryScope;
  /** Exempt from temporal decay: its recency is always 1. */
  readonly evergreen: boolean;
  /** `clock.now()` when added. */
  readonly createdAt: number;
  /** `clock.now()` when added or last returned by a search. */
  readonly accessedAt: number;
  /** How many searches have returned the entry. */
  readonly accessCount: number;
}

/**
 * What `add` takes. Only `content` is required.
 *
 * @example
 * ```ts
 * await memory.add({ content: 'Deploys happen on Tuesdays', type: 'procedural', importance: 0.9,
 *   tags: ['ops'], scope: { team: 'infra' }, evergreen: true });
 * ```
 */
export interface MemoryInput {
  /** A caller-chosen id; a new one is generated when absent. Adding an existing id is refused. */
  readonly id?: string;
  readonly content: string;
  /** Default `'semantic'`. */
  readonly type?: MemoryType;
  /** In [0, 1]; default 0.5. */
  readonly importance?: number;
  readonly tags?: readonly string[];
  /** Its vector; when absent and the store has an embedder, the content is embedded. */
  readonly embedding?: Float32Array;
  readonly scope?: MemoryScope;
  readonly evergreen?: boolean;
}

/**
 * What `update` takes: the fields to change. `embedding: null` removes the vector; changing
 * `content` re-embeds it when the store has an embedder and no new embedding is given.
 *
 * @example
 * ```ts
 * await memory.update(entry.id, { importance: 1, tags: ['pinned'] });
 * ```
 */
export interface MemoryPatch {
  readonly content?: string;
  readonly type?: MemoryType;
  readonly importance?: number;
  readonly tags?: readonly string[];
  readonly embedding?: Float32Array | null;
  readonly scope?: MemoryScope;
  readonly evergreen?: boolean;
}

/**
 * Which entries a search or listing considers. Applied inside the store through its indexes.
 *
 * @example
 * ```ts
 * const filter: MemoryFilter = { scope: { team: 'research' }, types: ['semantic'] };
 * ```
 */
export interface MemoryFilter {
  readonly scope?: MemoryScope;
  /** Any of these types; all types when absent. */
  readonly types?: readonly MemoryType[];
}

/**
 * The weights of the composite score. Non-negative, at least one positive; the score is their
 * weighted mean, so it stays in [0, 1].
 *
 * @example
 * ```ts
 * const weights: ScoreWeights = { relevance: 0.7, importance: 0.2, recency: 0.1 };
 * ```
 */
export interface ScoreWeights {
  readonly relevance: number;
  readonly importance: number;
  readonly recency: number;
}

/**
 * A search. With `text`, keyword search runs (and vector search too when the store has an
 * embedder); with `embedding`, vector search runs. With neither, every entry the filter admits
 * is a candidate with relevance 0, ranked by importance and recency. Text without letters or
 * digits matches nothing.
 *
 * @example
 * ```ts
 * const hits = await memory.search({ text: 'deploy day', scope: { team: 'infra' }, limit: 5 });
 * ```
 */
export interface SearchQuery extends MemoryFilter {
  readonly text?: string;
  readonly embedding?: Float32Array;
  /** Most results returned; default 10. */
  readonly limit?: number;
  /** Results scoring below this are dropped; default 0. */
  readonly minScore?: number;
  /** Overrides the store's weights for this search. */
  readonly weights?: Partial<ScoreWeights>;
  /** Overrides the store's half-life for this search, ms. */
  readonly halfLifeMs?: number;
  /** Overrides the store's `minSimilarity` for this search. */
  readonly minSimilarity?: number;
  /** Returned entries keep their `accessedAt` and `accessCount` when true. Default false. */
  readonly peek?: boolean;
}

/**
 * One search hit: the entry (with access times already updated) and how its score was made.
 *
 * @example
 * ```ts
 * for (const hit of await memory.search({ text: 'deploy' })) console.log(hit.score, hit.entry.content);
 * ```
 */
export interface SearchResult {
  readonly entry: MemoryEntry;
  /** The composite score, in [0, 1]. */
  readonly score: number;
  /** Fused relevance normalized so the best candidate of this search has 1. */
  readonly relevance: number;
  /** Temporal decay factor in (0, 1]; 1 for evergreen entries. */
  readonly recency: number;
  /** 1-based rank in the keyword list, when the entry was on it. */
  readonly keywordRank?: number;
  /** 1-based rank in the vector list, when the entry was on it. */
  readonly vectorRank?: number;
}

/**
 * A memory store: entries with scopes, hybrid search. Implemented in memory
 * ({@link createInMemoryStore}) and on SQLite ({@link createSqliteStore}); the same contract
 * suite runs against both.
 *
 * @example
 * ```ts
 * const memory: MemoryStore = createInMemoryStore({ clock: systemClock });
 * const { id } = await memory.add({ content: 'Staging is at staging.internal' });
 * await memory.search({ text: 'where is staging' });
 * await memory.delete(id);
 * await memory.close();
 * ```
 */
export interface MemoryStore {
  /** Adds an entry; refuses a duplicate id or bad input with `ERR_INVALID_ARGUMENT`. */
  add(input: MemoryInput): Promise<MemoryEntry>;
  /** The entry, or `undefined`. Does not change its access times. */
  get(id: string): Promise<MemoryEntry | undefined>;
  /** Changes the given fields; `undefined` when no entry has this id. */
  update(id: string, patch: MemoryPatch): Promise<MemoryEntry | undefined>;
  /** Removes the entry; false when there was none. Idempotent. */
  delete(id: string): Promise<boolean>;
  /** Same as {@link MemoryStore.delete}. */
  forget(id: string): Promise<boolean>;
  /** Ranked hits, best first; updates the returned entries' access times. */
  search(query: SearchQuery): Promise<SearchResult[]>;
  /** Entries the filter admits, oldest first (ties by id). */
  list(filter?: MemoryFilter & { readonly limit?: number }): Promise<MemoryEntry[]>;
  /** Number of entries the filter admits. */
  count(filter?: MemoryFilter): Promise<number>;
  /** Releases resources; later calls reject with `ERR_CLOSED`. Idempotent. */
  close(): Promise<void>;
}

/**
 * Options both backends take.
 *
 * @example
 * ```ts
 * const options: MemoryStoreOptions = { clock, embedder: createHashEmbedder({ dimensions: 256 }),
 *   halfLifeMs: 86_400_000, weights: { relevance: 0.8, importance: 0.1, recency: 0.1 } };
 * ```
 */
export interface MemoryStoreOptions {
  readonly clock: Clock;
  /** Embeds contents without an embedding, and the text of searches. */
  readonly embedder?: Embedder;
  /** Vector length; fixed by the embedder, else by the first embedding stored. */
  readonly dimensions?: number;
  /** Default composite weights; default `{ relevance: 0.6, importance: 0.2, recency: 0.2 }`. */
  readonly weights?: Partial<ScoreWeights>;
  /** Recency half-life, ms; default 7 days. */
  readonly halfLifeMs?: number;
  /** Reciprocal rank fusion constant; default 60. */
  readonly rrfK?: number;
  /** How deep each ranked list (keyword, vector) goes before fusion; default 100. */
  readonly candidateDepth?: number;
  /** Seed for generated ids (reproducible simulations); random when absent. */
  readonly idSeed?: number | string;
  /** A pool that takes large vector scans; the store does not close it. */
  readonly pool?: VectorPool;
  /**
   * Lowest cosine that counts as a vector match (always above 0); default 0. Raise it for
   * embedders whose unrelated texts still score, so a lone weak match is not ranked relevant.
   */
  readonly minSimilarity?: number;
  /** Vector scans over at least this many candidates go to the pool; default 4096. */
  readonly poolMinCandidates?: number;
}
