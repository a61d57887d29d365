import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { invalidArgument } from '@troupe/core';
import { holdPool } from './internal/pools.js';
import type { TeamJobSpec } from './internal/run-one.js';
import { runTeamsInOrder } from './internal/schedule.js';
import type { Analysis } from './report/analyze.js';
import { AnalysisMerger } from './report/merge.js';
import type { Scenario } from './scenario.js';
import { moduleUrl } from './team/load-module.js';
import { parseTeamScenario, type TeamScenario } from './team/team-scenario.js';
import type { WorkerTeamResult } from './worker.js';

export { closeSimulationPools } from './internal/pools.js';

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
  /**
   * Keep the event log (JSONL lines) in the result. Default true, unless `eventLog` is given
   * (then the log goes there and `lines` stays empty).
   */
  readonly collectEvents?: boolean;
  /**
   * Stream the event log here instead of keeping it: each team's lines are written as the team
   * finishes, in team order, waiting for `'drain'` when the stream's buffer is full (which holds
   * the workers back). Memory stays bounded whatever the number of teams, and `hash` is the
   * SHA-256 of exactly the bytes written. The stream is not ended.
   */
  readonly eventLog?: NodeJS.WritableStream;
  /** Called as each team is merged (in team order). */
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
   * SHA-256 of the event log as `events.jsonl` holds it (every line plus its newline, teams in
   * order), when the log was collected or streamed to `eventLog`; absent when it was neither.
   */
  readonly logHash?: string;
  /**
   * SHA-256 of the teams' own log hashes (`perTeam[i].hash`, as hex text, in team order):
   * present whether or not the log was kept, and the same for the same scenario, seed and team
   * count whatever the thread count.
   */
  readonly teamsHash: string;
  /**
   * `logHash` when the log was collected or streamed, else `teamsHash`. Read `logHash` or
   * `teamsHash` to know which one you have.
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

/**
 * Runs `teams` independent teams of a scenario on simulated time, inline or across a piscina
 * pool, each deterministic in its own thread, and merges them in team order: the same
 * scenario, seed and team count give the same log and hash whatever the thread count. Teams
 * are folded into the analysis as they arrive and dropped; with `eventLog` their lines are
 * streamed out too, so memory does not grow with `teams`. The process keeps one worker pool,
 * reused by later calls and resized when one asks for another thread count; while a
 * simulation runs on it, another asking for a different count is refused with `ERR_CONFLICT`.
 * {@link closeSimulationPools} ends it.
 *
 * @example
 * ```ts
 * const scenario = await loadScenarioFile(defaultScenarioPath);
 * const result = await runSimulation({ scenario, seed: 7, teams: 4, threads: 2 });
 * console.log(result.hash, result.analysis.totals.modelCalls);
 * ```
 */
export function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  return simulate({ kind: 'refactor', scenario: options.scenario }, options.scenario.seed, options);
}

/**
 * What {@link runTeamSimulation} takes: a team module (a path or file: URL, the module
 * `troupe run` takes), a team scenario, and the same run options as {@link runSimulation}.
 *
 * @example
 * ```ts
 * const options: TeamSimulationOptions = { module: './team.mjs', scenario: parseTeamScenario({}), teams: 10 };
 * ```
 */
export interface TeamSimulationOptions extends Omit<SimulationOptions, 'scenario'> {
  readonly module: string;
  readonly scenario: TeamScenario;
}

/**
 * Simulates a team module: each of `teams` teams runs the module's agents with policy models
 * instead of real ones, stubs for the scenario's stubbed tools and its faults, on its own
 * simulated clock, inline or across the worker pool, merged in team order. The same module,
 * scenario, seed and team count give the same log and hash whatever the thread count.
 *
 * @example
 * ```ts
 * const scenario = await loadTeamScenarioFile('try.json');
 * const result = await runTeamSimulation({ module: './team.mjs', scenario, teams: 4, threads: 2 });
 * console.log(result.hash);
 * ```
 */
export function runTeamSimulation(options: TeamSimulationOptions): Promise<SimulationResult> {
  if (typeof options.module !== 'string' || options.module === '')
    throw invalidArgument('module must be a path or file: URL', { module: options.module });
  return simulate(
    { kind: 'module', module: moduleUrl(options.module), scenario: options.scenario },
    options.scenario.seed,
    options,
  );
}

