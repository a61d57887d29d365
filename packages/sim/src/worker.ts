// Piscina worker: runs a batch of consecutive teams of a simulation in this thread, one after
// another, and returns their results in team order.
import { runTeam, type TeamRunResult } from './engine/run-team.js';
import type { Scenario } from './scenario.js';

export interface TeamTask {
  readonly scenario: Scenario;
  readonly seed: number;
  /** The first team of the batch. */
  readonly team: number;
  /** How many consecutive teams from `team`. */
  readonly count: number;
  readonly collectEvents: boolean;
  /** The one team (if in this batch) whose analysis keeps per-agent timelines. */
  readonly timelinesFor: number;
}

export default async function runTeamTask(task: TeamTask): Promise<TeamRunResult[]> {
  const results: TeamRunResult[] = [];
  for (let team = task.team; team < task.team + task.count; team++) {
    results.push(
      await runTeam(task.scenario, {
        seed: task.seed,
        team,
        collectEvents: task.collectEvents,
        timelines: team === task.timelinesFor,
      }),
    );
  }
  return results;
}
