/**
 * What the agent actor costs a run, through the public API, against bare xstate actors of the
 * same shape doing the same moves.
 *
 * - Troupe: `team.send(agent, input)` on an inline team, for an agent whose model answers with
 *   a final text at once (one turn, no tools): the message reaches the agent's actor, the run
 *   takes a limiter lease (no rules), calls the model, records the answer and settles.
 * - plain: a bare xstate actor with the agent's lifecycle shape (idle, waitingForLease,
 *   callingModel, runningTools, done, failed), `createActor(machine)` and `send` as xstate
 *   ships them. A run: send CALL_MODEL, await the model, send FINISH, read the state.
 * - table: the same moves on `createActor(fromTransition(...))` whose transitions are a lookup
 *   table derived once from the machine through xstate's public pure `initialTransition` /
 *   `transition`: what an actor that memoizes its transitions pays.
 *
 * All three call the same async model function, so the differences are what each adds around
 * it. The goal compares both plain: Troupe's agent is an xstate statechart run by a plain actor
 * (no patched machine). If Troupe's actor ever serves its transitions from a derived table, the
 * like-with-like figure is the table line, printed beside it. An agent keeps its history
 * across runs, so the timed agent is replaced every {@link ROTATE_EVERY} runs (stop + spawn are
 * timed), as in the agent-step suite.
 */
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  type Model,
  type ModelResponse,
  systemClock,
} from '@troupe/core';
import { createActor, fromTransition, initialTransition, setup, transition } from 'xstate';
import { figure, fmtUs, heading, measure, ratio, table } from './lib/harness.js';

const ROTATE_EVERY = 256;
/** A one-turn run through the team within this many times a plain xstate actor's run. */
const GOAL = 5;
const ANSWER = 'done';

type LifecycleEvent =
  | { readonly type: 'WAIT_LEASE' }
  | { readonly type: 'CALL_MODEL' }
  | { readonly type: 'RUN_TOOLS' }
  | { readonly type: 'FINISH' }
  | { readonly type: 'STOP_RUN' }
  | { readonly type: 'FAIL' };

/** The agent's lifecycle shape as a bare machine: no context, no actions, plain xstate. */
const lifecycle = setup({ types: { events: {} as LifecycleEvent } }).createMachine({
  id: 'bare-agent',
  initial: 'idle',
  states: {
    idle: { on: { WAIT_LEASE: 'waitingForLease', CALL_MODEL: 'callingModel', FAIL: 'failed' } },
    waitingForLease: { on: { CALL_MODEL: 'callingModel', STOP_RUN: 'idle', FAIL: 'failed' } },
    callingModel: {
      on: { RUN_TOOLS: 'runningTools', FINISH: 'done', STOP_RUN: 'idle', FAIL: 'failed' },
    },
    runningTools: {
      on: {
        WAIT_LEASE: 'waitingForLease',
        CALL_MODEL: 'callingModel',
        FINISH: 'done',
        STOP_RUN: 'idle',
        FAIL: 'failed',
      },
    },
    done: { on: { WAIT_LEASE: 'waitingForLease', CALL_MODEL: 'callingModel', FAIL: 'failed' } },
    failed: { type: 'final' },
  },
});

/**
 * The machine's transitions as a table (state -> event type -> next state), derived through
 * xstate's public pure functions by walking every state the machine can reach.
 */
function transitionTable(): Map<string, Map<string, string>> {
  const types: LifecycleEvent['type'][] = [
    'WAIT_LEASE',
    'CALL_MODEL',
    'RUN_TOOLS',
    'FINISH',
    'STOP_RUN',
    'FAIL',
  ];
  const table = new Map<string, Map<string, string>>();
  const [initial] = initialTransition(lifecycle);
  const queue = [initial];
  while (queue.length > 0) {
    const snapshot = queue.pop();
    if (snapshot === undefined) break;
    const from = String(snapshot.value);
    if (table.has(from)) continue;
    const row = new Map<string, string>();
    table.set(from, row);
    if (snapshot.status !== 'active') continue;
    for (const type of types) {
      const [next] = transition(lifecycle, snapshot, { type });
      row.set(type, String(next.value));
      queue.push(next);
    }
  }
  return table;
}

