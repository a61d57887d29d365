import { checkOptionNames } from '../../backend/validate.js';
import { invalidArgument } from '../../errors.js';
import { AgentWorker } from './agent-worker.js';

/**
 * Options of {@link configureAgentPool}.
 *
 * @example
 * ```ts
 * const options: AgentPoolOptions = { threads: 4 };
 * ```
 */
export interface AgentPoolOptions {
  /** Worker threads started, and kept, for pool-placed agents (default 2). */
  readonly threads: number;
}

const DEFAULT_THREADS = 2;
const OPTIONS: ReadonlySet<string> = new Set(['threads']);

/** The size the next pool starts with. */
let size = DEFAULT_THREADS;
/** The pool of this process while some team uses it. */
let live: AgentPool | undefined;

/**
 * The one check of the pool size, whichever option gives it: a positive integer, and the live
 * pool's size while a pool is live (a pool is never resized under its agents, nor is another size
 * kept silently). Sets the size of the next pool.
 */
function setPoolSize(threads: unknown, option: string): void {
  if (!(typeof threads === 'number' && Number.isInteger(threads) && threads > 0))
    throw invalidArgument(`${option} must be a positive integer`, { threads });
  if (live !== undefined && live.threads !== threads) {
    throw invalidArgument(
      `${option} is ${threads}, but the live agent pool's size is ${live.threads}: ` +
        'the size changes only while no team uses the pool',
      { threads, liveThreads: live.threads },
    );
  }
  size = threads;
}

/**
 * Sets the size of the process-wide agent pool: the worker threads that pool-placed agents run
 * on (`placement: { pool: ... }` on `createTeam`). Call it before the first team uses the
 * pool, or between uses (when every team using it has closed). While a pool is live, another size
 * is refused with `ERR_INVALID_ARGUMENT` and nothing changes. A team's `placement.pool.threads`
 * does the same when its first agent is placed.
 *
 * `threads` workers are started and kept; when every one holds `agentsPerWorker` agents, another
 * is started, and stopped again once it holds none.
 *
 * @example
 * ```ts
 * configureAgentPool({ threads: 4 });
 * const team = createTeam({ clock, state, limiter, bus, placement: { pool: { agentsPerWorker: 100 } } });
 * ```
 */
export function configureAgentPool(options: AgentPoolOptions): void {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('configureAgentPool options must be an object');
  checkOptionNames({ ...options }, OPTIONS, 'configureAgentPool');
  setPoolSize(options.threads, 'configureAgentPool options.threads');
}

/**
 * A team's `placement.pool.threads`: checked and applied like {@link configureAgentPool}'s, so a
 * team whose size differs from the live pool's is refused at creation.
 */
export function requestPoolSize(threads: number | undefined): void {
  if (threads !== undefined) setPoolSize(threads, 'placement.pool.threads');
}

/**
 * The workers of the process. Agents go to the least loaded worker with room (on a tie, one of
 * `preferred`, where the team already has agents); when all are full, a new worker starts.
 * Workers that died are replaced on the next placement, up to `threads` (not at once: a worker
 * that cannot start, e.g. without core's dist, would be started again and again).
 */
class AgentPool {
  readonly threads: number;
  users = 0;
  readonly #workers: AgentWorker[] = [];
  #nextId = 0;

  constructor(threads: number) {
    this.threads = threads;
  }

  place(limit: number, preferred: Iterable<AgentWorker>): AgentWorker {
    // The first placement starts the `threads` workers; later ones replace those that died.
    while (this.#workers.length < this.threads) this.#start();
    // The least loaded worker with room, so a team's agents spread over the threads; on a tie,
    // one where the team already is (one channel fewer).
    const mine = new Set(preferred);
    let chosen: AgentWorker | undefined;
    for (const worker of this.#workers) {
      if (!worker.hasRoom(limit)) continue;
      if (
        chosen === undefined ||
        worker.agents < chosen.agents ||
        (worker.agents === chosen.agents && mine.has(worker) && !mine.has(chosen))
      )
        chosen = worker;
    }
    chosen ??= this.#start();
    chosen.take(limit);
    return chosen;
  }

  free(worker: AgentWorker, limit: number): void {
    worker.free(limit);
    if (worker.alive && worker.agents === 0 && this.#workers.length > this.threads)
      void worker.stop();
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.stop()));
  }

  #start(): AgentWorker {
    const worker = new AgentWorker(++this.#nextId, (gone) => this.#gone(gone));
    this.#workers.push(worker);
    return worker;
  }

  #gone(worker: AgentWorker): void {
    const index = this.#workers.indexOf(worker);
    if (index >= 0) this.#workers.splice(index, 1);
  }
}

/** A team's use of the process-wide pool; `release()` once, when the team closes. */
export interface AgentPoolShare {
  /** A worker with room for one more agent under `limit`, its slot taken (see AgentPool). */
  place(limit: number, preferred: Iterable<AgentWorker>): AgentWorker;
  /** Gives the slot back; an empty worker beyond the pool's size is stopped. */
  free(worker: AgentWorker, limit: number): void;
  release(): Promise<void>;
}

/**
 * The pool of this process, started with the configured size (or the team's `threads`, checked
 * by {@link requestPoolSize}) on first use. When the last team releases it, its workers stop; the
 * next use starts a new one.
 */
export function acquireAgentPool(threads: number | undefined): AgentPoolShare {
  requestPoolSize(threads);
  live ??= new AgentPool(size);
  const pool = live;
  pool.users++;
  let released = false;
  return {
    place: (limit, preferred) => pool.place(limit, preferred),
    free: (worker, limit) => pool.free(worker, limit),
    async release() {
      if (released) return;
      released = true;
      if (--pool.users > 0) return;
      if (live === pool) live = undefined;
      await pool.close();
    },
  };
}
