import { workerExecArgv } from '@troupe/core';
import { Piscina } from 'piscina';
import type { TeamTask, WorkerTeamResult } from '../worker.js';

// Worker threads run plain Node, so they always load the built worker: from dist when this
// module is itself the build, from ../../dist when it runs from sources (under vitest).
const workerUrl = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/worker.js', import.meta.url)
  : new URL('../worker.js', import.meta.url);

// One pool per thread count for the whole process: a worker's start-up (loading and JIT-ing
// core, zod, xstate) costs far more than a small team, so simulations reuse warm workers.
/** Old-space limit of each worker, MB: several times what a batch of big teams needs. */
const WORKER_HEAP_MB = 256;

const pools = new Map<number, Piscina<TeamTask, WorkerTeamResult[]>>();

/** The kept pool of `threads` workers, started on first use. */
export function poolFor(threads: number): Piscina<TeamTask, WorkerTeamResult[]> {
  let pool = pools.get(threads);
  if (pool === undefined) {
    // Only when a test runner added the source condition (see workerExecArgv).
    const execArgv = workerExecArgv();
    pool = new Piscina<TeamTask, WorkerTeamResult[]>({
      filename: workerUrl.href,
      ...(execArgv !== undefined && { execArgv }),
      minThreads: threads,
      maxThreads: threads,
      // Two tasks per worker: the next batch is already there while a result travels back,
      // yet a worker never holds a queue the other thread could have taken at the end.
      concurrentTasksPerWorker: 2,
      // Piscina unrefs idle workers, so a kept pool does not hold the process open.
      idleTimeout: Number.POSITIVE_INFINITY,
      // A worker's heap holds one batch of teams at a time; without a bound V8 lets garbage
      // pile up to its default old-space size (gigabytes on a big machine) before collecting,
      // and a 10,000-team run would be mostly uncollected garbage.
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    pools.set(threads, pool);
  }
  return pool;
}

/**
 * Closes the worker pools {@link runSimulation} keeps (one per thread count) and waits for their
 * threads to exit. Idle workers never keep the process alive, but a CLI or test that is done
 * simulating calls this to end them at once; a later `runSimulation` starts fresh pools.
 *
 * @example
 * ```ts
 * try {
 *   await runSimulation({ scenario, teams: 100, threads: 2 });
 * } finally {
 *   await closeSimulationPools();
 * }
 * ```
 */
export async function closeSimulationPools(): Promise<void> {
  const open = [...pools.values()];
  pools.clear();
  await Promise.all(open.map((pool) => pool.destroy()));
}
