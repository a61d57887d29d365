import { type ActorRefFrom, type InspectionEvent, setup } from 'xstate';
import type { TroupeError } from '../errors.js';
import type { RunStatus } from '../events/team-events.js';
import type { Mail } from './mail.js';

/**
 * What a busy agent does with a new message: `'queue'` (default) keeps it for the next run, in
 * arrival order, every queued message in one turn; `'interrupt'` stops the run in progress and
 * starts a new one on the message; `'steer'` adds it to the running conversation before the next
 * model call.
 */
export type WhenBusy = 'queue' | 'interrupt' | 'steer';

/** Every busy policy, for validation. */
export const WHEN_BUSY: readonly WhenBusy[] = Object.freeze(['queue', 'interrupt', 'steer']);

/**
 * How a model answer looks to the statechart: tool calls to run, tool calls of which some wait
 * for a person's approval first, a final answer (valid, or structured output that must be
 * repaired or has failed for good).
 */
export type AnswerKind = 'tools' | 'approval' | 'final' | 'repair' | 'invalid';

/**
 * The events an agent's actor receives: messages from its mailbox, and the outcomes of the
 * effects the runtime carries out for it.
 */
export type AgentEvent =
  | { readonly type: 'MAIL'; readonly mails: readonly Mail[] }
  | { readonly type: 'LEASE_WAIT' }
  | { readonly type: 'LEASE_GRANTED' }
  | { readonly type: 'ANSWERED'; readonly kind: AnswerKind }
  | { readonly type: 'TOOLS_DONE'; readonly handedOff: boolean }
  /** Every call that waited for approval was approved or rejected: the tools run. */
  | { readonly type: 'APPROVALS_DONE' }
  /** A restored session was paused for approval: the agent pauses again. */
  | { readonly type: 'RESUME_PAUSED' }
  /** The run ends without a model answer: a lease that can never come, a bound, ... */
  | { readonly type: 'END'; readonly status: RunStatus; readonly error?: TroupeError }
  | { readonly type: 'CANCEL' }
  | { readonly type: 'FAIL'; readonly error: TroupeError };

/**
 * The effects the statechart orders. The runtime implements them in plain TypeScript and
 * reports each outcome back as an {@link AgentEvent}; it keeps the data (history, queue, the
 * run), the statechart alone decides what happens next.
 */
export interface AgentEffects {
  /** Starts a run on `mails` (their user messages go into history). */
  beginRun(mails: readonly Mail[]): void;
  /** Starts a run on every queued message. */
  beginQueuedRun(): void;
  /** A new turn: count it, then take a lease (`LEASE_GRANTED`, `LEASE_WAIT` or `END`). */
  requestLease(): void;
  /** Adds steered messages, then calls the model (`ANSWERED`, `FAIL`). */
  callModel(): void;
  /** Runs the answer's tool calls (`TOOLS_DONE`, `FAIL`). */
  runTools(): void;
  /** Announces the calls that wait for approval (`APPROVALS_DONE` once all are decided). */
  awaitApproval(): void;
  /** Takes up the run a restored session had paused for approval. */
  beginPausedRun(): void;
  /** A structured answer did not parse: tell the model why (the next turn repairs it). */
  askRepair(): void;
  /** Keeps messages for the next run. */
  enqueue(mails: readonly Mail[]): void;
  /** Keeps messages for the running conversation's next model call. */
  steer(mails: readonly Mail[]): void;
  /** Abandons the run in progress (`interrupted` or `cancelled`). */
  stopRun(status: 'interrupted' | 'cancelled'): void;
  /** Ends the run with `status`. */
  endRun(status: RunStatus, error?: TroupeError): void;
  /** The run failed: the supervisor decides what next. */
  failRun(error: TroupeError): void;
  /** Queued messages wait (an idle agent takes them at once). */
  hasQueued(): boolean;
  /** The run may make another model call (`maxTurns`). */
  turnsLeft(): boolean;
}

/** What an agent actor is started with. */
export interface AgentMachineInput {
  readonly effects: AgentEffects;
  readonly whenBusy: WhenBusy;
}

type Ctx = AgentMachineInput;
type Ev<T extends AgentEvent['type']> = Extract<AgentEvent, { type: T }>;

/**
 * An agent as an xstate v5 statechart. Mailbox messages and effect outcomes come in as events;
 * the chart decides what happens next (start a run, queue, steer or interrupt, call the model,
 * run tools, finish, fail) and orders the effects as actions. States:
 *
 * ```
 * idle/done ──MAIL──▶ waitingForLease ──LEASE_GRANTED──▶ callingModel ──ANSWERED(tools)──▶ runningTools
 *    ▲    (queued messages: a new run at once)  ▲           │ │ ANSWERED(approval)                 ▲  │
 *    │                                          │           │ └──▶ awaitingApproval ─APPROVALS_DONE┘  │
 *    │                                          │           │ ANSWERED(final|invalid)                │
 *    └──────────────── done ◀───────────────────┼───────── done     TOOLS_DONE (turns left) ─────────┘
 *                                               └── ANSWERED(repair) (structured output)
 * idle ──RESUME_PAUSED──▶ awaitingApproval (a restored session was paused for approval)
 * busy + MAIL: queue | steer | interrupt (whenBusy);  busy + CANCEL ──▶ idle;  FAIL ──▶ failed (final)
 * ```
 *
 * The context is the agent's policy and its effects, set once from the input and never
 * assigned: a transition allocates only xstate's own snapshot.
 */