/**
 * What {@link runReplaySimulation} takes: a recording directory (`troupe run --record DIR`),
 * an optional what-if team scenario (other limits, faults, clones; its policies are not used),
 * and the same run options as {@link runSimulation}.
 *
 * @example
 * ```ts
 * const options: ReplayOptions = { recording: 'rec', scenario: parseTeamScenario({ faults: { serverError: 0.1 } }) };
 * ```
 */
export interface ReplayOptions extends Omit<SimulationOptions, 'scenario'> {
  readonly recording: string;
  readonly scenario?: TeamScenario;
}

/**
 * Replays a recorded live run on the simulated clock: the team module of the recording runs
 * again with each agent's recorded model answers (with their recorded latencies, tokens and
 * cost) and tool results, so the same recording gives the same event log hash every time.
 * A what-if scenario changes the world around it: other limits, injected faults (retried, then
 * answered as recorded), more agents (clones replaying the agent they copy).
 *
 * @example
 * ```ts
 * const first = await runReplaySimulation({ recording: 'rec' });
 * const again = await runReplaySimulation({ recording: 'rec' });
 * first.hash === again.hash; // true
 * ```
 */
export function runReplaySimulation(options: ReplayOptions): Promise<SimulationResult> {
  if (typeof options.recording !== 'string' || options.recording === '')
    throw invalidArgument('recording must be a directory', { recording: options.recording });
  const scenario = options.scenario ?? parseTeamScenario({ name: 'replay' });
  return simulate(
    { kind: 'replay', dir: resolve(options.recording), scenario },
    scenario.seed,
    options,
  );
}

async function simulate(
  spec: TeamJobSpec,
  defaultSeed: number,
  options: Omit<SimulationOptions, 'scenario'>,
): Promise<SimulationResult> {
  const { scenario } = spec;
  const { eventLog } = options;
  const seed = options.seed ?? defaultSeed;
  const teams = options.teams ?? 1;
  const threads = options.threads ?? (teams > 1 ? 2 : 0);
  const collectEvents = options.collectEvents ?? eventLog === undefined;
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
  if (eventLog !== undefined && typeof eventLog.write !== 'function')
    throw invalidArgument('eventLog must be a writable stream', {});
  if (eventLog !== undefined && options.collectEvents === true)
    throw invalidArgument('collectEvents and eventLog exclude each other', {});
  const started = performance.now();
  const merger = new AnalysisMerger();
  const perTeam: SimulationResult['perTeam'][number][] = [];
  const lines: string[] = [];
  const logHash = createHash('sha256');
  const teamHashes = createHash('sha256');
  let eventCount = 0;

  const write = async (text: string): Promise<void> => {
    if (eventLog === undefined || text === '') return;
    logHash.update(text);
    if (!eventLog.write(text)) await once(eventLog, 'drain');
  };
  // The process's one pool, held at this size until the last team is in (another size asked
  // for meanwhile is refused, not started beside it).
  const release = threads > 0 ? holdPool(threads) : undefined;
  try {
    await runTeamsInOrder(
      {
        spec,
        seed,
        teams,
        threads,
        collectEvents: collectEvents || eventLog !== undefined,
        asText: eventLog !== undefined,
      },
      async (result: WorkerTeamResult) => {
        eventCount += result.eventCount;
        merger.add(result.analysis, result.team);
        perTeam.push({
          team: result.team,
          hash: result.hash,
          finish: result.finish,
          modelCalls: result.modelCalls,
          simulatedMs: result.analysis.totals.simulatedMs,
        });
        teamHashes.update(result.hash);
        if (collectEvents) {
          for (const line of result.lines) {
            logHash.update(line);
            logHash.update('\n');
            lines.push(line);
          }
        }
        options.onTeamDone?.(perTeam.length, teams);
        await write(result.text ?? '');
      },
    );
  } finally {
    release?.();
  }
  const logged = collectEvents || eventLog !== undefined;
  const analysis = merger.result();
  const teamsHash = teamHashes.digest('hex');
  const fileHash = logged ? logHash.digest('hex') : undefined;
  return {
    scenario: scenario.name,
    seed,
    teams,
    threads,
    hash: fileHash ?? teamsHash,
    ...(fileHash === undefined ? {} : { logHash: fileHash }),
    teamsHash,
    lines,
    eventCount,
    analysis,
    perTeam,
    wallMs: performance.now() - started,
  };
}
