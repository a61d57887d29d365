/**
 * Dot product of `a` with the row of `b` starting at `bOffset` (length `a.length`).
 * Four accumulators let the CPU overlap the multiply-adds; every caller (the in-thread scan,
 * the pool workers) uses this one function, so their scores are bit-identical.
 *
 * @example
 * ```ts
 * dot(new Float32Array([1, 2]), new Float32Array([3, 4])); // 11
 * dot(query, matrix, row * dims);                            // against one row of a matrix
 * ```
 */
export function dot(a: Float32Array, b: Float32Array, bOffset = 0): number {
  const n = a.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const j = bOffset + i;
    s0 += a[i]! * b[j]!;
    s1 += a[i + 1]! * b[j + 1]!;
    s2 += a[i + 2]! * b[j + 2]!;
    s3 += a[i + 3]! * b[j + 3]!;
  }
  for (; i < n; i++) s0 += a[i]! * b[bOffset + i]!;
  return s0 + s1 + (s2 + s3);
}

/**
 * Euclidean norm of a vector.
 *
 * @example
 * ```ts
 * vectorNorm(new Float32Array([3, 4])); // 5
 * ```
 */
export function vectorNorm(v: Float32Array): number {
  return Math.sqrt(dot(v, v));
}

/**
 * Cosine similarity of two vectors; 0 when either is all zeros. Stores do not call this per
 * candidate: they keep each row's norm and compute the query's once.
 *
 * @example
 * ```ts
 * cosine(new Float32Array([1, 0]), new Float32Array([1, 1])); // ≈ 0.7071
 * ```
 */
export function cosine(a: Float32Array, b: Float32Array): number {
  const na = vectorNorm(a);
  const nb = vectorNorm(b);
  return na === 0 || nb === 0 ? 0 : dot(a, b) / (na * nb);
}
