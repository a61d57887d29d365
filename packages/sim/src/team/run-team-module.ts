import {
  type AgentDefinition,
  type AgentOptions,
  type ContextOptions,
  createBus,
  createIds,
  createRateLimiter,
  createRng,
  createSharedState,
  createTeam,
  defineAgent,
  invalidArgument,
  type Model,
  type Rng,
  SimulatedClock,
  type TeamEvent,
  type TeamEventType,
  TroupeError,
} from '@troupe/core';
import type { TeamRunResult } from '../engine/run-team.js';
import { TeamLog } from '../engine/team-log.js';
import type { SimEvent } from '../events.js';
import { LiveEventConverter } from '../live-events.js';
import type { Recording } from '../record/recording.js';
import { runUntilQuiet } from './drive.js';
import { agentEntries, loadTeamSpec } from './load-module.js';
import { createPolicyModel, policyFor } from './policy-model.js';
import { replayTools, stubTools } from './stubs.js';
import type { TeamScenario } from './team-scenario.js';

/** Team events the log is built from (model events come from the policy models themselves). */
const LOGGED: readonly TeamEventType[] = [
  'turn.started',
  'run.finished',
  'lease.waited',
  'tool.returned',
  'claim.granted',
  'claim.conflicted',
  'claim.released',
  'discovery.shared',
  'message.posted',
  'agent.failed',
  'agent.restarted',
];

/** The model handed to the module's default export: every agent's is replaced before spawning. */
const placeholder: Model = {
  id: 'sim:placeholder',
  generate() {
    throw new TroupeError(
      'ERR_INTERNAL',
      'the simulation replaces every agent model with a policy model',
    );
  },
};

const defined = <T extends object>(value: T) =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };

/** The module's agents plus the scenario's clones (each named after the agent it copies). */
function withClones(
  entries: ReturnType<typeof agentEntries>,
  clones: Readonly<Record<string, string>>,
): (ReturnType<typeof agentEntries>[number] & { source: string })[] {
  const out = entries.map((e) => ({ ...e, source: e.name }));
  for (const [name, source] of Object.entries(clones)) {
    const original = entries.find((e) => e.name === source);
    if (original === undefined)
      throw invalidArgument(`scenario.clones: no agent "${source}" to copy as "${name}"`);
    if (out.some((e) => e.name === name))
      throw invalidArgument(`scenario.clones: an agent is already named "${name}"`);
    out.push({ ...original, name, source });
  }
  return out;
}

/**
 * Runs one simulated team of a team module (the module `troupe run` takes) on a fresh
 * simulated clock: each agent's model is replaced by its policy model from the scenario, stubbed
 * tools by their stubs, and the team runs from the module's task until it is quiet or a stop
 * rule fires. Deterministic: the same module, scenario, seed and team index give the same log.
 *
 * @example
 * ```ts
 * const result = await runTeamModule('./team.mjs', parseTeamScenario({}), { seed: 1 });
 * console.log(result.hash, result.finish);
 * ```
 */
export async function runTeamModule(
  module: string,
  scenario: TeamScenario,
  options: {
    seed: number;
    team?: number;
    collectEvents?: boolean;
    timelines?: boolean;
    /** Replay this recording instead of the policies (`troupe sim --replay`). */
    replay?: Recording;
  },
): Promise<TeamRunResult> {
  if (!(Number.isInteger(options.seed) && options.seed >= 0))
    throw invalidArgument('seed must be a non-negative integer', { seed: options.seed });
  const teamIndex = options.team ?? 0;
  const rng = createRng(`${options.seed}:${teamIndex}`);
  const clock = new SimulatedClock(0);
  const log = new TeamLog({
    collect: options.collectEvents ?? true,
    timelines: options.timelines ?? true,
  });
  const emit = log.emit;
  const { replay } = options;
  const spec = await loadTeamSpec(module, placeholder, clock);
  const entries = withClones(agentEntries(spec), scenario.clones);
  const names = entries.map((e) => e.name);
  const { to, task } = startOf(spec, scenario, replay, names);

  const calls = { count: 0 };
  const rules = [...(spec.limits ?? []), ...scenario.limits.map(defined)];
  const ruleKeys = [...new Set(rules.map((r) => r.key))];
  const team = createTeam({
    clock,
    id: `team-${teamIndex}`,
    ids: createIds({ seed: `${options.seed}:${teamIndex}:ids` }),
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules }),
    bus: createBus({ clock }),
    // Every model call takes a lease on every rule's key (a policy model's own id names no rule).
    ...(ruleKeys.length > 0 ? { limiterKeys: ruleKeys } : {}),
    supervision: { maxRestarts: 3, windowMs: 600_000 },
  });
  const converter = new LiveEventConverter({ start: 0, team: teamIndex, modelEvents: false });
  const onEvent = (event: TeamEvent) => {
    for (const e of converter.add(event)) emit(e);
  };
  emit({
    t: 0,
    team: teamIndex,
    type: 'run.started',
    scenario: scenario.name,
    seed: options.seed,
    agents: names,
    regions: 0,
  });
  const offs = LOGGED.map((type) => team.on(type, onEvent));
  let outcome: Awaited<ReturnType<typeof runUntilQuiet>>['outcome'];
  try {
    const world = { scenario, replay, names, clock, rng, emit, team: teamIndex, calls };
    for (const entry of entries) {
      const { name, role } = entry;
      await team.spawn(
        simulatedAgent(entry, world),
        role === undefined ? { name } : { name, role },
      );
    }
    ({ outcome } = await runUntilQuiet(team, clock, to, task, scenario.stop, calls));
  } finally {
    for (const off of offs) off();
    await team.close();
  }
  emit({
    t: clock.now(),
    team: teamIndex,
    type: 'run.finished',
    reason: outcome,
    regionsDone: 0,
    regions: 0,
  });
  return {
    team: teamIndex,
    seed: options.seed,
    hash: log.hasher.digest(),
    lines: log.lines,
    eventCount: log.count,
    analysis: log.analyzer.result(),
    finish: outcome,
    modelCalls: calls.count,
  };
}

