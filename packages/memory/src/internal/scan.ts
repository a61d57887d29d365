import { dot } from '../vector.js';
import { type TopK, TopKHeap } from './top-k.js';

/** One cosine scan: rows `slots[from..to)` of a matrix against a query. */
export interface ScanTask {
  readonly matrix: Float32Array;
  /** Each row's stored norm; 0 marks a free slot or a row without a vector. */
  readonly norms: Float64Array;
  readonly dims: number;
  readonly query: Float32Array;
  /** The query's norm, computed once by the caller. */
  readonly queryNorm: number;
  readonly slots: Int32Array;
  readonly from: number;
  readonly to: number;
  readonly k: number;
}

/**
 * The k best cosines among the given rows, as positions in `slots`. Per candidate this is one
 * dot product and one division: both norms are known before the loop.
 */
export function scanTopK(task: ScanTask): TopK {
  const { matrix, norms, dims, query, queryNorm, slots, from, to } = task;
  const heap = new TopKHeap(Math.min(task.k, Math.max(0, to - from)));
  for (let i = from; i < to; i++) {
    const slot = slots[i]!;
    const norm = norms[slot]!;
    if (norm === 0) continue;
    heap.push(dot(query, matrix, slot * dims) / (queryNorm * norm), i);
  }
  return heap.result();
}
