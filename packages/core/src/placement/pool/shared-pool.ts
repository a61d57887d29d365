import { Piscina } from 'piscina';
import { invalidArgument } from '../../errors.js';
import { workerExecArgv } from '../../worker-argv.js';

/**
 * The worker entry in core's dist. Under a TypeScript runner this module is src/…/*.ts; workers
 * are plain Node, so they always load the built file (build core before using a pool).
 */
function workerUrl(): string {
  const here = import.meta.url;
  if (here.endsWith('.ts'))
    return here.replace('/src/placement/pool/shared-pool.ts', '/dist/placement/pool/worker.js');
  return new URL('./worker.js', here).href;
}

interface Shared {
  readonly piscina: Piscina;
  readonly threads: number;
  users: number;
}

let shared: Shared | undefined;

/** A team's share of the process-wide pool; `release()` once, when the team closes. */
export interface PoolShare {
  readonly piscina: Piscina;
  readonly threads: number;
  release(): Promise<void>;
}

/**
 * The one pool of this process, created on first use with `threads` workers and shared by every
 * team (a later team asking for another size shares the existing pool). Each host is a
 * long-running task, so a worker runs many (`concurrentTasksPerWorker`). When the last team
 * releases it, the pool is destroyed; the next use creates a new one.
 */
export function acquirePool(threads: number): PoolShare {
  if (!(Number.isInteger(threads) && threads > 0))
    throw invalidArgument('placement.pool.threads must be a positive integer', { threads });
  if (shared === undefined) {
    const execArgv = workerExecArgv();
    shared = {
      piscina: new Piscina({
        filename: workerUrl(),
        minThreads: threads,
        maxThreads: threads,
        concurrentTasksPerWorker: 1_000_000,
        idleTimeout: 60_000,
        atomics: 'disabled',
        // Only when a test runner added the source condition (see workerExecArgv).
        ...(execArgv !== undefined && { execArgv }),
      }),
      threads,
      users: 0,
    };
  }
  const pool = shared;
  pool.users++;
  let released = false;
  return {
    piscina: pool.piscina,
    threads: pool.threads,
    async release() {
      if (released) return;
      released = true;
      if (--pool.users > 0) return;
      if (shared === pool) shared = undefined;
      await pool.piscina.destroy();
    },
  };
}
