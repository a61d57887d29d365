import { fileURLToPath } from 'node:url';
import { invalidArgument, TroupeError, workerExecArgv } from '@troupe/core';
import { Piscina } from 'piscina';
import { z } from 'zod';
import { mergeTopK, type TopK } from './internal/top-k.js';
import { parseStrictOptions } from './internal/validate.js';
import type { WorkerTask } from './internal/vector-worker.js';

/**
 * A cosine top-k request over rows of a matrix held in a SharedArrayBuffer.
 *
 * @example
 * ```ts
 * const request: TopKRequest = { matrix, norms, dims: 768, query, queryNorm, slots, k: 10 };
 * ```
 */
export interface TopKRequest {
  /** Float32 rows of `dims` values. */
  readonly matrix: SharedArrayBuffer;
  /** Float64 norm per row; 0 skips the row. */
  readonly norms: SharedArrayBuffer;
  readonly dims: number;
  readonly query: Float32Array;
  readonly queryNorm: number;
  /** The rows to consider. */
  readonly slots: Int32Array;
  readonly k: number;
}

/**
 * Worker threads that split large vector scans. Give one to a store as `pool`; several stores
 * may share it. Close it yourself when done: stores never close a pool they were given.
 *
 * @example
 * ```ts
 * const pool = createVectorPool({ threads: 2 });
 * const memory = createInMemoryStore({ clock, pool, poolMinCandidates: 4096 });
 * // ... searches over 4096+ candidates run on both threads
 * await memory.close();
 * await pool.close();
 * ```
 */
export interface VectorPool {
  readonly threads: number;
  /**
   * The k best cosines, best first, ties to the earlier candidate: `indices` are positions in
   * `request.slots`. Identical to a single-thread scan of the same request.
   */
  topK(request: TopKRequest): Promise<TopK>;
  /** Stops the workers; later calls reject with `ERR_CLOSED`. Idempotent. */
  close(): Promise<void>;
}

export type { TopK };

/**
 * Options of {@link createVectorPool}.
 *
 * @example
 * ```ts
 * const options: VectorPoolOptions = { threads: 2, workerFile: new URL('./dist/internal/vector-worker.js', base) };
 * ```
 */
export interface VectorPoolOptions {
  /** Worker threads; default 2. */
  readonly threads?: number;
  /**
   * The compiled worker (`dist/internal/vector-worker.js`). Defaults to the one next to this
   * module, or, when running from TypeScript sources, the one in the package's `dist`.
   */
  readonly workerFile?: string | URL;
}

const optionsSchema = z.object({
  threads: z.number().int().min(1).max(256).optional(),
  workerFile: z.union([z.string().min(1), z.instanceof(URL)]).optional(),
});

function defaultWorkerFile(): string {
  const here = import.meta.url;
  // From sources (vitest, tsc --noEmit runs) there is no .js worker beside us: use dist's.
  const url = here.endsWith('.ts')
    ? new URL('../dist/internal/vector-worker.js', here)
    : new URL('./internal/vector-worker.js', here);
  return fileURLToPath(url);
}

/**
 * Starts a {@link VectorPool} on piscina. Each request is cut into one slice per thread; each
 * worker scans its slice over the shared matrix and returns its own top k, merged here.
 *
 * @example
 * ```ts
 * const pool = createVectorPool({ threads: 2 });
 * const top = await pool.topK({ matrix, norms, dims, query, queryNorm, slots, k: 10 });
 * await pool.close();
 * ```
 */
export function createVectorPool(options: VectorPoolOptions = {}): VectorPool {
  const parsed = parseStrictOptions(optionsSchema, options, 'createVectorPool options');
  const threads = parsed.threads ?? 2;
  const workerFile = parsed.workerFile ?? defaultWorkerFile();
  const execArgv = workerExecArgv();
  const piscina = new Piscina({
    filename: workerFile instanceof URL ? workerFile.href : workerFile,
    minThreads: threads,
    maxThreads: threads,
    // Only when a test runner added the source condition (see workerExecArgv).
    ...(execArgv !== undefined && { execArgv }),
  });
  let closed = false;

  return {
    threads,
    async topK(request) {
      if (closed) throw new TroupeError('ERR_CLOSED', 'the vector pool is closed');
      if (!(request.k >= 0) || !Number.isInteger(request.k)) {
        throw invalidArgument('k must be a non-negative integer', { k: request.k });
      }
      const n = request.slots.length;
      const chunk = Math.ceil(n / threads);
      const tasks: Promise<TopK>[] = [];
      for (let base = 0; base < n; base += chunk) {
        const task: WorkerTask = {
          matrix: request.matrix,
          norms: request.norms,
          dims: request.dims,
          query: request.query,
          queryNorm: request.queryNorm,
          slots: request.slots.slice(base, base + chunk),
          base,
          k: request.k,
        };
        tasks.push(piscina.run(task) as Promise<TopK>);
      }
      return mergeTopK(await Promise.all(tasks), request.k);
    },
    async close() {
      if (closed) return;
      closed = true;
      await piscina.close();
    },
  };
}
