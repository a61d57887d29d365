/**
 * An agent event through the actor against a bare xstate send. An agent event is what the
 * runtime does on every move of a run (lease -> model -> tools): one xstate `send` on the agent
 * machine, a read of the new state, the state-change hook (which checks whether anyone listens
 * for events: nobody here). The floor is `send` on a minimal two-state machine, one per event.
 * Both sides alternate between two states, so every send is a real transition.
 *
 * The agent machine's transitions are computed once per (state, event) and shared by every
 * agent (agent/machine.ts): its send skips xstate's per-event transition work (exit/entry sets,
 * transition domain, a new snapshot) that the bare machine's send still does, which is why the
 * agent side is far below the floor. The bench checks that every move really changed the state.
 */
import { createActor, setup } from 'xstate';
import { heading, measure, ratio, table } from './lib/harness.js';

// The lifecycle is core's internal (not a public export): imported from the built file.
const lifecycleUrl = new URL('../../packages/core/dist/agent/lifecycle.js', import.meta.url).href;

interface LifecycleModule {
  AGENT_EVENTS: Record<'CALL_MODEL' | 'RUN_TOOLS', { type: string }>;
  AgentLifecycle: new (
    onChange: (state: string) => void,
  ) => {
    move(event: { type: string }): void;
    readonly state: string;
    stop(): void;
  };
}

export default async function actorEvent(): Promise<void> {
  heading('An agent event through the actor vs a bare xstate send');
  const { AGENT_EVENTS, AgentLifecycle } = (await import(lifecycleUrl)) as LifecycleModule;

  const toggle = setup({}).createMachine({
    initial: 'a',
    states: { a: { on: { NEXT: 'b' } }, b: { on: { NEXT: 'a' } } },
  });
  const bare = createActor(toggle).start();
  const next = { type: 'NEXT' } as const;

  const listening = { active: false };
  let changes = 0;
  const lifecycle = new AgentLifecycle(() => {
    changes++;
    if (listening.active) throw new Error('nobody listens in this benchmark');
  });
  // Into a running turn: idle -> callingModel, then alternate callingModel <-> runningTools.
  lifecycle.move(AGENT_EVENTS.CALL_MODEL);
  const { CALL_MODEL, RUN_TOOLS } = AGENT_EVENTS;
  const changesBefore = changes;
  let moves = 0;

  const timings = await measure({
    'bare xstate send (2 events)': () => {
      bare.send(next);
      bare.send(next);
    },
    'agent event through the actor (2 events)': () => {
      lifecycle.move(RUN_TOOLS);
      lifecycle.move(CALL_MODEL);
      moves += 2;
    },
  });
  const floor = timings['bare xstate send (2 events)'];
  const agent = timings['agent event through the actor (2 events)'];
  if (floor === undefined || agent === undefined) throw new Error('missing timing');
  // Every move must have been a real state change, seen by the state-change hook.
  if (lifecycle.state !== 'callingModel' || moves === 0 || changes - changesBefore !== moves)
    throw new Error(`the agent actor did not move: ${changes - changesBefore} of ${moves}`);
  table([floor, agent]);
  // Medians: on a shared 2-core machine a few descheduled samples move the means of sub-µs
  // tasks by more than the difference being measured.
  ratio('agent event / bare xstate send (median)', agent.p50Us / floor.p50Us, { max: 2 });
  ratio('agent event / bare xstate send (mean, informational)', agent.meanUs / floor.meanUs);
  bare.stop();
  lifecycle.stop();
}
