import { createActor } from 'xstate';
import type { AgentState } from '../events/team-events.js';
import { type ChartEntry, chartStart, chartStep, runAction, stateOf } from './chart-table.js';
import {
  type AgentActor,
  type AgentEffects,
  type AgentEvent,
  type AgentInspector,
  type AgentMachineInput,
  agentMachine,
  type WhenBusy,
} from './machine.js';
import { asTroupeError } from './run.js';

/**
 * An agent's statechart at work, and the state it shows. Two engines with one behaviour:
 *
 * - without an inspection observer, the chart's transitions come from a table derived once per
 *   process from the machine through xstate's pure `transition` (chart-table.ts): a transition
 *   is a map lookup, and the actions run through the machine's own implementations;
 * - with one (`createTeam({ inspect })`), a real `createActor(agentMachine, { inspect })`, so
 *   xstate's inspection sees every event and snapshot.
 *
 * Either way, events sent while the chart is processing (an effect whose outcome is known at
 * once) wait their turn, as in xstate's own mailbox; the state is reported once the outermost
 * send returns, so a lease granted at once never shows `waitingForLease`. While an effect runs,
 * `state` is the state that effect belongs to.
 */
export class ActorHost {
  readonly #input: AgentMachineInput;
  readonly #inspect: AgentInspector | undefined;
  readonly #onChange: (state: AgentState) => void;
  #actor: AgentActor | undefined;
  /** Table engine: the current state's key, and events waiting while the chart processes. */
  #key = 'idle';
  #final = false;
  #queue: AgentEvent[] = [];
  #state: AgentState = 'idle';
  #reported: AgentState = 'idle';
  #depth = 0;

  constructor(
    effects: AgentEffects,
    whenBusy: WhenBusy,
    inspect: AgentInspector | undefined,
    onChange: (state: AgentState) => void,
  ) {
    this.#input = { effects, whenBusy };
    this.#inspect = inspect;
    this.#onChange = onChange;
    this.start();
  }

  get state(): AgentState {
    return this.#state;
  }

  /** An effect entered its state (shown by `state` at once, reported when the chart settles). */
  enter(state: AgentState): void {
    this.#state = state;
  }

  /** False once the chart reached its final state (failed) or was stopped. */
  get active(): boolean {
    if (this.#actor !== undefined) return this.#actor.getSnapshot().status === 'active';
    return !this.#final;
  }

  /** A new chart in its initial state (after a failure: a restart). */
  start(): void {
    this.#depth++;
    try {
      if (this.#inspect !== undefined) this.#startActor();
      else {
        this.#final = false;
        this.#queue = [];
        this.#key = 'idle';
        this.#apply(chartStart(this.#input.whenBusy, this.#input.effects), undefined);
        this.#drain();
      }
    } finally {
      this.#depth--;
    }
    if (this.#depth === 0) this.#report();
  }

  send(event: AgentEvent): void {
    this.#depth++;
    try {
      if (this.#actor !== undefined) {
        // A stopped or final actor takes no more events (xstate would only warn).
        if (this.#actor.getSnapshot().status === 'active') this.#actor.send(event);
      } else if (!this.#final) {
        this.#queue.push(event);
        // The outermost send processes; one sent by an effect meanwhile waits its turn.
        if (this.#depth === 1) this.#drain();
      }
    } finally {
      this.#depth--;
    }
    if (this.#depth === 0) this.#report();
  }

  stop(): void {
    if (this.#actor !== undefined) this.#actor.stop();
    this.#final = true;
    this.#queue = [];
  }

  #drain(): void {
    const { effects, whenBusy } = this.#input;
    while (this.#queue.length > 0 && !this.#final) {
      const event = this.#queue.shift()!;
      this.#apply(chartStep(this.#key, whenBusy, event, effects), event);
    }
  }

  /** Moves to the entry's state, then runs its actions (as xstate does after a macrostep). */
  #apply(entry: ChartEntry, event: AgentEvent | undefined): void {
    this.#key = entry.next;
    this.#state = entry.state;
    this.#final = entry.final;
    const actions = entry.actions;
    const input = this.#input;
    for (let i = 0; i < actions.length; i++) {
      try {
        runAction(actions[i]!, input, event!);
      } catch (error) {
        // An effect that throws fails the run (as a model or tool failure would), once.
        if (event?.type === 'FAIL') throw error;
        this.#queue.push({ type: 'FAIL', error: asTroupeError('agent', error) });
        return;
      }
    }
  }

  #startActor(): void {
    const actor = createActor(agentMachine, { input: this.#input, inspect: this.#inspect! });
    this.#actor = actor;
    actor.start();
  }

  #report(): void {
    const state =
      this.#actor !== undefined
        ? stateOf(this.#actor.getSnapshot().value)
        : this.#final
          ? 'failed'
          : this.#state;
    this.#state = state;
    if (state === this.#reported) return;
    this.#reported = state;
    this.#onChange(state);
  }
}
