import type { SimulatedClock, Team } from '@troupe/core';
import type { Scenario } from '../scenario.js';
import type { Board } from './board.js';
import type { TeamRunResult } from './run-team.js';

/**
 * Moves the simulated clock, timer by timer, until the team's run ends: every driver stopped
 * (the board complete, else no progress), the model-call budget spent, nothing left on the
 * clock, or the next timer past the time limit. Between steps the team settles, so every event
 * of a simulated instant is in the log before the clock moves on.
 */
export async function runUntilStopped(
  team: Team,
  clock: SimulatedClock,
  drivers: Promise<unknown>,
  world: { board: Board; calls: { count: number }; stop: Scenario['stop'] },
): Promise<TeamRunResult['finish']> {
  let driversDone = false;
  let driverFailure: { error: unknown } | undefined;
  drivers.then(
    () => {
      driversDone = true;
    },
    (error: unknown) => {
      driverFailure = { error };
      driversDone = true;
    },
  );
  const { board, calls, stop } = world;
  // The team settles once here; after that, `clock.advance` itself lets every promise
  // continuation run after each timer it fires (an inline team is all continuations), so a
  // `team.settled()` per step would only add a macrotask turn (and its garbage) per timer.
  await team.settled();
  for (;;) {
    // A driver only throws on a bug (team.send resolves every agent fault as a value).
    if (driverFailure) throw driverFailure.error;
    if (driversDone) return board.complete ? 'work-done' : 'no-progress';
    if (calls.count >= stop.maxModelCalls) return 'max-model-calls';
    const next = clock.nextDue();
    if (next === undefined) return 'no-progress';
    if (next > stop.maxSimulatedMs) return 'max-time';
    await clock.advance(next - clock.now());
  }
}
