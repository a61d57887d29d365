import type { ScoreWeights } from './types.js';

/**
 * Reciprocal rank fusion's customary constant (the store option `rrfK`).
 *
 * @example
 * ```ts
 * rrfTerm(1, DEFAULT_RRF_K); // 1 / 61
 * ```
 */
export const DEFAULT_RRF_K = 60;
/**
 * The default recency half-life: seven days, in ms.
 *
 * @example
 * ```ts
 * decay(DEFAULT_HALF_LIFE_MS, DEFAULT_HALF_LIFE_MS); // 0.5
 * ```
 */
export const DEFAULT_HALF_LIFE_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * The default composite weights.
 *
 * @example
 * ```ts
 * createInMemoryStore({ clock, weights: { ...DEFAULT_WEIGHTS, recency: 0 } });
 * ```
 */
export const DEFAULT_WEIGHTS: ScoreWeights = Object.freeze({
  relevance: 0.6,
  importance: 0.2,
  recency: 0.2,
});

/**
 * One list's contribution to reciprocal rank fusion: `1 / (k + rank)`, rank 1-based.
 * An entry's fused score is the sum over the lists it appears on.
 *
 * @example
 * ```ts
 * rrfTerm(1);      // 1 / 61
 * rrfTerm(3, 10);  // 1 / 13
 * ```
 */
export function rrfTerm(rank: number, k = DEFAULT_RRF_K): number {
  return 1 / (k + rank);
}

/**
 * Fuses ranked lists of ids (best first) with reciprocal rank fusion.
 *
 * @example
 * ```ts
 * fuseRanks([['a', 'b'], ['b', 'c']]); // Map { a => 1/61, b => 1/62 + 1/61, c => 1/62 }
 * ```
 */
export function fuseRanks(
  lists: readonly (readonly string[])[],
  k = DEFAULT_RRF_K,
): Map<string, number> {
  const fused = new Map<string, number>();
  for (const list of lists) {
    for (let i = 0; i < list.length; i++) {
      const id = list[i]!;
      fused.set(id, (fused.get(id) ?? 0) + 1 / (k + i + 1));
    }
  }
  return fused;
}

/**
 * Temporal decay: `0.5 ^ (age / halfLifeMs)`, 1 for an age of 0 or less (a clock that went
 * back) and for evergreen entries.
 *
 * @example
 * ```ts
 * decay(7 * 86_400_000, 7 * 86_400_000);        // 0.5
 * decay(14 * 86_400_000, 7 * 86_400_000);       // 0.25
 * decay(14 * 86_400_000, 7 * 86_400_000, true); // 1
 * ```
 */
export function decay(ageMs: number, halfLifeMs: number, evergreen = false): number {
  if (evergreen || ageMs <= 0) return 1;
  return 0.5 ** (ageMs / halfLifeMs);
}

/**
 * The composite score: the weighted mean of relevance, importance and recency, each in [0, 1].
 *
 * @example
 * ```ts
 * compositeScore({ relevance: 1, importance: 0.5, recency: 0.25 },
 *   { relevance: 0.6, importance: 0.2, recency: 0.2 }); // 0.6 + 0.1 + 0.05 = 0.75
 * ```
 */
export function compositeScore(
  parts: { readonly relevance: number; readonly importance: number; readonly recency: number },
  weights: ScoreWeights,
): number {
  const total = weights.relevance + weights.importance + weights.recency;
  return (
    (weights.relevance * parts.relevance +
      weights.importance * parts.importance +
      weights.recency * parts.recency) /
    total
  );
}
