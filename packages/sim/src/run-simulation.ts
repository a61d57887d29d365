import { createHash } from 'node:crypto';
import { invalidArgument, workerExecArgv } from '@troupe/core';
import { Piscina } from 'piscina';
import { runTeam, type TeamRunResult } from './engine/run-team.js';
import { type Analysis, mergeAnalyses } from './report/analyze.js';
import type { Scenario } from './scenario.js';
import type { TeamTask } from './worker.js';

/**
 * What {@link runSimulation} takes. `seed`, `teams`, `threads`, `collectEvents` and
 * `onTeamDone` are checked before anything runs.
 *
 * @example
 * ```ts
 * const options: SimulationOptions = { scenario, teams: 100, threads: 2, collectEvents: false };
 * ```
 */
export interface SimulationOptions {
  readonly scenario: Scenario;
  /** Default: the scenario's seed. */
  readonly seed?: number;
  /** Independent teams to run, each with its own seed stream. Default 1. */
  readonly teams?: number;
  /**
   * Worker threads. 0 runs every team in this thread, one after another. Default: 0 for one
   * team, else 2.
   */
  readonly threads?: number;
  /** Keep the event log (JSONL lines) in the result. Default true. */
  readonly collectEvents?: boolean;
  /** Called as each team finishes (in completion order). */
  readonly onTeamDone?: (done: number, total: number) => void;
}

/**
 * A whole simulation's outcome: the merged log and its hash, the analysis, per-team results.
 *
 * @example
 * ```ts
 * const result: SimulationResult = await runSimulation({ scenario, seed: 7 });
 * console.log(result.hash, result.perTeam[0]?.finish); // '…' 'work-done'
 * ```
 */
export interface SimulationResult {
  readonly scenario: string;
  readonly seed: number;
  readonly teams: number;
  readonly threads: number;
  /**
   * SHA-256 of the event log: with events collected, of exactly the bytes of `events.jsonl`
   * (every line plus its newline, teams in order); otherwise of the teams' hashes in order.
   */
  readonly hash: string;
  /** The event log's lines, teams in order (empty when not collected). */
  readonly lines: readonly string[];
  readonly eventCount: number;
  readonly analysis: Analysis;
  readonly perTeam: readonly {
    team: number;
    hash: string;
    finish: string;
    modelCalls: number;
    simulatedMs: number;
  }[];
  /** Wall-clock time the simulation took, ms (not part of the log or its hash). */
  readonly wallMs: number;
}

/** Most consecutive teams one worker task runs. */
const MAX_BATCH = 16;
/** Batches in flight per thread at the start: the tail shrinks batches down to one team. */
const BATCHES_PER_THREAD = 4;

// Worker threads run plain Node, so they always load the built worker: from dist when this
// module is itself the build, from ../dist when it runs from sources (under vitest).
const workerUrl = import.meta.url.endsWith('.ts')
  ? new URL('../dist/worker.js', import.meta.url)
  : new URL('./worker.js', import.meta.url);

// One pool per thread count for the whole process: a worker's start-up (loading and JIT-ing
// core, zod, xstate) costs far more than a small team, so simulations reuse warm workers.
const pools = new Map<number, Piscina<TeamTask, TeamRunResult[]>>();

