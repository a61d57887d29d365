import {
  type AgentDefinition,
  createBus,
  createIds,
  createRateLimiter,
  createRng,
  createSharedState,
  createTeam,
  defineAgent,
  defineTool,
  invalidArgument,
  type RunResult,
  SimulatedClock,
  type Team,
  type TeamEvent,
  type TeamEventType,
} from '@troupe/core';
import { z } from 'zod';
import type { SimEvent } from '../events.js';
import { LogHasher } from '../hash.js';
import { logLine } from '../log-line.js';
import type { TeamAnalysis } from '../report/analyze.js';
import { TeamAnalyzer } from '../report/team-analyzer.js';
import type { Scenario } from '../scenario.js';
import { type AgentBrain, createAgentModel } from './agent-model.js';
import { Board } from './board.js';

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
  /** SHA-256 of this team's event-log lines. */
  readonly hash: string;
  /** The team's event log, one JSON object per line (empty when not collected). */
  readonly lines: readonly string[];
  readonly eventCount: number;
  readonly analysis: TeamAnalysis;
  readonly finish: Extract<SimEvent, { type: 'run.finished' }>['reason'];
  readonly modelCalls: number;
}

/** Drops keys whose value is undefined (zod's optional outputs) for exact optional types. */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

/** The team event types the simulation's log is built from (see `onEvent` in {@link runTeam}). */
const LOGGED_TYPES = [
  'turn.started',
  'run.finished',
  'lease.waited',
  'claim.granted',
  'claim.conflicted',
  'claim.released',
  'discovery.shared',
  'message.posted',
  'agent.failed',
  'agent.restarted',
] as const satisfies readonly TeamEventType[];

const editRegion = defineTool({
  name: 'edit_region',
  description: 'Apply the refactoring to a claimed region of a file.',
  input: z.object({ resource: z.string(), start: z.number().int(), end: z.number().int() }),
  run: ({ resource, start, end }) => ({ edited: `${resource}:${start}-${end}` }),
});

/**
 * Runs one team of a scenario to its stopping rule on a fresh simulated clock, as fast as the
 * CPU allows, and returns its event log and analysis. Deterministic: the same scenario, seed
 * and team index give the same lines, byte for byte.
 *
 * @example
 * ```ts
 * const result = await runTeam(parseScenario(json), { seed: 7 });
 * console.log(result.hash, result.analysis.totals.regionsDone);
 * ```
 */
