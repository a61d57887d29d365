import { Worker } from 'node:worker_threads';
import { TroupeError } from '../../errors.js';
import { workerExecArgv } from '../../worker-argv.js';
import type { WorkerMsg, WorkerTeamInit } from './protocol.js';

/**
 * The worker entry in core's dist. Under a TypeScript runner this module is src/…/*.ts; workers
 * are plain Node, so they always load the built file (build core before using a pool).
 */
function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts'))
    return new URL(
      here.replace('/src/placement/pool/agent-worker.ts', '/dist/placement/pool/worker.js'),
    );
  return new URL('./worker.js', here);
}

/** A team running on an {@link AgentWorker}: told when the worker goes. */
export interface WorkerTeam {
  /** The worker died (exited, threw) or was stopped: the team and its agents are gone. */
  workerGone(error: TroupeError): void;
}

/**
 * One worker thread of the agent pool. It runs teams (one per team placed on it) and counts the
 * agents on it across teams: it takes a new agent only while that count is below the smallest
 * `agentsPerWorker` among the agents it holds and the new one. Its death (an exit, an uncaught
 * error) ends only its own teams.
 */
export class AgentWorker {
  readonly id: number;
  #alive = true;
  #agents = 0;
  /** `agentsPerWorker` -> agents placed on this worker under that limit. */
  readonly #limits = new Map<number, number>();
  readonly #teams = new Set<WorkerTeam>();
  readonly #worker: Worker;
  readonly #onGone: (worker: AgentWorker) => void;

  constructor(id: number, onGone: (worker: AgentWorker) => void) {
    this.id = id;
    this.#onGone = onGone;
    const execArgv = workerExecArgv();
    this.#worker = new Worker(workerUrl(), {
      // Only when a test runner added the source condition (see workerExecArgv).
      ...(execArgv !== undefined && { execArgv }),
    });
    // The teams' ports hold the process while teams use them; an idle worker does not.
    this.#worker.unref();
    let thrown: unknown;
    this.#worker.on('error', (error) => {
      thrown = error;
    });
    this.#worker.on('exit', (code) => {
      const reason =
        thrown === undefined
          ? `exited with code ${code}`
          : `threw: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
      this.#gone(
        new TroupeError('ERR_INTERNAL', `pool worker ${id} ${reason}`, {
          ...(thrown !== undefined && { cause: thrown }),
        }),
      );
    });
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** Agents on this worker, across teams. */
  get agents(): number {
    return this.#agents;
  }

  /** True when a live worker can take one more agent of a team with this `agentsPerWorker`. */
  hasRoom(limit: number): boolean {
    if (!this.#alive) return false;
    let smallest = limit;
    for (const placed of this.#limits.keys()) if (placed < smallest) smallest = placed;
    return this.#agents < smallest;
  }

  /** Counts one more agent placed under `limit`. */
  take(limit: number): void {
    this.#agents++;
    this.#limits.set(limit, (this.#limits.get(limit) ?? 0) + 1);
  }

  /** Counts one agent placed under `limit` gone from this worker. */
  free(limit: number): void {
    const placed = this.#limits.get(limit);
    if (placed === undefined) return;
    this.#agents--;
    if (placed === 1) this.#limits.delete(limit);
    else this.#limits.set(limit, placed - 1);
  }

  /** Starts a team on this worker; `init.port` is transferred to it. */
  startTeam(team: WorkerTeam, init: WorkerTeamInit): void {
    this.#teams.add(team);
    const msg: WorkerMsg = { t: 'team', init };
    this.#worker.postMessage(msg, [init.port]);
  }

  /** The team has closed: the worker no longer tells it anything. */
  endTeam(team: WorkerTeam): void {
    this.#teams.delete(team);
  }

  /** Stops the thread; its remaining teams are told it is gone (with `ERR_CLOSED`). */
  async stop(): Promise<void> {
    this.#gone(new TroupeError('ERR_CLOSED', `pool worker ${this.id} stopped`));
    await this.#worker.terminate();
  }

  #gone(error: TroupeError): void {
    if (!this.#alive) return;
    this.#alive = false;
    const teams = [...this.#teams];
    this.#teams.clear();
    this.#onGone(this);
    for (const team of teams) team.workerGone(error);
  }
}
