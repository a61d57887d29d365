import { runTeam, type TeamRunResult } from '../engine/run-team.js';
import { type Recording, readRecording } from '../record/recording.js';
import type { Scenario } from '../scenario.js';
import { runTeamModule } from '../team/run-team-module.js';
import type { TeamScenario } from '../team/team-scenario.js';

/** What one simulated team runs: the refactor engine's scenario, or a team module's. */
export type TeamJobSpec =
  | { readonly kind: 'refactor'; readonly scenario: Scenario }
  | { readonly kind: 'module'; readonly module: string; readonly scenario: TeamScenario }
  | { readonly kind: 'replay'; readonly dir: string; readonly scenario: TeamScenario };

// A thread reads each recording once, however many teams replay it.
const recordings = new Map<string, Promise<Recording>>();

/** Runs team `team` of `spec` in this thread. */
export async function runOneTeam(
  spec: TeamJobSpec,
  options: { seed: number; team: number; collectEvents: boolean; timelines: boolean },
): Promise<TeamRunResult> {
  if (spec.kind === 'refactor') return runTeam(spec.scenario, options);
  if (spec.kind === 'module') return runTeamModule(spec.module, spec.scenario, options);
  return replayTeam(spec.dir, spec.scenario, options);
}

async function replayTeam(
  dir: string,
  scenario: TeamScenario,
  options: { seed: number; team: number; collectEvents: boolean; timelines: boolean },
): Promise<TeamRunResult> {
  let recording = recordings.get(dir);
  if (recording === undefined) {
    recording = readRecording(dir);
    recordings.set(dir, recording);
    recording.catch(() => recordings.delete(dir));
  }
  const loaded = await recording;
  return runTeamModule(loaded.header.module, scenario, { ...options, replay: loaded });
}
