import { initialTransition, transition } from 'xstate';
import type { AgentState } from '../events/team-events.js';
import {
  type AgentEffects,
  type AgentEvent,
  type AgentMachineInput,
  agentMachine,
  type WhenBusy,
} from './machine.js';

/**
 * The agent statechart's transitions as a lookup table, derived from the machine itself through
 * xstate's public pure `transition` function and shared by every agent of the process.
 *
 * A transition depends only on the state, the event and what the chart's guards read: the
 * event's fields, the agent's `whenBusy`, and two pure queries of its effects (`hasQueued`,
 * `turnsLeft`). So the key is those, and an entry is the next state plus the names of the
 * actions xstate would execute, in its order. On a miss, xstate computes the transition on a
 * snapshot of that state whose effects only answer the guards' queries (no action runs); on a
 * hit, the actions run against the real agent through the machine's own implementations
 * (`agentMachine.implementations.actions`). The machine is never patched.
 */
export interface ChartEntry {
  /** The next state's key (`idle`, `busy.callingModel`, ...). */
  readonly next: string;
  /** The state as the public `AgentState`. */
  readonly state: AgentState;
  /** True when the next state is final (`failed`): the chart stops. */
  readonly final: boolean;
  /** Names of the actions to run, in xstate's order. */
  readonly actions: readonly string[];
}

/** Event fields that are payload for actions, never read by a guard. */
const PAYLOAD = new Set(['type', 'mails', 'error']);

/**
 * The table, as a trie: one level per part of the key (state, whenBusy, event type, the two
 * guard answers, then each guard-read field's name and value in the event's order). A lookup
 * walks existing strings through maps instead of building a key string per event: the chart
 * takes several steps per model call, and that string was garbage every time.
 */
interface Node {
  entry: ChartEntry | undefined;
  children: Map<string, Node> | undefined;
}

const root: Node = { entry: undefined, children: undefined };
/** Start entries, by whenBusy then the queue's answer. */
const starts = new Map<string, ChartEntry>();
const values = new Map<string, unknown>();
const FLAGS = ['00', '01', '10', '11'] as const;

function child(node: Node, label: string): Node {
  let next = node.children?.get(label);
  if (next === undefined) {
    next = { entry: undefined, children: undefined };
    node.children ??= new Map();
    node.children.set(label, next);
  }
  return next;
}

function keyOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const [[parent, child]] = Object.entries(value as Record<string, unknown>) as [[string, unknown]];
  return `${parent}.${keyOf(child)}`;
}

/** A chart state value (`'idle'`, `{ busy: 'callingModel' }`) as the public `AgentState`. */
export function stateOf(value: unknown): AgentState {
  if (typeof value === 'string') return value as AgentState;
  return stateOf(Object.values(value as Record<string, unknown>)[0]);
}

const noop = (): void => {};

/**
 * Effects that answer the guards' queries from given values and do nothing else (the pure
 * transition runs no action; any effect the chart names is a no-op here).
 */
function probeEffects(queued: boolean, turnsLeft: boolean): AgentEffects {
  return new Proxy({} as AgentEffects, {
    get: (_target, name) =>
      name === 'hasQueued' ? () => queued : name === 'turnsLeft' ? () => turnsLeft : noop,
  });
}

/** The table entry for `event` in state `key`, computed by xstate on the first use. */
export function chartStep(
  key: string,
  whenBusy: WhenBusy,
  event: AgentEvent,
  effects: AgentEffects,
): ChartEntry {
  const queued = effects.hasQueued();
  const turnsLeft = effects.turnsLeft();
  let node = child(child(child(root, key), whenBusy), event.type);
  node = child(node, FLAGS[(queued ? 2 : 0) + (turnsLeft ? 1 : 0)]!);
  for (const field in event) {
    if (!PAYLOAD.has(field))
      node = child(child(node, field), String((event as Record<string, unknown>)[field]));
  }
  node.entry ??= derive(key, whenBusy, event, queued, turnsLeft);
  return node.entry;
}

/** The chart's start: its initial state, after the eventless transitions it takes at once. */
export function chartStart(whenBusy: WhenBusy, effects: AgentEffects): ChartEntry {
  const queued = effects.hasQueued();
  const lookup = queued ? `${whenBusy}|1` : whenBusy;
  let entry = starts.get(lookup);
  if (entry === undefined) {
    const input: AgentMachineInput = { effects: probeEffects(queued, false), whenBusy };
    const [first, actions] = initialTransition(agentMachine, input);
    entry = entryOf(first.value, first.status, actions);
    starts.set(lookup, entry);
  }
  return entry;
}

function derive(
  key: string,
  whenBusy: WhenBusy,
  event: AgentEvent,
  queued: boolean,
  turnsLeft: boolean,
): ChartEntry {
  const input: AgentMachineInput = { effects: probeEffects(queued, turnsLeft), whenBusy };
  const snapshot = agentMachine.resolveState({ value: values.get(key) as never, context: input });
  const [next, actions] = transition(agentMachine, snapshot, event);
  return entryOf(next.value, next.status, actions);
}

function entryOf(
  value: unknown,
  status: string,
  actions: readonly { readonly type: string }[],
): ChartEntry {
  const next = keyOf(value);
  values.set(next, value);
  return Object.freeze({
    next,
    state: stateOf(value),
    final: status !== 'active',
    actions: Object.freeze(actions.map((action) => action.type)),
  });
}

type ActionImpl = (args: { context: AgentMachineInput; event: AgentEvent }) => void;

/** Runs one of the machine's own action implementations against a real agent. */
export function runAction(name: string, context: AgentMachineInput, event: AgentEvent): void {
  const impl = (agentMachine.implementations.actions as Record<string, unknown>)[name] as
    | ActionImpl
    | undefined;
  if (impl === undefined) throw new Error(`agent chart: no action named "${name}"`);
  impl({ context, event });
}
