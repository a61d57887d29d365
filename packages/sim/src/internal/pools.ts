import { TroupeError } from '@troupe/core';
import { workerExecArgv } from '@troupe/core/backend';
import { Piscina } from 'piscina';
import type { TeamTask, WorkerTeamResult } from '../worker.js';

// Worker threads run plain Node, so they always load the built worker: from dist when this
// module is itself the build, from ../../dist when it runs from sources (under vitest).
const workerUrl = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/worker.js', import.meta.url)
  : new URL('../worker.js', import.meta.url);

/** Old-space limit of each worker, MB: several times what a batch of big teams needs. */
const WORKER_HEAP_MB = 256;

type Pool = Piscina<TeamTask, WorkerTeamResult[]>;

/**
 * The process's one simulation pool: its size and the simulations holding it. A worker's
 * start-up (loading and JIT-ing core, zod, xstate) costs far more than a small team, so
 * simulations reuse warm workers; one pool (not one per size) keeps the process at `threads`
 * workers, never the sum of every size it was asked for.
 */
let kept: { pool: Pool; threads: number; holders: number } | undefined;
/** Pools being shut down (a resize, a close), awaited by {@link closeSimulationPools}. */
const closing = new Set<Promise<void>>();

function open(threads: number): Pool {
  // Only when a test runner added the source condition (see workerExecArgv).
  const execArgv = workerExecArgv();
  return new Piscina<TeamTask, WorkerTeamResult[]>({
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
}

function shut(pool: Pool): void {
  const done = pool.destroy().finally(() => closing.delete(done));
  closing.add(done);
}

/**
 * The process's pool at `threads` workers, started on first use. Another size resizes it (the
 * old pool is closed, a new one started) when no simulation holds it; while one does, the
 * request is refused with `ERR_CONFLICT` (closing the pool would abort that simulation's teams).
 */
export function poolFor(threads: number): Pool {
  if (kept?.threads === threads) return kept.pool;
  if (kept !== undefined) {
    if (kept.holders > 0)
      throw new TroupeError(
        'ERR_CONFLICT',
        `the simulation worker pool runs ${kept.threads} threads for another simulation; ` +
          `${threads} threads can start when it ends`,
        { details: { threads, running: kept.threads } },
      );
    shut(kept.pool);
  }
  kept = { pool: open(threads), threads, holders: 0 };
  return kept.pool;
}

/**
 * Holds the pool at `threads` workers for one simulation (see {@link poolFor}: another size is
 * refused until every holder released it). Returns the release.
 */
export function holdPool(threads: number): () => void {
  poolFor(threads);
  const held = kept!;
  held.holders++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.holders--;
  };
}

/**
 * Closes the worker pool {@link runSimulation} keeps (one per process, resized to the thread
 * count asked for) and waits for its threads to exit. Idle workers never keep the process
 * alive, but a CLI or test that is done simulating calls this to end them at once; a later
 * `runSimulation` starts a fresh pool.
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
  if (kept !== undefined) shut(kept.pool);
  kept = undefined;
  await Promise.all([...closing]);
}
