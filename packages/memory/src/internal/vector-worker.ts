// Piscina worker: cosine top-k over a slice of candidates in a matrix shared with the
// coordinator through SharedArrayBuffers (no copy of the matrix per task).
import { scanTopK } from './scan.js';
import type { TopK } from './top-k.js';

/** What the coordinator sends: views are rebuilt here over the shared buffers. */
export interface WorkerTask {
  readonly matrix: SharedArrayBuffer;
  readonly norms: SharedArrayBuffer;
  readonly dims: number;
  readonly query: Float32Array;
  readonly queryNorm: number;
  /** This task's candidates (a copy of its slice), and the slice's start in the whole list. */
  readonly slots: Int32Array;
  readonly base: number;
  readonly k: number;
}

export default function scan(task: WorkerTask): TopK {
  const top = scanTopK({
    matrix: new Float32Array(task.matrix),
    norms: new Float64Array(task.norms),
    dims: task.dims,
    query: task.query,
    queryNorm: task.queryNorm,
    slots: task.slots,
    from: 0,
    to: task.slots.length,
    k: task.k,
  });
  const indices = top.indices;
  for (let i = 0; i < indices.length; i++) indices[i] = indices[i]! + task.base;
  return top;
}
