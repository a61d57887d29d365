import { createRng, invalidArgument, SimulatedClock, type TeamEvent } from '@troupe/core';
import type { SimEvent } from '../events.js';
import type { TeamAnalysis } from '../report/analyze.js';
import type { Scenario } from '../scenario.js';
import { TurnTracker } from '../team-event-log.js';
import { Board } from './board.js';
import { Drivers, Parking } from './drivers.js';
import { runUntilStopped } from './stop-rules.js';
import { LOGGED_TYPES, logEventOf } from './team-events.js';
import { TeamLog } from './team-log.js';
import { wireTeam } from './team-wiring.js';
import { applyTeamEvent, type World } from './world-reducer.js';

/** What {@link runTeam} takes. */
export interface RunTeamOptions {
  readonly seed: number;
  /** The team's index in a multi-team run (part of its seed and of every event). */
  readonly team?: number;
  /** Keep the event log lines (JSONL) in the result. Default true. */
  readonly collectEvents?: boolean;
  /** Keep per-agent timelines in the analysis. Default true. */
  readonly timelines?: boolean;
}

/** How one simulated team ended. */
export interface TeamRunResult {
  readonly team: number;
  readonly seed: number;
  /** SHA-256 of this team's event-log lines (each with its newline), collected or not. */
  readonly hash: string;
  /** The team's event log, one JSON object per line (empty when not collected). */
  readonly lines: readonly string[];
  readonly eventCount: number;
  readonly analysis: TeamAnalysis;
  readonly finish: Extract<SimEvent, { type: 'run.finished' }>['reason'];
  readonly modelCalls: number;
}

function checkOptions(options: RunTeamOptions): void {
  if (!(Number.isInteger(options.seed) && options.seed >= 0)) {
    throw invalidArgument('seed must be a non-negative integer', { seed: options.seed });
  }
  if (options.team !== undefined && !(Number.isInteger(options.team) && options.team >= 0)) {
    throw invalidArgument('team must be a non-negative integer', { team: options.team });
  }
  for (const flag of ['collectEvents', 'timelines'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
      throw invalidArgument(`${flag} must be a boolean`, { [flag]: options[flag] });
    }
  }
}

/**
 * Runs one team of a scenario to its stopping rule on a fresh simulated clock, as fast as the
 * CPU allows, and returns its event log and analysis. Deterministic: the same scenario, seed
 * and team index give the same lines, byte for byte.
 *
 * The pieces, each in its own file: the team and its scripted agents are wired in
 * `team-wiring.ts`; each team event is logged (`team-events.ts`, `team-log.ts`), then applied to
 * the world of regions and agents by the reducer in `world-reducer.ts`; `drivers.ts` keeps each
 * agent working and `stop-rules.ts` moves the clock until the run ends. Injected provider faults
 * and crashes come from the scripted models (`agent-model.ts`).
 *
 * @example
 * ```ts
 * const result = await runTeam(parseScenario(json), { seed: 7 });
 * console.log(result.hash, result.analysis.totals.regionsDone);
 * ```
 */
export async function runTeam(scenario: Scenario, options: RunTeamOptions): Promise<TeamRunResult> {
  checkOptions(options);
  const teamIndex = options.team ?? 0;
  const rng = createRng(`${options.seed}:${teamIndex}`);
  const clock = new SimulatedClock(0);
  const board = new Board(scenario, rng.fork());
  const log = new TeamLog({
    collect: options.collectEvents ?? true,
    timelines: options.timelines ?? true,
  });
  const { emit } = log;
  const calls = { count: 0 };
  const wired = wireTeam({
    scenario,
    seed: options.seed,
    team: teamIndex,
    clock,
    rng,
    board,
    emit,
    calls,
  });
  const { team, names } = wired;
  const parking = new Parking();
  const world: World = { board, brains: wired.brains, emit, team: teamIndex, wake: parking.wake };
  const turns = new TurnTracker(teamIndex);
  const onEvent = (e: TeamEvent): void => {
    const ended = turns.observe(e, e.at);
    if (ended !== undefined) emit(ended);
    const event = logEventOf(e, teamIndex);
    if (event !== undefined) emit(event);
    applyTeamEvent(world, e);
  };
  const offs = LOGGED_TYPES.map((type) => team.on(type, onEvent));
  const drivers = new Drivers(team, world, parking);

  const regions = board.regions.length;
  emit({
    t: 0,
    team: teamIndex,
    type: 'run.started',
    scenario: scenario.name,
    seed: options.seed,
    agents: [...names],
    regions,
  });
  // Whatever happens below, the team is closed: no actor or timer outlives the run.
  let finish: TeamRunResult['finish'];
  let driving: Promise<unknown> | undefined;
  try {
    for (const { name, role, definition } of wired.agents) {
      await team.spawn(definition, role === undefined ? { name } : { name, role });
    }
    driving = drivers.start(names);
    finish = await runUntilStopped(team, clock, driving, { board, calls, stop: scenario.stop });
  } finally {
    // What closing the team does (cancelling runs) is not part of the simulated run: stop
    // listening first, so nothing it emits reaches the log.
    for (const off of offs) off();
    drivers.stop();
    await team.close();
  }
  const { done: regionsDone } = board;
  emit({
    t: clock.now(),
    team: teamIndex,
    type: 'run.finished',
    reason: finish,
    regionsDone,
    regions,
  });
  await driving;
  return {
    team: teamIndex,
    seed: options.seed,
    hash: log.hasher.digest(),
    lines: log.lines,
    eventCount: log.count,
    analysis: log.analyzer.result(),
    finish,
    modelCalls: calls.count,
  };
}
