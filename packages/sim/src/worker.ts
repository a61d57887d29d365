// Piscina worker: runs a batch of consecutive teams of a simulation in this thread, one after
// another, and returns their results in team order.
import type { TeamRunResult } from './engine/run-team.js';
import { joinLines } from './internal/lines.js';
import { runOneTeam, type TeamJobSpec } from './internal/run-one.js';

export interface TeamTask {
  readonly spec: TeamJobSpec;
  readonly seed: number;
  /** The first team of the batch. */
  readonly team: number;
  /** How many consecutive teams from `team`. */
  readonly count: number;
  readonly collectEvents: boolean;
  /** The one team (if in this batch) whose analysis keeps per-agent timelines. */
  readonly timelinesFor: number;
  /**
   * Send each team's log back as one string: one structured clone of a string costs far less
   * than one of thousands of short strings, and a stream writes it as it is.
   */
  readonly asText?: boolean;
}

/** A team's result as a worker sends it: with `asText`, `lines` is empty and `text` holds them. */
export type WorkerTeamResult = TeamRunResult & { readonly text?: string };

export default async function runTeamTask(task: TeamTask): Promise<WorkerTeamResult[]> {
  const results: WorkerTeamResult[] = [];
  for (let team = task.team; team < task.team + task.count; team++) {
    const result = await runOneTeam(task.spec, {
      seed: task.seed,
      team,
      collectEvents: task.collectEvents,
      timelines: team === task.timelinesFor,
    });
    results.push(
      task.asText === true ? { ...result, lines: [], text: joinLines(result.lines) } : result,
    );
  }
  return results;
}