export async function runTeam(scenario: Scenario, options: RunTeamOptions): Promise<TeamRunResult> {
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
  const teamIndex = options.team ?? 0;
  const collect = options.collectEvents ?? true;
  const rng = createRng(`${options.seed}:${teamIndex}`);
  const clock = new SimulatedClock(0);
  const board = new Board(scenario, rng.fork());
  const hasher = new LogHasher();
  const analyzer = new TeamAnalyzer({ timelines: options.timelines ?? true });
  const lines: string[] = [];
  let eventCount = 0;
  const emit = (event: SimEvent): void => {
    const line = logLine(event);
    hasher.add(line);
    analyzer.add(event);
    eventCount++;
    if (collect) lines.push(line);
  };

  const ruleKeys = [...new Set(scenario.limits.map((r) => r.key))];
  const team: Team = createTeam({
    clock,
    id: `team-${teamIndex}`,
    ids: createIds({ seed: `${options.seed}:${teamIndex}:ids` }),
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: scenario.limits.map(defined) }),
    bus: createBus({ clock }),
    limiterKeys: ruleKeys.length > 0 ? ruleKeys : ['model'],
    roles: scenario.team.roles.map(defined),
    supervision: { maxRestarts: 3, windowMs: 600_000 },
  });

  const calls = { count: 0 };
  const brains = new Map<string, AgentBrain>();
  const names: string[] = [];
  const definitions: { name: string; role: string | undefined; definition: AgentDefinition }[] = [];
  for (const group of scenario.team.agents) {
    const role = scenario.team.roles.find((r) => r.name === group.role);
    const canClaim =
      !(role?.denyTools ?? []).includes('claim_region') &&
      (role?.allowTools === undefined || role.allowTools.includes('claim_region'));
    for (let i = 1; i <= group.count; i++) {
      const name = `${group.name}-${i}`;
      const brain: AgentBrain = { phase: 'pick', task: undefined, turnsLeft: 0 };
      brains.set(name, brain);
      names.push(name);
      const model = createAgentModel({
        agent: name,
        kind: canClaim ? 'worker' : 'observer',
        brain,
        board,
        scenario,
        clock,
        rng: rng.fork(),
        emit,
        team: teamIndex,
        calls,
      });
      definitions.push({
        name,
        role: group.role,
        definition: defineAgent({
          name: group.name,
          instructions: canClaim
            ? 'Refactor the codebase: claim a region, edit it, release it, share what you learn.'
            : 'Follow the team’s progress messages and review.',
          model,
          tools: canClaim ? [editRegion] : [],
          maxTurns: group.maxTurns,
        }),
      });
    }
  }

  const openTurns = new Map<string, number>();
  const closeTurn = (agent: string, at: number) => {
    const turn = openTurns.get(agent);
    if (turn !== undefined) {
      openTurns.delete(agent);
      emit({ t: at, team: teamIndex, type: 'turn.ended', agent, turn });
    }
  };
  const onEvent = (e: TeamEvent): void => {
    switch (e.type) {
      case 'turn.started':
        closeTurn(e.agent, e.at);
        openTurns.set(e.agent, e.turn);
        emit({ t: e.at, team: teamIndex, type: 'turn.started', agent: e.agent, turn: e.turn });
        break;
      case 'run.finished':
        closeTurn(e.agent, e.at);
        break;
      case 'lease.waited':
        emit({
          t: e.at,
          team: teamIndex,
          type: 'lease.waited',
          agent: e.agent,
          waitMs: e.waitedMs,
        });
        break;
      case 'claim.granted': {
        emit({
          t: e.at,
          team: teamIndex,
          type: 'claim.granted',
          agent: e.agent,
          resource: e.resource,
          start: e.start,
          end: e.end,
        });
        const brain = brains.get(e.agent);
        const region = board.find(e.resource, e.start);
        if (brain && region && brain.task === region) {
          board.take(region, e.agent);
          brain.phase = 'editing';
          brain.turnsLeft = region.turns;
        }
        break;
      }
      case 'claim.conflicted': {
        emit({
          t: e.at,
          team: teamIndex,
          type: 'claim.conflicted',
          agent: e.agent,
          resource: e.resource,
          holder: e.holder,
        });
        const brain = brains.get(e.agent);
        if (brain) {
          brain.task = undefined;
          brain.phase = 'pick';
        }
        break;
      }
      case 'claim.released': {
        if (!e.released) break;
        emit({
          t: e.at,
          team: teamIndex,
          type: 'claim.released',
          agent: e.agent,
          resource: e.resource,
        });
        const brain = brains.get(e.agent);
        const task = brain?.task;
        if (brain && task && task.resource === e.resource && task.status === 'doing') {
          board.finish(task);
          emit({
            t: e.at,
            team: teamIndex,
            type: 'region.done',
            agent: e.agent,
            resource: task.resource,
            region: task.id,
          });
          brain.task = undefined;
          brain.phase = 'pick';
          wake();
        }
        break;
      }
      case 'discovery.shared':
        emit({
          t: e.at,
          team: teamIndex,
          type: 'discovery.shared',
          agent: e.agent,
          topic: e.topic,
        });
        break;
      case 'message.posted':
        emit({ t: e.at, team: teamIndex, type: 'message.posted', agent: e.agent, topic: e.topic });
        break;
      case 'agent.failed':
        if (e.final)
          emit({
            t: e.at,
            team: teamIndex,
            type: 'agent.failed',
            agent: e.agent,
            reason: e.error.message,
          });
        break;
      case 'agent.restarted':
        emit({
          t: e.at,
          team: teamIndex,
          type: 'agent.restarted',
          agent: e.agent,
          restarts: e.restarts,
        });
        break;
      default:
        break;
    }
  };
  // Only the types the log is built from: the runtime does not even build the others
  // (agent.state, model.*, tool.*), which would be most of the events of a step.
  const offs = LOGGED_TYPES.map((type) => team.on(type, onEvent));
  const unsubscribe = () => {
    for (const off of offs) off();
  };

  // Parked agents (no open work, board not complete) wait here until a region reopens.
  let parked: (() => void)[] = [];
  const wake = () => {
    const waiting = parked;
    parked = [];
    for (const resolve of waiting) resolve();
  };
  let stopping = false;

  /** Keeps one agent working until the board is done, it fails for good, or the run stops. */
  const drive = async (name: string): Promise<void> => {
    let message = 'Refactor the open regions of the codebase.';
    for (;;) {
      if (stopping) return;
      const result: RunResult = await team.send(name, message);
      if (stopping || result.status === 'cancelled') return;
      const info = team.agent(name);
      const brain = brains.get(name)!;
      if (result.status === 'failed') {
        // The agent crashed: whatever it held goes back on the board (its claim expires).
        if (brain.task && brain.task.status === 'doing' && brain.task.owner === name) {
          board.reopen(brain.task);
          wake();
        }
        brain.task = undefined;
        brain.phase = 'pick';
        if (info === undefined || info.state === 'failed') return;
        message = 'You were restarted. Continue with the open regions.';
        continue;
      }
      if (result.status === 'max_turns') {
        message = 'Continue.';
        continue;
      }
      if (board.complete) return;
      if (board.open === 0) await new Promise<void>((resolve) => parked.push(resolve));
      message = 'More work opened up. Continue.';
    }
  };

  const totalRegions = board.regions.length;
  emit({
    t: 0,
    team: teamIndex,
    type: 'run.started',
    scenario: scenario.name,
    seed: options.seed,
    agents: names,
    regions: totalRegions,
  });
  // Whatever happens below, the team is closed: no actor or timer outlives the run.
  let finish: TeamRunResult['finish'];
  let drivers: Promise<unknown> | undefined;
  try {
    for (const { name, role, definition } of definitions) {
      await team.spawn(definition, role === undefined ? { name } : { name, role });
    }
    drivers = Promise.all(names.map((name) => drive(name)));
    let driversDone = false;
    let driverFailure: { error: unknown } | undefined;
    drivers.then(
      () => {
        driversDone = true;
      },
      (error: unknown) => {
        driverFailure = { error };
        driversDone = true;
      },
    );

    const stop = scenario.stop;
    for (;;) {
      await team.settled();
      // A driver only throws on a bug (team.send resolves every agent fault as a value).
      if (driverFailure) throw driverFailure.error;
      if (driversDone) {
        finish = board.complete ? 'work-done' : 'no-progress';
        break;
      }
      if (calls.count >= stop.maxModelCalls) {
        finish = 'max-model-calls';
        break;
      }
      const next = clock.nextDue();
      if (next === undefined) {
        finish = 'no-progress';
        break;
      }
      if (next > stop.maxSimulatedMs) {
        finish = 'max-time';
        break;
      }
      await clock.advance(next - clock.now());
    }
  } finally {
    // What closing the team does (cancelling runs) is not part of the simulated run: stop
    // listening first, so nothing it emits reaches the log.
    stopping = true;
    unsubscribe();
    wake();
    await team.close();
  }
  emit({
    t: clock.now(),
    team: teamIndex,
    type: 'run.finished',
    reason: finish,
    regionsDone: board.done,
    regions: totalRegions,
  });
  await drivers;
  return {
    team: teamIndex,
    seed: options.seed,
    hash: hasher.digest(),
    lines,
    eventCount,
    analysis: analyzer.result(),
    finish,
    modelCalls: calls.count,
  };
}
