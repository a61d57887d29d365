import { type ActorRefFrom, createActor, setup } from 'xstate';
import type { AgentState } from '../events/team-events.js';

/** Events the agent runtime sends its actor as a run moves on. */
export type AgentMachineEvent =
  | { readonly type: 'WAIT_LEASE' }
  | { readonly type: 'CALL_MODEL' }
  | { readonly type: 'RUN_TOOLS' }
  | { readonly type: 'FINISH' }
  | { readonly type: 'STOP_RUN' }
  | { readonly type: 'FAIL' };

/**
 * The agent's lifecycle as an xstate v5 machine: it alone decides which moves are legal and
 * what state the agent is in. The runtime does the effects (lease, model call, tools) and sends
 * an event per move; the machine keeps no per-step context, so a send allocates nothing beyond
 * xstate's own snapshot. A lease granted at once skips `waitingForLease`.
 *
 * ```
 * idle/done ──WAIT_LEASE──▶ waitingForLease ──CALL_MODEL──▶ callingModel ──RUN_TOOLS──▶ runningTools
 *     │                                                      ▲   │ FINISH                 │
 *     └─────────────────────CALL_MODEL───────────────────────┘   ▼                        │
 *                                              done ◀──FINISH────┴───── CALL_MODEL/WAIT ◀─┘
 * any busy state ──STOP_RUN (interrupt, cancel)──▶ idle;  any ──FAIL──▶ failed (final)
 * ```
 */
export const agentMachine = setup({
  types: { events: {} as AgentMachineEvent },
}).createMachine({
  id: 'agent',
  initial: 'idle',
  // FAIL is listed in every state rather than once on the root: a transition whose source is the
  // leaf state resolves faster in xstate than one found on an ancestor.
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

type AgentSnapshot = ReturnType<typeof agentMachine.getInitialSnapshot>;
type Transition = typeof agentMachine.transition;

// The machine has no context, guards, actions or children, so the snapshot a transition yields
// depends only on (state, event type): each is computed once by xstate's own macrostep and then
// shared by every agent (snapshots are immutable). A send still goes through the actor (mailbox,
// logic.transition, observers, inspection); it just no longer recomputes exit/entry sets, the
// transition domain and a fresh snapshot per event (about 2 µs of every move). A final
// snapshot (`failed`) is never shared: the actor stops itself with it.
const computeTransition: Transition = agentMachine.transition.bind(agentMachine);
const memo = new Map<unknown, Map<string, AgentSnapshot>>();
agentMachine.transition = (snapshot, event, scope) => {
  let byEvent = memo.get(snapshot.value);
  const cached = byEvent?.get(event.type);
  if (cached !== undefined && snapshot.status === 'active') return cached;
  const next = computeTransition(snapshot, event, scope);
  if (snapshot.status === 'active' && next.status === 'active') {
    if (byEvent === undefined) {
      byEvent = new Map();
      memo.set(snapshot.value, byEvent);
    }
    byEvent.set(event.type, next);
  }
  return next;
};

// The initial snapshot likewise depends on nothing (no context, input or entry actions): made
// once, it saves every spawn xstate's initial microstep.
const computeInitial = agentMachine.getInitialSnapshot.bind(agentMachine);
let initial: AgentSnapshot | undefined;
agentMachine.getInitialSnapshot = (scope, input) => {
  initial ??= computeInitial(scope, input);
  return initial;
};

/** A running agent actor. */
export type AgentActor = ActorRefFrom<typeof agentMachine>;

/** Starts a root actor for one agent: never a child of a shared parent (spawning is quadratic). */
export function startAgentActor(): AgentActor {
  const actor = createActor(agentMachine);
  actor.start();
  return actor;
}

/** The actor's state as the public {@link AgentState}. */
export function actorState(actor: AgentActor): AgentState {
  return actor.getSnapshot().value as AgentState;
}
