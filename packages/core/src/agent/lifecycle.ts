import type { AgentState } from '../events/team-events.js';
import { type AgentActor, type AgentMachineEvent, actorState, startAgentActor } from './machine.js';

/** The lifecycle events, frozen once: sending one allocates nothing on our side. */
export const AGENT_EVENTS = Object.freeze({
  WAIT_LEASE: Object.freeze({ type: 'WAIT_LEASE' } as const),
  CALL_MODEL: Object.freeze({ type: 'CALL_MODEL' } as const),
  RUN_TOOLS: Object.freeze({ type: 'RUN_TOOLS' } as const),
  FINISH: Object.freeze({ type: 'FINISH' } as const),
  STOP_RUN: Object.freeze({ type: 'STOP_RUN' } as const),
  FAIL: Object.freeze({ type: 'FAIL' } as const),
});

/**
 * An agent's actor and the state it is in: every move is one xstate `send`, then a read of the
 * new state, and `onChange` only when the state actually changed. This is the whole cost an
 * agent event adds on top of xstate (measured by benchmarks/src/actor-event.bench.ts).
 */
export class AgentLifecycle {
  #actor: AgentActor;
  #state: AgentState;
  readonly #onChange: (state: AgentState) => void;

  constructor(onChange: (state: AgentState) => void) {
    this.#onChange = onChange;
    this.#actor = startAgentActor();
    this.#state = actorState(this.#actor);
  }

  get state(): AgentState {
    return this.#state;
  }

  move(event: AgentMachineEvent): void {
    this.#actor.send(event);
    const state = this.#actor.getSnapshot().value as AgentState;
    if (state === this.#state) return;
    this.#state = state;
    this.#onChange(state);
  }

  /** A fresh actor (after a failure). */
  restart(): void {
    this.#actor.stop();
    this.#actor = startAgentActor();
    const state = actorState(this.#actor);
    if (state === this.#state) return;
    this.#state = state;
    this.#onChange(state);
  }

  stop(): void {
    this.#actor.stop();
  }
}
