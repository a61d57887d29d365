import type { RunResult, SimulatedClock, Team } from '@troupe/core';

/** Why a simulated team-module run stopped. */
export type DriveOutcome = 'idle' | 'max-time' | 'max-model-calls' | 'no-progress';

/** Let every pending promise hop run: no simulated time passes, so the log is unchanged. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Gives `to` the task and moves the simulated clock until the team is quiet, or a stop rule
 * fires. This is the one place that decides "the team is done" and how messages between
 * agents make them run.
 *
 * With the message-driven runtime (`team.idle()` exists), a message to an agent's mailbox
 * starts its run, and the team is quiet when `team.idle()` resolves: every mailbox empty, no
 * run in flight, no delivery pending. On a simulated clock that only happens while something
 * advances time, so the loop below settles the team, looks whether `idle()` has resolved, and
 * otherwise advances the clock to the next timer.
 *
 * Before that runtime (no `team.idle`), agents ran only when sent something: then each
 * `post_message` to an agent becomes a `team.send` to that agent once it is idle, in arrival
 * order, and the team is quiet when every run this driver started has ended.
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
  let quiet = false;
  let watching = false;
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
  /** Watches for the runtime's quiescence: one `idle()` at a time, re-armed after work resumes. */
  const watchIdle = () => {
    if (!runtimeDelivers || watching) return;
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
      deliver(team, mail, send);
      if (inFlight > 0) await team.settled();
      if (runtimeDelivers) {
        watchIdle();
        await flush();
        // (`failure` may have been set by the idle watch during the flush.)
        if (failure) throw (failure as { error: unknown }).error;
        if (quiet && first !== undefined && inFlight === 0) return { outcome: 'idle', first };
        quiet = false;
      } else if (first !== undefined && inFlight === 0 && mail.length === 0) {
        return { outcome: 'idle', first };
      }
      const next = clock.nextDue();
      if (next === undefined) {
        // Nothing due on the clock: a run's result settles a few promise hops after its last
        // event, so look again (no simulated time passes); otherwise what is pending can
        // never finish.
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
  } finally {
    off();
  }
}

/** Before the message-driven runtime: hands waiting messages to idle addressees, oldest first. */
function deliver(
  team: Team,
  mail: { to: string; from: string }[],
  send: (name: string, message: string) => void,
): void {
  for (let i = 0; i < mail.length; ) {
    const { to, from } = mail[i]!;
    const state = team.agent(to)?.state;
    if (state === undefined || state === 'failed') mail.splice(i, 1);
    else if (state === 'idle' || state === 'done') {
      mail.splice(i, 1);
      send(to, `New message from ${from} in your inbox: read it with wait_messages.`);
    } else i++;
  }
}
