import type { RunResult, SimulatedClock, Team } from '@troupe/core';

/** Why a simulated team-module run stopped. */
export type DriveOutcome = 'idle' | 'max-time' | 'max-model-calls' | 'no-progress';

/**
 * Gives `to` the task and moves the simulated clock until the team is quiet: no run in flight,
 * no message waiting for its addressee, and no agent busy. This is the one place that decides
 * "the team is done" and how messages between agents make them run.
 *
 * Today's runtime does not yet start an agent's run when a message reaches its mailbox, so
 * this function does it: each `post_message` to an agent becomes a `team.send` to that agent
 * once it is idle (in arrival order). When the message-driven actors land (`team.idle()`,
 * mailboxes that wake agents: detected below by `team.idle` existing), the runtime delivers
 * messages itself and this shim is skipped; the loop stays, since on a simulated clock
 * something must still advance time while the team waits on it.
 */
export async function runUntilQuiet(
  team: Team,
  clock: SimulatedClock,
  to: string,
  task: string,
  stop: { maxSimulatedMs: number; maxModelCalls: number },
  calls: { count: number },
): Promise<{ outcome: DriveOutcome; first: RunResult | undefined }> {
  const runtimeDelivers = typeof (team as { idle?: unknown }).idle === 'function';
  let first: RunResult | undefined;
  let failure: { error: unknown } | undefined;
  let inFlight = 0;
  const mail: { to: string; from: string }[] = [];
  let stalls = 0;
  const send = (name: string, message: string, onResult?: (r: RunResult) => void) => {
    inFlight++;
    team.send(name, message).then(
      (result) => {
        inFlight--;
        onResult?.(result);
      },
      (error: unknown) => {
        inFlight--;
        failure = { error };
      },
    );
  };
  const off = runtimeDelivers
    ? () => {}
    : team.on('message.posted', (e) => {
        if (e.to !== undefined && e.to !== e.agent) mail.push({ to: e.to, from: e.agent });
      });
  try {
    send(to, task, (result) => {
      first = result;
    });
    for (;;) {
      await team.settled();
      if (failure) throw failure.error;
      if (calls.count >= stop.maxModelCalls) return { outcome: 'max-model-calls', first };
      // Deliver waiting messages to agents that are idle now, oldest first.
      for (let i = 0; i < mail.length; ) {
        const { to: name, from } = mail[i]!;
        const state = team.agent(name)?.state;
        if (state === undefined || state === 'failed') mail.splice(i, 1);
        else if (state === 'idle' || state === 'done') {
          mail.splice(i, 1);
          send(name, `New message from ${from} in your inbox: read it with wait_messages.`);
        } else i++;
      }
      if (inFlight > 0) await team.settled();
      // Busy: a run this driver started has not ended. (An agent's visible state is not used:
      // after a supervisor restart it can show a lease wait with no run behind it.)
      const busy = inFlight > 0;
      if (first !== undefined && !busy && mail.length === 0) return { outcome: 'idle', first };
      const next = clock.nextDue();
      if (next === undefined) {
        // Nothing due on the clock: a delivery just made may still start work (one more look);
        // otherwise whatever is pending can never finish.
        // A run's result settles a few promise hops after its last event: let them all run
        // (no simulated time passes, so this changes nothing in the log) and look again.
        if ((busy || mail.length > 0) && ++stalls < 3) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        return { outcome: 'no-progress', first };
      }
      stalls = 0;
      if (next > stop.maxSimulatedMs) return { outcome: 'max-time', first };
      await clock.advance(next - clock.now());
    }
  } finally {
    off();
  }
}