function poolFor(threads: number): Piscina<TeamTask, TeamRunResult[]> {
  let pool = pools.get(threads);
  if (pool === undefined) {
    // Only when a test runner added the source condition (see workerExecArgv).
    const execArgv = workerExecArgv();
    pool = new Piscina<TeamTask, TeamRunResult[]>({
      filename: workerUrl.href,
      ...(execArgv !== undefined && { execArgv }),
      minThreads: threads,
      maxThreads: threads,
      // Two tasks per worker: the next batch is already there while a result travels back,
      // yet a worker never holds a queue the other thread could have taken at the end.
      concurrentTasksPerWorker: 2,
      // Piscina unrefs idle workers, so a kept pool does not hold the process open.
      idleTimeout: Number.POSITIVE_INFINITY,
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

/**
 * Splits `teams` into consecutive batches, largest first: one task per small team (a round trip
 * and a structured clone of the scenario, ~100 µs) would cost as much as the team, but big
 * batches at the end leave one thread idle while the other finishes. Each batch is the
 * remaining teams over `threads * BATCHES_PER_THREAD`, at most MAX_BATCH, so the last few
 * batches are single teams.
 */
function batches(teams: number, threads: number): [team: number, count: number][] {
  const out: [number, number][] = [];
  for (let team = 0; team < teams; ) {
    const remaining = teams - team;
    const count = Math.max(
      1,
      Math.min(MAX_BATCH, Math.floor(remaining / (threads * BATCHES_PER_THREAD))),
    );
    out.push([team, count]);
    team += count;
  }
  return out;
}

/**
 * Runs `teams` independent teams of a scenario on simulated time, inline or across a piscina
 * pool, each deterministic in its own thread, and merges them in team order: the same
 * scenario, seed and team count give the same log and hash whatever the thread count. Worker
 * pools are kept per thread count and reused by later calls; {@link closeSimulationPools} ends
 * them.
 *
 * @example
 * ```ts
 * const scenario = await loadScenarioFile(defaultScenarioPath);
 * const result = await runSimulation({ scenario, seed: 7, teams: 4, threads: 2 });
 * console.log(result.hash, result.analysis.totals.modelCalls);
 * ```
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const { scenario } = options;
  const seed = options.seed ?? scenario.seed;
  const teams = options.teams ?? 1;
  const threads = options.threads ?? (teams > 1 ? 2 : 0);
  const collectEvents = options.collectEvents ?? true;
  if (!(Number.isInteger(seed) && seed >= 0))
    throw invalidArgument('seed must be a non-negative integer', { seed });
  if (!(Number.isInteger(teams) && teams >= 1))
    throw invalidArgument('teams must be a positive integer', { teams });
  if (!(Number.isInteger(threads) && threads >= 0 && threads <= 64)) {
    throw invalidArgument('threads must be an integer from 0 to 64', { threads });
  }
  if (typeof collectEvents !== 'boolean')
    throw invalidArgument('collectEvents must be a boolean', { collectEvents });
  if (options.onTeamDone !== undefined && typeof options.onTeamDone !== 'function')
    throw invalidArgument('onTeamDone must be a function', { onTeamDone: options.onTeamDone });
  const started = performance.now();
  const results: TeamRunResult[] = new Array(teams);
  let done = 0;
  const finished = (result: TeamRunResult) => {
    results[result.team] = result;
    options.onTeamDone?.(++done, teams);
  };

  if (threads === 0) {
    for (let team = 0; team < teams; team++) {
      finished(await runTeam(scenario, { seed, team, collectEvents, timelines: team === 0 }));
    }
  } else {
    const pool = poolFor(threads);
    await Promise.all(
      batches(teams, threads).map(([team, count]) =>
        pool
          .run({ scenario, seed, team, count, collectEvents, timelinesFor: 0 })
          .then((batchResults) => {
            for (const result of batchResults) finished(result);
          }),
      ),
    );
  }

  const hash = createHash('sha256');
  const lines: string[] = [];
  let eventCount = 0;
  for (const result of results) {
    eventCount += result.eventCount;
    if (collectEvents) {
      for (const line of result.lines) {
        hash.update(line);
        hash.update('\n');
        lines.push(line);
      }
    } else hash.update(result.hash);
  }
  return {
    scenario: scenario.name,
    seed,
    teams,
    threads,
    hash: hash.digest('hex'),
    lines,
    eventCount,
    analysis: mergeAnalyses(results.map((r) => r.analysis)),
    perTeam: results.map((r) => ({
      team: r.team,
      hash: r.hash,
      finish: r.finish,
      modelCalls: r.modelCalls,
      simulatedMs: r.analysis.totals.simulatedMs,
    })),
    wallMs: performance.now() - started,
  };
}
