// Piscina worker: runs one team of a simulation in this thread and returns its result.
import { runTeam, type TeamRunResult } from './engine/run-team.js';
import type { Scenario } from './scenario.js';

export interface TeamTask {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly team: number;
  readonly collectEvents: boolean;
  readonly timelines: boolean;
}

export default function runTeamTask(task: TeamTask): Promise<TeamRunResult> {
  return runTeam(task.scenario, {
    seed: task.seed,
    team: task.team,
    collectEvents: task.collectEvents,
    timelines: task.timelines,
  });
}