/** The model all sides call: async, answers at once. */
async function reply(): Promise<string> {
  return ANSWER;
}

const USAGE = { inputTokens: 10, outputTokens: 5 } as const;

const model: Model = {
  id: 'instant',
  async generate(): Promise<ModelResponse> {
    return { text: await reply(), toolCalls: [], usage: USAGE, stopReason: 'end' };
  },
};

export default async function actorEvent(): Promise<void> {
  heading('A one-turn run through the team vs bare xstate actors making the same moves');
  const moves = transitionTable();
  const memoized = createActor(
    fromTransition(
      (state: string, event: LifecycleEvent) => moves.get(state)?.get(event.type) ?? state,
      String(initialTransition(lifecycle)[0].value),
    ),
  ).start();
  const plain = createActor(lifecycle).start();
  const CALL_MODEL = { type: 'CALL_MODEL' } as const;
  const FINISH = { type: 'FINISH' } as const;
  let bareRuns = 0;
  const tableRun = async (): Promise<void> => {
    memoized.send(CALL_MODEL);
    const text = await reply();
    memoized.send(FINISH);
    if (memoized.getSnapshot().context !== 'done' || text !== ANSWER) {
      throw new Error('table run broke');
    }
    bareRuns++;
  };
  const plainRun = async (): Promise<void> => {
    plain.send(CALL_MODEL);
    const text = await reply();
    plain.send(FINISH);
    if (plain.getSnapshot().value !== 'done' || text !== ANSWER) throw new Error('plain run broke');
    bareRuns++;
  };

  const clock = systemClock;
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
    placement: 'inline',
  });
  const agent = defineAgent({ name: 'echo', instructions: 'Answer.', model });
  let spawned = 0;
  let current = '';
  let runsOnCurrent = ROTATE_EVERY;
  const troupeRun = async (): Promise<void> => {
    if (runsOnCurrent++ >= ROTATE_EVERY) {
      if (current !== '') await team.stop(current);
      current = `echo-${spawned++}`;
      await team.spawn(agent, { name: current });
      runsOnCurrent = 1;
    }
    const result = await team.send(current, 'go');
    if (result.status !== 'completed' || result.text !== ANSWER || result.turns !== 1) {
      throw new Error(`troupe run ended ${result.status} after ${result.turns} turns`);
    }
  };
  // Each runs once before timing: the checks above hold.
  await tableRun();
  await plainRun();
  await troupeRun();

  const timings = await measure({
    'plain xstate actor (createActor(machine))': plainRun,
    'xstate actor, table transitions (fromTransition)': tableRun,
    'troupe team.send': troupeRun,
  });
  const plainTiming = timings['plain xstate actor (createActor(machine))'];
  const tableTiming = timings['xstate actor, table transitions (fromTransition)'];
  const troupe = timings['troupe team.send'];
  if (tableTiming === undefined || plainTiming === undefined || troupe === undefined) {
    throw new Error('missing timing');
  }
  if (bareRuns === 0) throw new Error('the bare actors never ran');
  table([plainTiming, tableTiming, troupe]);
  figure(
    'medians per one-turn run',
    `plain ${fmtUs(plainTiming.p50Us)}, table ${fmtUs(tableTiming.p50Us)}, troupe ${fmtUs(troupe.p50Us)}`,
  );
  figure(
    'troupe overhead per run over the plain actor (medians)',
    fmtUs(troupe.p50Us - plainTiming.p50Us),
  );
  // Medians: on a shared 2-core machine a few descheduled samples move the means of µs tasks.
  ratio(
    'one-turn run: troupe team.send / plain xstate actor (median)',
    troupe.p50Us / plainTiming.p50Us,
    { max: GOAL },
  );
  ratio(
    'one-turn run: troupe team.send / table-transition xstate actor (median, informational)',
    troupe.p50Us / tableTiming.p50Us,
  );
  memoized.stop();
  plain.stop();
  await team.close();
}
