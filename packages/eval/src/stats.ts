/**
 * A mean with its 95% confidence interval (Student's t over the sample).
 *
 * @example
 * ```ts
 * const { mean, ci95 } = meanWithCi([1, 0, 1, 1]); // mean 0.75
 * ```
 */
export interface MeanCi {
  readonly n: number;
  readonly mean: number;
  /** `[low, high]`; a single value gives `[mean, mean]`. */
  readonly ci95: readonly [number, number];
}

// Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom.
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048,
  2.045, 2.042,
];

/** The t quantile for a 95% interval; past 30 degrees, the Cornish-Fisher expansion of z. */
export function t975(df: number): number {
  if (df <= T975.length) return T975[df - 1]!;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

/**
 * The mean of `values` and its 95% confidence interval.
 *
 * @example
 * ```ts
 * meanWithCi([0.5, 0.7, 0.9]).ci95; // about [0.003, 1.197]
 * ```
 */
export function meanWithCi(values: readonly number[]): MeanCi {
  const n = values.length;
  if (n === 0) return { n, mean: 0, ci95: [0, 0] };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n === 1) return { n, mean, ci95: [mean, mean] };
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  const half = (t975(n - 1) * Math.sqrt(squares / (n - 1))) / Math.sqrt(n);
  return { n, mean, ci95: [mean - half, mean + half] };
}

/**
 * Nearest-rank percentile of `values` (0 for none).
 *
 * @example
 * ```ts
 * percentile([5, 1, 3], 50); // 3
 * ```
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}
