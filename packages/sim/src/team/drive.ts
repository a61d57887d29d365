import type { RunResult, SimulatedClock, Team } from '@troupe/core';

/** Why a simulated team-module run stopped. */
export type DriveOutcome = 'idle' | 'max-time' | 'max-model-calls' | 'no-progress';

/** Let every pending promise hop run: no simulated time passes, so the log is unchanged. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Gives `to` the task and moves the simulated clock until the team is quiet, or a stop rule
 * fires. This is the one place that decides "the team is done".
 *
 * A message to an agent's mailbox starts its run, and the team is quiet when `team.idle()`
 * resolves: every mailbox empty, no run in flight, no delivery pending. On a simulated clock
 * that only happens while something advances time, so the loop settles the team, looks whether
 * `idle()` has resolved, and otherwise advances the clock to the next timer.
 */
export async function runUntilQuiet(
  team: Team,
  clock: SimulatedClock,
  to: string,
  task: string,
  stop: { maxSimulatedMs: number; maxModelCalls: number },
  calls: { count: number },
): Promise<{ outcome: DriveOutcome; first: RunResult | undefined }> {
  let first: RunResult | undefined;
  let failure: { error: unknown } | undefined;
  let done = false;
  let quiet = false;
  let watching = false;
  let stalls = 0;
  team.send(to, task).then(
    (result) => {
      first = result;
      done = true;
    },
    (error: unknown) => {
      failure = { error };
    },
  );
  /** Watches for the runtime's quiescence: one `idle()` at a time, re-armed after work resumes. */
  const watchIdle = () => {
    if (watching) return;
    watching = true;
    team.idle().then(
      () => {
        watching = false;
        quiet = true;
      },
      (error: unknown) => {
        watching = false;
        failure = { error };
      },
    );
  };
  for (;;) {
    await team.settled();
    if (failure) throw failure.error;
    if (calls.count >= stop.maxModelCalls) return { outcome: 'max-model-calls', first };
    // While the task's own run is out, settle once more (the loop's shape is part of the log).
    if (!done) await team.settled();
    watchIdle();
    await flush();
    // (`failure` may have been set by the idle watch during the flush.)
    if (failure) throw (failure as { error: unknown }).error;
    if (quiet && done) return { outcome: 'idle', first };
    quiet = false;
    const next = clock.nextDue();
    if (next === undefined) {
      // Nothing due on the clock: a run's result settles a few promise hops after its last
      // event, so look again (no simulated time passes); otherwise what is pending can never
      // finish.
      if (++stalls < 3) {
        await flush();
        continue;
      }
      return { outcome: 'no-progress', first };
    }
    stalls = 0;
    if (next > stop.maxSimulatedMs) return { outcome: 'max-time', first };
    await clock.advance(next - clock.now());
  }
}
