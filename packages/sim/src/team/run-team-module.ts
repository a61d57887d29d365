import {
  type AgentOptions,
  createBus,
  createIds,
  createRateLimiter,
  createRng,
  createSharedState,
  createTeam,
  defineAgent,
  invalidArgument,
  type Model,
  SimulatedClock,
  type TeamEvent,
  type TeamEventType,
  TroupeError,
} from '@troupe/core';
import type { TeamRunResult } from '../engine/run-team.js';
import type { SimEvent } from '../events.js';
import { LogHasher } from '../hash.js';
import { LiveEventConverter } from '../live-events.js';
import { logLine } from '../log-line.js';
import type { Recording } from '../record/recording.js';
import { TeamAnalyzer } from '../report/team-analyzer.js';
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
  const collect = options.collectEvents ?? true;
  const rng = createRng(`${options.seed}:${teamIndex}`);
  const clock = new SimulatedClock(0);
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

  const { replay } = options;
  const spec = await loadTeamSpec(module, placeholder, clock);
  const entries = withClones(agentEntries(spec), scenario.clones);
  const names = entries.map((e) => e.name);
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
    for (const { definition, name, role, source } of entries) {
      const recorded = replay?.models.get(source) ?? [];
      const model = createPolicyModel({
        agent: name,
        policy: policyFor(scenario, name),
        others: names.filter((n) => n !== name),
        ownTools: definition.tools.map((t) => t.name),
        faults: scenario.faults,
        clock,
        rng: rng.fork(),
        emit,
        team: teamIndex,
        calls,
        ...(replay === undefined ? {} : { replay: recorded }),
      });
      const stubbed = stubTools(definition.tools, scenario.stubs, clock, rng.fork());
      const tools =
        replay === undefined
          ? stubbed
          : replayTools(definition.tools, replay.tools.get(source), stubbed, clock);
      // The definition's own options, with the policy model and the stubs in place.
      const { kind: _kind, ...own } = definition;
      const simulated = defineAgent({ ...(defined(own) as unknown as AgentOptions), model, tools });
      await team.spawn(simulated, role === undefined ? { name } : { name, role });
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
    hash: hasher.digest(),
    lines,
    eventCount,
    analysis: analyzer.result(),
    finish: outcome,
    modelCalls: calls.count,
  };
}