export const agentMachine = setup({
  types: {
    context: {} as Ctx,
    input: {} as AgentMachineInput,
    events: {} as AgentEvent,
  },
  guards: {
    queueing: ({ context }) => context.whenBusy === 'queue',
    steering: ({ context }) => context.whenBusy === 'steer',
    hasQueued: ({ context }) => context.effects.hasQueued(),
    turnsLeft: ({ context }) => context.effects.turnsLeft(),
    wantsTools: ({ event }) => (event as Ev<'ANSWERED'>).kind === 'tools',
    wantsApproval: ({ event }) => (event as Ev<'ANSWERED'>).kind === 'approval',
    wantsRepair: ({ event }) => (event as Ev<'ANSWERED'>).kind === 'repair',
    invalidOutput: ({ event }) => (event as Ev<'ANSWERED'>).kind === 'invalid',
    handedOff: ({ event }) => (event as Ev<'TOOLS_DONE'>).handedOff,
  },
  actions: {
    beginRun: ({ context, event }) => context.effects.beginRun((event as Ev<'MAIL'>).mails),
    beginQueuedRun: ({ context }) => context.effects.beginQueuedRun(),
    requestLease: ({ context }) => context.effects.requestLease(),
    callModel: ({ context }) => context.effects.callModel(),
    runTools: ({ context }) => context.effects.runTools(),
    awaitApproval: ({ context }) => context.effects.awaitApproval(),
    beginPausedRun: ({ context }) => context.effects.beginPausedRun(),
    askRepair: ({ context }) => context.effects.askRepair(),
    enqueue: ({ context, event }) => context.effects.enqueue((event as Ev<'MAIL'>).mails),
    steer: ({ context, event }) => context.effects.steer((event as Ev<'MAIL'>).mails),
    interrupt: ({ context }) => context.effects.stopRun('interrupted'),
    cancel: ({ context }) => context.effects.stopRun('cancelled'),
    complete: ({ context }) => context.effects.endRun('completed'),
    maxTurns: ({ context }) => context.effects.endRun('max_turns'),
    handOff: ({ context }) => context.effects.endRun('handed_off'),
    invalidOutput: ({ context }) => context.effects.endRun('failed'),
    end: ({ context, event }) => {
      const { status, error } = event as Ev<'END'>;
      context.effects.endRun(status, error);
    },
    fail: ({ context, event }) => context.effects.failRun((event as Ev<'FAIL'>).error),
  },
}).createMachine({
  id: 'agent',
  context: ({ input }) => input,
  initial: 'idle',
  states: {
    idle: {
      always: { guard: 'hasQueued', target: 'busy.waitingForLease', actions: 'beginQueuedRun' },
      on: {
        MAIL: { target: 'busy.waitingForLease', actions: 'beginRun' },
        RESUME_PAUSED: { target: 'busy.awaitingApproval', actions: 'beginPausedRun' },
        FAIL: { target: 'failed', actions: 'fail' },
      },
    },
    done: {
      always: { guard: 'hasQueued', target: 'busy.waitingForLease', actions: 'beginQueuedRun' },
      on: {
        MAIL: { target: 'busy.waitingForLease', actions: 'beginRun' },
        FAIL: { target: 'failed', actions: 'fail' },
      },
    },
    busy: {
      initial: 'waitingForLease',
      on: {
        MAIL: [
          { guard: 'queueing', actions: 'enqueue' },
          { guard: 'steering', actions: 'steer' },
          { target: '.waitingForLease', reenter: true, actions: ['interrupt', 'beginRun'] },
        ],
        END: { target: 'done', actions: 'end' },
        CANCEL: { target: 'idle', actions: 'cancel' },
        FAIL: { target: 'failed', actions: 'fail' },
      },
      states: {
        waitingForLease: {
          entry: 'requestLease',
          on: { LEASE_GRANTED: 'callingModel' },
        },
        callingModel: {
          entry: 'callModel',
          on: {
            ANSWERED: [
              { guard: 'wantsTools', target: 'runningTools' },
              { guard: 'wantsApproval', target: 'awaitingApproval' },
              { guard: 'wantsRepair', target: 'waitingForLease', actions: 'askRepair' },
              { guard: 'invalidOutput', target: '#agent.done', actions: 'invalidOutput' },
              { target: '#agent.done', actions: 'complete' },
            ],
          },
        },
        awaitingApproval: {
          // No lease is held here: the model call's lease was settled when it answered.
          entry: 'awaitApproval',
          on: { APPROVALS_DONE: 'runningTools' },
        },
        runningTools: {
          entry: 'runTools',
          on: {
            TOOLS_DONE: [
              { guard: 'handedOff', target: '#agent.done', actions: 'handOff' },
              { guard: 'turnsLeft', target: 'waitingForLease' },
              { target: '#agent.done', actions: 'maxTurns' },
            ],
          },
        },
      },
    },
    failed: { type: 'final' },
  },
});

/** A running agent actor. */
export type AgentActor = ActorRefFrom<typeof agentMachine>;

/** Inspection observer of agent actors (the team's `inspect` option). */
export type AgentInspector = (event: InspectionEvent) => void;
