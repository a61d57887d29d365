import { invalidArgument } from '@troupe/core';
import type { MemoryScope, MemoryType, ScoreWeights } from '../types.js';

// The shapes the base store and its backends exchange, and the helpers that make them.

/** A filter after validation: scope fields present, types deduplicated (absent = all). */
export interface Filter {
  readonly scope: MemoryScope;
  readonly types: readonly MemoryType[] | undefined;
}

/** An entry as the backends hand it to the base: what scoring needs. */
export interface Candidate {
  readonly id: string;
  readonly importance: number;
  readonly evergreen: boolean;
  readonly accessedAt: number;
}

/** A validated new entry, id assigned, times set, vector resolved. */
export interface NewRecord {
  readonly id: string;
  readonly content: string;
  readonly type: MemoryType;
  readonly importance: number;
  readonly tags: readonly string[];
  readonly scope: MemoryScope;
  readonly evergreen: boolean;
  readonly createdAt: number;
  readonly vector: Vector | undefined;
}

/** A validated patch; `vector: null` removes the vector, `undefined` keeps it. */
export interface ResolvedPatch {
  readonly content?: string;
  readonly type?: MemoryType;
  readonly importance?: number;
  readonly tags?: readonly string[];
  readonly scope?: MemoryScope;
  readonly evergreen?: boolean;
  readonly vector?: Vector | null;
}

export interface Vector {
  readonly values: Float32Array;
  readonly norm: number;
}

/** Vector-search candidates: parallel arrays of entry ids and matrix slots. */
export interface VectorCandidates {
  readonly ids: readonly string[];
  readonly slots: Int32Array;
}

type LooseScope = { [K in keyof MemoryScope]?: string | undefined };

/** A scope without keys whose value is `undefined`, so the fields present are the ones set. */
export function cleanScope(scope: LooseScope | undefined): MemoryScope {
  const out: Record<string, string> = {};
  if (scope !== undefined)
    for (const [key, value] of Object.entries(scope)) if (value !== undefined) out[key] = value;
  return out;
}

export function toFilter(parsed: {
  scope?: LooseScope | undefined;
  types?: readonly string[] | undefined;
}): Filter {
  const types =
    parsed.types === undefined ? undefined : ([...new Set(parsed.types)] as MemoryType[]);
  return {
    scope: cleanScope(parsed.scope),
    types: types !== undefined && types.length === 3 ? undefined : types,
  };
}

export function resolveWeights(
  base: ScoreWeights,
  over:
    | {
        relevance?: number | undefined;
        importance?: number | undefined;
        recency?: number | undefined;
      }
    | undefined,
  field: string,
): ScoreWeights {
  const weights = {
    relevance: over?.relevance ?? base.relevance,
    importance: over?.importance ?? base.importance,
    recency: over?.recency ?? base.recency,
  };
  if (!(weights.relevance + weights.importance + weights.recency > 0)) {
    throw invalidArgument(`${field}: at least one weight must be positive`, { field });
  }
  return Object.freeze(weights);
}
