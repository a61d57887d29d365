import { fileURLToPath } from 'node:url';
import { invalidArgument, TroupeError } from '@troupe/core';
import { workerExecArgv } from '@troupe/core/backend';
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
 * A handle on the process's one vector pool: worker threads that split large vector scans. Every
 * handle of the process shares the same threads (and their task queue), so stores given
 * different handles never start a pool each. Close each handle when done (stores never close a
 * pool they were given); the threads stop when the last handle closes.
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
  /** The size of the process's vector pool. */
  readonly threads: number;
  /**
   * The k best cosines, best first, ties to the earlier candidate: `indices` are positions in
   * `request.slots`. Identical to a single-thread scan of the same request.
   */
  topK(request: TopKRequest): Promise<TopK>;
  /** Gives the handle back; later calls reject with `ERR_CLOSED`. Idempotent. */
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
  /**
   * The size of the process's vector pool (default 2). It is set by the handle that starts the
   * pool; while the pool is live, another size is refused with `ERR_INVALID_ARGUMENT`.
   */
  readonly threads?: number;
  /**
   * The compiled worker (`dist/internal/vector-worker.js`). Defaults to the one next to this
   * module, or, when running from TypeScript sources, the one in the package's `dist`. Like
   * `threads`, it cannot differ from the live pool's.
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

/** The piscina of this process while some handle is open. */
interface SharedPool {
  readonly piscina: Piscina;
  readonly threads: number;
  readonly workerFile: string;
  handles: number;
}

let live: SharedPool | undefined;

/** The live pool if its size and worker are the ones asked for; a new one when none is live. */
function sharedPool(threads: number | undefined, workerFile: string | undefined): SharedPool {
  if (live !== undefined) {
    if (threads !== undefined && threads !== live.threads) {
      throw invalidArgument(
        `createVectorPool options.threads is ${threads}, but the live vector pool's size is ` +
          `${live.threads}: the size changes only once every handle has closed`,
        { threads, liveThreads: live.threads },
      );
    }
    if (workerFile !== undefined && workerFile !== live.workerFile) {
      throw invalidArgument(
        "createVectorPool options.workerFile differs from the live vector pool's",
        { workerFile, liveWorkerFile: live.workerFile },
      );
    }
    return live;
  }
  const size = threads ?? 2;
  const filename = workerFile ?? defaultWorkerFile();
  const execArgv = workerExecArgv();
  live = {
    piscina: new Piscina({
      filename,
      minThreads: size,
      maxThreads: size,
      // Only when a test runner added the source condition (see workerExecArgv).
      ...(execArgv !== undefined && { execArgv }),
    }),
    threads: size,
    workerFile: filename,
    handles: 0,
  };
  return live;
}

/**
 * A handle on the process's {@link VectorPool}, started on piscina by the first handle. Each
 * request is cut into one slice per thread; each worker scans its slice over the shared matrix
 * and returns its own top k, merged here. Requests of every handle share piscina's queue.
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
  const file = parsed.workerFile;
  const shared = sharedPool(parsed.threads, file instanceof URL ? fileURLToPath(file) : file);
  shared.handles++;
  const { piscina, threads } = shared;
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
      if (--shared.handles > 0) return;
      if (live === shared) live = undefined;
      await piscina.close();
    },
  };
}
