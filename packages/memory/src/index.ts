// Public API of @troupe/memory. Named exports only; types with `export type`.

export type { Embedder } from './embedders/embedder.js';
export type { HashEmbedderOptions } from './embedders/hash.js';
export { createHashEmbedder } from './embedders/hash.js';
export type { OpenAIEmbedderOptions } from './embedders/openai.js';
export { createOpenAIEmbedder } from './embedders/openai.js';
export { createInMemoryStore } from './memory-store.js';
export {
  compositeScore,
  DEFAULT_HALF_LIFE_MS,
  DEFAULT_RRF_K,
  DEFAULT_WEIGHTS,
  decay,
  fuseRanks,
  rrfTerm,
} from './scoring.js';
export type { SqliteStoreOptions } from './sqlite-store.js';
export { createSqliteStore } from './sqlite-store.js';
export type { MemoryToolsOptions } from './tools.js';
export { memoryTools } from './tools.js';
export type {
  MemoryEntry,
  MemoryFilter,
  MemoryInput,
  MemoryPatch,
  MemoryScope,
  MemoryStore,
  MemoryStoreOptions,
  MemoryType,
  ScopeField,
  ScoreWeights,
  SearchQuery,
  SearchResult,
} from './types.js';
export { MEMORY_TYPES, SCOPE_FIELDS } from './types.js';
export { cosine, dot, vectorNorm } from './vector.js';
export type { TopK, TopKRequest, VectorPool, VectorPoolOptions } from './vector-pool.js';
export { createVectorPool } from './vector-pool.js';