/** Who gets which task: the scenario's, else the recording's, else the module's. */
function startOf(
  spec: Awaited<ReturnType<typeof loadTeamSpec>>,
  scenario: TeamScenario,
  replay: Recording | undefined,
  names: readonly string[],
): { to: string; task: string } {
  for (const name of Object.keys(scenario.agents)) {
    if (!names.includes(name))
      throw invalidArgument(
        `scenario.agents names no agent of the team: "${name}" (agents: ${names.join(', ')})`,
      );
  }
  const to = scenario.to ?? replay?.header.to ?? spec.to ?? names[0]!;
  if (!names.includes(to))
    throw invalidArgument(`no agent named "${to}" (agents: ${names.join(', ')})`);
  const task = scenario.task ?? replay?.header.task ?? spec.task;
  if (!task) throw invalidArgument('the team needs a task: `task` in the module or the scenario');
  return { to, task };
}

/** What every simulated agent of one team shares. */
interface World {
  readonly scenario: TeamScenario;
  readonly replay: Recording | undefined;
  readonly names: readonly string[];
  readonly clock: SimulatedClock;
  readonly rng: Rng;
  readonly emit: (event: SimEvent) => void;
  readonly team: number;
  readonly calls: { count: number };
}

/**
 * The agent as the simulation spawns it: the module's definition with its policy model (or its
 * recording) in place of the model, and stubbed (or recorded) tools in place of world-touching
 * ones. Forks two rng streams, in this order, per agent.
 */
function simulatedAgent(
  { definition, name, source }: ReturnType<typeof withClones>[number],
  w: World,
): AgentDefinition {
  const policy = policyFor(w.scenario, name);
  const model = createPolicyModel({
    agent: name,
    policy,
    others: w.names.filter((n) => n !== name),
    ownTools: definition.tools.map((t) => t.name),
    faults: w.scenario.faults,
    clock: w.clock,
    rng: w.rng.fork(),
    emit: w.emit,
    team: w.team,
    calls: w.calls,
    ...(w.replay === undefined ? {} : { replay: w.replay.models.get(source) ?? [] }),
  });
  const stubbed = stubTools(definition.tools, w.scenario.stubs, w.clock, w.rng.fork());
  const tools =
    w.replay === undefined
      ? stubbed
      : replayTools(definition.tools, w.replay.tools.get(source), stubbed, w.clock);
  // The definition's own options, with the policy model and the tools in place.
  const { kind: _kind, ...own } = definition;
  const context = simulatedContext(definition.context, policy.context);
  return defineAgent({
    ...(defined(own) as unknown as AgentOptions),
    model,
    tools,
    ...(context === undefined ? {} : { context }),
  });
}

/**
 * The agent's context policy in the simulation: the scenario's fields over the module's. A
 * summary model the module names is a real one: the policy model writes summaries instead.
 */
function simulatedContext(
  own: ContextOptions | undefined,
  scenario: ContextOptions | undefined,
): ContextOptions | undefined {
  if (own === undefined && scenario === undefined) return undefined;
  const merged = { ...own, ...scenario };
  const { summarize } = merged;
  if (typeof summarize === 'object' && summarize.model !== undefined) {
    const { model: _real, ...rest } = summarize;
    return { ...merged, summarize: rest };
  }
  return merged;
}
