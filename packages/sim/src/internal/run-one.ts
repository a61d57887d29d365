import { runTeam, type TeamRunResult } from '../engine/run-team.js';
import type { Scenario } from '../scenario.js';
import { runTeamModule } from '../team/run-team-module.js';
import type { TeamScenario } from '../team/team-scenario.js';

/** What one simulated team runs: the refactor engine's scenario, or a team module's. */
export type TeamJobSpec =
  | { readonly kind: 'refactor'; readonly scenario: Scenario }
  | { readonly kind: 'module'; readonly module: string; readonly scenario: TeamScenario };

/** Runs team `team` of `spec` in this thread. */
export function runOneTeam(
  spec: TeamJobSpec,
  options: { seed: number; team: number; collectEvents: boolean; timelines: boolean },
): Promise<TeamRunResult> {
  return spec.kind === 'refactor'
    ? runTeam(spec.scenario, options)
    : runTeamModule(spec.module, spec.scenario, options);
}
