import { createActor } from 'xstate';
import type { AgentState } from '../events/team-events.js';
import {
  type AgentActor,
  type AgentEffects,
  type AgentEvent,
  type AgentInspector,
  agentMachine,
  type WhenBusy,
} from './machine.js';

function visibleState(actor: AgentActor): AgentState {
  const value = actor.getSnapshot().value;
  if (typeof value === 'string') return value as AgentState;
  return (value as { busy: AgentState }).busy;
}

/**
 * An agent's xstate actor and the state it shows. Events sent while the actor is processing
 * (an effect whose outcome is known at once) queue in xstate's own mailbox; the state is
 * reported once the outermost send returns, so a lease granted at once never shows
 * `waitingForLease`. While an effect runs, `state` is the state that effect belongs to.
 */
export class ActorHost {
  readonly #effects: AgentEffects;
  readonly #whenBusy: WhenBusy;
  readonly #inspect: AgentInspector | undefined;
  readonly #onChange: (state: AgentState) => void;
  #actor!: AgentActor;
  #state: AgentState = 'idle';
  #reported: AgentState = 'idle';
  #depth = 0;

  constructor(
    effects: AgentEffects,
    whenBusy: WhenBusy,
    inspect: AgentInspector | undefined,
    onChange: (state: AgentState) => void,
  ) {
    this.#effects = effects;
    this.#whenBusy = whenBusy;
    this.#inspect = inspect;
    this.#onChange = onChange;
    this.start();
  }

  get state(): AgentState {
    return this.#state;
  }

  /** An effect entered its state (shown by `state` at once, reported when the actor settles). */
  enter(state: AgentState): void {
    this.#state = state;
  }

  /** False once the actor reached its final state (failed) or was stopped. */
  get active(): boolean {
    return this.#actor.getSnapshot().status === 'active';
  }

  /** A new actor, made the agent's own before it starts (its start may already order effects). */
  start(): void {
    const inspect = this.#inspect;
    const actor = createActor(agentMachine, {
      input: { effects: this.#effects, whenBusy: this.#whenBusy },
      ...(inspect === undefined ? {} : { inspect }),
    });
    this.#actor = actor;
    this.#depth++;
    try {
      actor.start();
    } finally {
      this.#depth--;
    }
    if (this.#depth === 0) this.#report();
  }

  send(event: AgentEvent): void {
    this.#depth++;
    try {
      this.#actor.send(event);
    } finally {
      this.#depth--;
    }
    if (this.#depth === 0) this.#report();
  }

  stop(): void {
    this.#actor.stop();
  }

  #report(): void {
    const state = visibleState(this.#actor);
    this.#state = state;
    if (state === this.#reported) return;
    this.#reported = state;
    this.#onChange(state);
  }
}
