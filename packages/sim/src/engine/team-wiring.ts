import {
  type AgentDefinition,
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  defineTool,
  type Rng,
  type SimulatedClock,
  type Team,
} from '@troupe/core';
import { z } from 'zod';
import type { SimEvent } from '../events.js';
import type { Scenario } from '../scenario.js';
import { type AgentBrain, createAgentModel } from './agent-model.js';
import type { Board } from './board.js';
import { seededIds } from './seeded-ids.js';

/** Drops keys whose value is undefined (zod's optional outputs) for exact optional types. */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

const editRegion = defineTool({
  name: 'edit_region',
  description: 'Apply the refactoring to a claimed region of a file.',
  input: z.object({ resource: z.string(), start: z.number().int(), end: z.number().int() }),
  run: ({ resource, start, end }) => ({ edited: `${resource}:${start}-${end}` }),
});

/** What wiring one team of the built-in refactor engine takes. */
export interface WiringContext {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly team: number;
  readonly clock: SimulatedClock;
  /** The team's rng: each agent's scripted model forks its own stream, in agent order. */
  readonly rng: Rng;
  readonly board: Board;
  readonly emit: (event: SimEvent) => void;
  /** Counts every model call of the team (for the stopping rule). */
  readonly calls: { count: number };
}

/** A team ready to spawn: the runtime team, its agents in spawn order and their brains. */
export interface WiredTeam {
  readonly team: Team;
  /** Agent names (`group-1`, `group-2`, ...), in spawn order. */
  readonly names: readonly string[];
  readonly brains: ReadonlyMap<string, AgentBrain>;
  readonly agents: readonly {
    readonly name: string;
    readonly role: string | undefined;
    readonly definition: AgentDefinition;
  }[];
}

/**
 * Wires one team of a refactor scenario: the real `createTeam` with in-memory shared state,
 * limiter (the scenario's rules) and bus on the simulated clock, and each agent of each group
 * with its scripted model. Agents whose role may not use `claim_region` are observers.
 */
export function wireTeam(ctx: WiringContext): WiredTeam {
  const { scenario, clock } = ctx;
  const ruleKeys = [...new Set(scenario.limits.map((r) => r.key))];
  const team = createTeam({
    clock,
    id: `team-${ctx.team}`,
    ids: seededIds(`${ctx.seed}:${ctx.team}:ids`),
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: scenario.limits.map(defined) }),
    bus: createBus({ clock }),
    limiterKeys: ruleKeys.length > 0 ? ruleKeys : ['model'],
    roles: scenario.team.roles.map(defined),
    supervision: { maxRestarts: 3, windowMs: 600_000 },
  });
  const brains = new Map<string, AgentBrain>();
  const names: string[] = [];
  const agents: WiredTeam['agents'][number][] = [];
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
        board: ctx.board,
        scenario,
        clock,
        rng: ctx.rng.fork(),
        emit: ctx.emit,
        team: ctx.team,
        calls: ctx.calls,
      });
      const definition = defineAgent({
        name: group.name,
        instructions: canClaim
          ? 'Refactor the codebase: claim a region, edit it, release it, share what you learn.'
          : 'Follow the team’s progress messages and review.',
        model,
        tools: canClaim ? [editRegion] : [],
        maxTurns: group.maxTurns,
      });
      agents.push({ name, role: group.role, definition });
    }
  }
  return { team, names, brains, agents };
}
