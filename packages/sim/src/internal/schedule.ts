import type { TeamTask, WorkerTeamResult } from '../worker.js';
import { joinLines } from './lines.js';
import { poolFor } from './pools.js';
import { runOneTeam, type TeamJobSpec } from './run-one.js';

/** Most consecutive teams one worker task runs. */
const MAX_BATCH = 16;
/** Batches in flight per thread at the start: the tail shrinks batches down to one team. */
const BATCHES_PER_THREAD = 4;
/**
 * Batches submitted and not yet consumed, per thread. Bounds memory: a batch that finished
 * early waits for the older ones (results are consumed in team order), and no more are
 * started meanwhile, so at most this many batches' logs are ever held, whatever the number of
 * teams. Three keeps both of a worker's task slots busy while one result travels back.
 */
const WINDOW_PER_THREAD = 3;

/**
 * Consecutive batches, largest first: one task per small team (a round trip and a structured
 * clone of the scenario, ~100 µs) would cost as much as the team, but big batches at the end
 * leave one thread idle while the other finishes. Each batch is the remaining teams over
 * `threads * BATCHES_PER_THREAD`, at most MAX_BATCH, so the last few batches are single teams.
 */
function* batches(teams: number, threads: number): Generator<[team: number, count: number]> {
  for (let team = 0; team < teams; ) {
    const remaining = teams - team;
    const count = Math.max(
      1,
      Math.min(MAX_BATCH, Math.floor(remaining / (threads * BATCHES_PER_THREAD))),
    );
    yield [team, count];
    team += count;
  }
}

/** What {@link runTeamsInOrder} runs. */
export interface TeamsJob {
  readonly spec: TeamJobSpec;
  readonly seed: number;
  readonly teams: number;
  readonly threads: number;
  readonly collectEvents: boolean;
  /** Return each team's log as one string (`text`) instead of an array of lines. */
  readonly asText: boolean;
}

/**
 * Runs every team of `job`, inline or on the kept pool, and hands each result to `onResult`
 * in team order, awaiting it before the next (so a slow consumer, such as a file write,
 * holds the workers back instead of piling results up in memory).
 */
export async function runTeamsInOrder(
  job: TeamsJob,
  onResult: (result: WorkerTeamResult) => void | Promise<void>,
): Promise<void> {
  const { spec, seed, teams, threads, collectEvents, asText } = job;
  if (threads === 0) {
    for (let team = 0; team < teams; team++) {
      const result = await runOneTeam(spec, { seed, team, collectEvents, timelines: team === 0 });
      await onResult(asText ? { ...result, lines: [], text: joinLines(result.lines) } : result);
    }
    return;
  }
  const pool = poolFor(threads);
  const queue = batches(teams, threads);
  // Submitted batches, oldest first (a Map keeps insertion order).
  const inFlight = new Map<number, Promise<WorkerTeamResult[]>>();
  const submit = (): void => {
    const next = queue.next();
    if (next.done) return;
    const [team, count] = next.value;
    const task: TeamTask = { spec, seed, team, count, collectEvents, timelinesFor: 0, asText };
    const promise = pool.run(task);
    // Handled here so a later batch failing while an older one is awaited is not reported as
    // unhandled; the loop below still awaits (and throws) it in turn.
    promise.catch(() => {});
    inFlight.set(team, promise);
  };
  for (let i = 0; i < threads * WINDOW_PER_THREAD; i++) submit();
  while (inFlight.size > 0) {
    const [first, promise] = inFlight.entries().next().value as [
      number,
      Promise<WorkerTeamResult[]>,
    ];
    inFlight.delete(first);
    const results = await promise;
    submit();
    for (const result of results) await onResult(result);
  }
}
