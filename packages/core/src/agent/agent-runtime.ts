import { createActor } from 'xstate';
import type { AcquireResult, LimiterBackend } from '../backends.js';
import type { Clock } from '../clock.js';
import { abortedError, isTroupeError, TroupeError } from '../errors.js';
import {
  type AgentState,
  type EventSink,
  type RunStatus,
  sinkWants,
} from '../events/team-events.js';
import { createRng } from '../ids.js';
import type { ChatMessage, ToolSpec } from '../model.js';
import { DerivedState } from '../session/derived.js';
import type { ContextUpdate } from '../tools/context-update.js';
import { toolSpecs } from '../tools/schema-cache.js';
import type { Role, ToolSet } from '../tools/tool-set.js';
import type { AgentDefinition } from './define-agent.js';
import { DEFAULT_LEASE_TIMEOUT_MS, refusedForGood, waitForLease } from './lease.js';
import {
  type AgentActor,
  type AgentEffects,
  type AgentEvent,
  type AgentInspector,
  agentMachine,
  type WhenBusy,
} from './machine.js';
import { type Mail, mailMessage } from './mail.js';
import { ModelTurn } from './model-turn.js';
import { repairMessage } from './output.js';
import { cancelLease, closedResult, type Handoff, Run } from './run.js';
import type { RunResult } from './run-result.js';
import { ToolsTurn } from './tools-turn.js';
import { addTotals, newUsage, type UsageCounter } from './usage.js';

/** A run ended: whoever awaits its mails gets `result` (or, after a handoff, the next agent's). */
export interface RunEnd {
  readonly result: RunResult;
  /** The mailbox messages the run answered (or that were refused: a stopped or failed agent). */
  readonly mails: readonly Mail[];
  readonly handoff?: Handoff;
  /** An earlier run's result, given again to mails it turned out to answer (its usage is counted). */
  readonly again?: true;
}

/** What an agent reaches in its host (the team inline, proxies in a pool worker). */
export interface AgentEnv {
  readonly clock: Clock;
  readonly limiter: LimiterBackend;
  readonly events: EventSink;
  applyUpdates(
    context: Readonly<Record<string, unknown>>,
    updates: readonly ContextUpdate[],
  ): Record<string, unknown>;
  /** After every turn (persistence): history from `fromIndex` is new since the last call. */
  afterTurn?(agent: AgentRuntime, fromIndex: number): void;
  /** After every state change. */
  onState?(agent: AgentRuntime, state: AgentState): void;
  /** A run failed (the model or the runtime threw): the supervisor decides what next. */
  onFailure(agent: AgentRuntime, error: TroupeError): void;
  /** A run ended, or mails were refused: the team answers whoever awaits them. */
  onRunEnd(agent: AgentRuntime, end: RunEnd): void;
  /** A run took mailbox messages up to `seq` into history (pool hosts report it). */
  onTaken?(agent: AgentRuntime, seq: number): void;
  /** xstate's inspection observer, given to every agent actor (team option `inspect`). */
  readonly inspect?: AgentInspector | undefined;
}

/** How an agent is made: its definition, its name and role in the team, its tools. */
export interface AgentSpec {
  readonly name: string;
  readonly definition: AgentDefinition;
  readonly role: Role | undefined;
  readonly tools: ToolSet;
  readonly limiterKeys: readonly string[];
  /** Default: the definition's, else `'queue'`. */
  readonly whenBusy?: WhenBusy | undefined;
  /** Bound on one lease wait. Default: the definition's, else 10 minutes. */
  readonly leaseTimeoutMs?: number | undefined;
}

/** The context key where `wait_messages` keeps the last seq it took from the agent's own inbox. */
export const inboxCursorKey = (agent: string): string => `cursor:inbox:${agent}`;

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});
const GRANTED = Object.freeze({ type: 'LEASE_GRANTED' } as const);
const CANCEL = Object.freeze({ type: 'CANCEL' } as const);

function visibleState(actor: AgentActor): AgentState {
  const snapshot = actor.getSnapshot();
  const value = snapshot.value;
  if (typeof value === 'string') return value as AgentState;
  return (value as { busy: AgentState }).busy;
}

/**
 * One agent: its actor (the statechart of machine.ts, which decides), and the data and effects
 * it orders (history, context, usage, its mailbox queue; lease, model call, tools). Placement-
 * neutral: the team hosts it inline, a pool worker hosts it there. Messages arrive through
 * {@link deliver}; every run's end is reported through `env.onRunEnd`.
 */
export class AgentRuntime implements AgentEffects {
  readonly name: string;
  readonly definition: AgentDefinition;
  readonly role: Role | undefined;
  readonly tools: ToolSet;
  readonly limiterKeys: readonly string[];
  readonly whenBusy: WhenBusy;
  readonly leaseTimeoutMs: number;
  /** Every message of every run, append-only. */
  readonly history: ChatMessage[] = [];
  /** The agent's context, changed by tools' updates (and the mailbox cursor). */
  context: Readonly<Record<string, unknown>> = EMPTY;
  /** Totals over the agent's life (all runs). */
  readonly usage: UsageCounter = newUsage();
  restarts = 0;
  readonly env: AgentEnv;
  readonly specs: readonly ToolSpec[];
  readonly random: () => number;
  /** State derived from history (the definition's `derive`), kept current per message. */
  readonly #derived: DerivedState;
  readonly #cursorKey: string;
  #runs = 0;
  #savedUpTo = 0;
  /** Last mailbox seq taken into history as a user message. */
  #cursor = 0;
  #actor: AgentActor;
  #state: AgentState;
  #reported: AgentState;
  #depth = 0;
  #run: Run | undefined = undefined;
  #lastResult: RunResult | undefined = undefined;
  /** Mails for the next run, and mails for the running conversation's next model call. */
  #queue: Mail[] = [];
  #steered: Mail[] = [];
  /** Highest mailbox seq accepted (queued or handled): a redelivered mail is dropped. */
  #accepted = 0;
  #failedForGood = false;
  #stopped = false;
  /** The limiter answered asynchronously once: later turns go straight to `acquire`. */
  asyncLimiter = false;
  readonly #model: ModelTurn;
  readonly #toolsTurn: ToolsTurn;

  constructor(spec: AgentSpec, env: AgentEnv) {
    this.name = spec.name;
    this.definition = spec.definition;
    this.role = spec.role;
    this.tools = spec.tools;
    this.limiterKeys = spec.limiterKeys;
    this.whenBusy = spec.whenBusy ?? spec.definition.whenBusy ?? 'queue';
    this.leaseTimeoutMs =
      spec.leaseTimeoutMs ?? spec.definition.leaseTimeoutMs ?? DEFAULT_LEASE_TIMEOUT_MS;
    this.env = env;
    this.#cursorKey = inboxCursorKey(spec.name);
    this.random = createRng(`lease:${spec.name}`).next;
    this.#derived = new DerivedState(spec.definition.derive);
    this.specs = toolSpecs(spec.tools.list, spec.definition.model.toolFormat);
    this.#model = new ModelTurn(this);
    this.#toolsTurn = new ToolsTurn(this);
    this.#actor = this.#startActor();
    this.#state = visibleState(this.#actor);
    this.#reported = this.#state;
  }

  /** The actor's state. */
  get state(): AgentState {
    return this.#state;
  }

  /** True while a run is in progress. */
  get busy(): boolean {
    return this.#run !== undefined;
  }

  /** True when nothing is running or waiting to run. */
  get quiet(): boolean {
    return this.#run === undefined && (this.#queue.length === 0 || this.#failedForGood);
  }

  /** Number of runs started. */
  get runs(): number {
    return this.#runs;
  }

  /** The run in progress (effects modules act on it). */
  get currentRun(): Run | undefined {
    return this.#run;
  }

  /** Last mailbox seq handled: taken into history by a run, or by `wait_messages`. */
  get cursor(): number {
    const taken = this.context[this.#cursorKey];
    return typeof taken === 'number' && taken > this.#cursor ? taken : this.#cursor;
  }

  /**
   * Mailbox messages for this agent, oldest first. A message at or below a seq already
   * accepted is dropped (delivery is at least once; handling exactly once). An idle agent
   * starts a run on them at once; a busy one follows `whenBusy`.
   */
  deliver(mails: readonly Mail[]): void {
    const cursor = this.cursor;
    const fresh: Mail[] = [];
    for (const mail of mails) {
      if (mail.seq <= this.#accepted) continue; // delivered before: at least once, handled once
      this.#accepted = mail.seq;
      if (mail.seq > cursor) fresh.push(mail);
      else this.#takenByTool(mail);
    }
    if (fresh.length === 0) return;
    if (this.#failedForGood || this.#stopped) {
      this.#refuse(fresh, closedResult(this.name, this.#runs));
      return;
    }
    // Failed and not yet restarted: kept for the run after the restart.
    if (this.#actor.getSnapshot().status !== 'active') {
      for (const mail of fresh) this.#queue.push(mail);
      return;
    }
    this.send({ type: 'MAIL', mails: fresh });
  }

  /**
   * Starts the mailbox cursor over at `seq`: the mailbox topic restarted (a new in-memory bus
   * for a resumed session), so the seqs in its history no longer refer to it.
   */
  rebaseCursor(seq: number): void {
    this.#cursor = seq;
    this.#accepted = seq;
    if (this.context[this.#cursorKey] !== undefined)
      this.context = this.env.applyUpdates(this.context, [{ op: 'delete', key: this.#cursorKey }]);
  }

  /** Stops the run in progress (status `cancelled`); false when there was none. */
  cancel(): boolean {
    if (this.#run === undefined) return false;
    this.send(CANCEL);
    return true;
  }

  /** Marks the current run as handing its task to `to` (the `handoff` tool); false without one. */
  handOff(handoff: Handoff): boolean {
    const run = this.#run;
    if (run === undefined || run.stale) return false;
    run.handoff = handoff;
    return true;
  }

  /** A fresh actor after a failure: history, context, usage and queued messages are kept. */
  restart(): void {
    this.#actor.stop();
    this.restarts++;
    this.#startActor();
    this.#report();
  }

  /**
   * Loads a stored session into this (fresh) agent: resume and reactivation. `stored` messages
   * of `history` are already persisted; later ones are saved with the next turn.
   */
  restore(session: {
    readonly history: readonly ChatMessage[];
    readonly stored: number;
    readonly context: Readonly<Record<string, unknown>>;
    readonly usage: { readonly [K in keyof UsageCounter]: number };
  }): void {
    this.history.length = 0;
    // Each run starts with at least one user message: counting them keeps run ids going on
    // (`name:n`) instead of repeating the ones the stored session already logged.
    let runs = 0;
    let cursor = 0;
    for (const message of session.history) {
      this.history.push(message);
      if (message.role !== 'user') continue;
      runs++;
      if (message.seq !== undefined && message.seq > cursor) cursor = message.seq;
    }
    this.#cursor = cursor;
    this.#runs = runs;
    this.context = session.context;
    addTotals(this.usage, session.usage);
    this.#savedUpTo = session.stored;
    this.#accepted = Math.max(this.#accepted, this.cursor);
    this.#derived.rebuild(this.history);
  }

  /** The derived states, current with the history (folds in only messages not seen yet). */
  derivedValues(): Record<string, unknown> {
    this.#derived.observe(this.history);
    return this.#derived.values();
  }

  /** Cancels any run, answers queued messages as cancelled, and stops the actor. */
  stop(): void {
    this.cancel();
    this.#stopped = true;
    this.#actor.stop();
    this.#refuse(
      this.#queue.splice(0).concat(this.#steered.splice(0)),
      closedResult(this.name, this.#runs, `agent "${this.name}" was stopped`),
    );
  }

  /** Marks the agent failed for good (the supervisor gave up): its messages are refused. */
  markFailed(): void {
    this.#failedForGood = true;
    if (this.#actor.getSnapshot().status === 'active')
      this.send({ type: 'FAIL', error: gaveUp(this.name) });
    this.#refuse(
      this.#queue.splice(0).concat(this.#steered.splice(0)),
      closedResult(this.name, this.#runs),
    );
  }

  /** Fails the run in progress from outside (its host is going away, say). */
  fail(error: TroupeError): void {
    if (this.#actor.getSnapshot().status === 'active') this.send({ type: 'FAIL', error });
  }

  /** Sends `event` to the actor, then reports the state once the actor has settled. */
  send(event: AgentEvent): void {
    this.#depth++;
    try {
      this.#actor.send(event);
    } finally {
      this.#depth--;
    }
    if (this.#depth === 0) this.#report();
  }

  /**
   * A mail `wait_messages` took inside a run before the mailbox delivered it: it is answered by
   * the run that took it (the one in progress, or the last one).
   */
  #takenByTool(mail: Mail): void {
    if (mail.id === undefined) return;
    if (this.#run !== undefined) this.#run.mails.push(mail);
    else if (this.#lastResult !== undefined)
      this.env.onRunEnd(this, { result: this.#lastResult, mails: [mail], again: true });
  }

  // ---- effects the statechart orders (AgentEffects) ----

  beginRun(mails: readonly Mail[]): void {
    const run = new Run(`${this.name}:${++this.#runs}`, mails);
    this.#run = run;
    for (const mail of mails) this.history.push(mailMessage(mail));
    this.#takeCursor(mails);
    const events = this.env.events;
    if (sinkWants(events, 'run.started'))
      events.emit({
        type: 'run.started',
        at: this.env.clock.now(),
        agent: this.name,
        runId: run.id,
      });
  }

  beginQueuedRun(): void {
    this.beginRun(this.#queue.splice(0));
  }

  hasQueued(): boolean {
    // Steered messages the last run never reached become the next run's.
    if (this.#steered.length > 0)
      for (const mail of this.#steered.splice(0)) this.#queue.push(mail);
    if (this.#queue.length === 0) return false;
    // Messages `wait_messages` took meanwhile were answered by the run that took them.
    const cursor = this.cursor;
    if (this.#queue[0]!.seq <= cursor) {
      const taken = this.#queue.filter((mail) => mail.seq <= cursor);
      this.#queue = this.#queue.filter((mail) => mail.seq > cursor);
      if (this.#lastResult !== undefined)
        this.env.onRunEnd(this, { result: this.#lastResult, mails: taken, again: true });
    }
    return this.#queue.length > 0;
  }

  turnsLeft(): boolean {
    const run = this.#run;
    return run !== undefined && run.turns < this.definition.maxTurns;
  }

  enqueue(mails: readonly Mail[]): void {
    for (const mail of mails) this.#queue.push(mail);
  }

  steer(mails: readonly Mail[]): void {
    for (const mail of mails) this.#steered.push(mail);
  }

  requestLease(): void {
    this.#state = 'waitingForLease';
    const run = this.#run!;
    if (run.turns >= this.definition.maxTurns) {
      this.send({ type: 'END', status: 'max_turns' });
      return;
    }
    this.#model.startTurn(run);
    const estimate = this.#model.estimate(run);
    if (!this.asyncLimiter) {
      const tried = this.env.limiter.tryAcquire(this.limiterKeys, { tokens: estimate });
      if (tried instanceof Promise) {
        this.asyncLimiter = true;
        void this.#admitted(run, tried, estimate);
        return;
      }
      if (tried.ok) {
        run.lease = tried.lease;
        this.send(GRANTED);
        return;
      }
      if (refusedForGood(tried)) {
        this.#budgetExhausted(run);
        return;
      }
    }
    void this.#waitLease(run, estimate);
  }

  callModel(): void {
    this.#state = 'callingModel';
    const run = this.#run!;
    if (this.#steered.length > 0) {
      const mails = this.#steered.splice(0).filter((mail) => mail.seq > this.cursor);
      for (const mail of mails) {
        this.history.push(mailMessage(mail));
        run.mails.push(mail);
      }
      this.#takeCursor(mails);
    }
    this.#model.call(run);
  }

  runTools(): void {
    this.#state = 'runningTools';
    this.#toolsTurn.run(this.#run!);
  }

  askRepair(): void {
    const run = this.#run!;
    this.history.push(repairMessage(run.problem));
  }

  stopRun(status: 'interrupted' | 'cancelled'): void {
    const run = this.#run;
    if (run === undefined) return;
    const reason = abortedError(undefined, `run (${status})`);
    run.stale = true;
    run.abort(reason);
    run.toolTurn?.abort(reason);
    run.toolTurn = undefined;
    this.#closeDanglingCalls(status);
    this.#saveTrailing();
    const events = this.env.events;
    if (status === 'interrupted' && sinkWants(events, 'agent.interrupted')) {
      events.emit({
        type: 'agent.interrupted',
        at: this.env.clock.now(),
        agent: this.name,
        runId: run.id,
      });
    }
    this.#finish(run, status, undefined);
  }

  endRun(status: RunStatus, error?: TroupeError): void {
    const run = this.#run;
    if (run === undefined) return;
    run.stale = true;
    this.#saveTrailing();
    this.#finish(run, status, error ?? run.error);
  }

  failRun(error: TroupeError): void {
    const run = this.#run;
    if (run !== undefined) {
      run.stale = true;
      run.toolTurn?.abort(error);
      this.#closeDanglingCalls('failed');
      this.#saveTrailing();
      this.#finish(run, 'failed', error);
    }
    if (!this.#failedForGood) this.env.onFailure(this, error);
  }

  // ---- helpers the effect modules use ----

  /** Reports the end of a turn to persistence (history from the last save on). */
  afterTurn(): void {
    if (!this.#derived.empty) this.#derived.observe(this.history);
    const hook = this.env.afterTurn;
    if (hook === undefined) return;
    const from = this.#savedUpTo;
    this.#savedUpTo = this.history.length;
    hook(this, from);
  }

  /** Applies context updates (tools). */
  update(updates: readonly ContextUpdate[]): void {
    this.context = this.env.applyUpdates(this.context, updates);
  }

  /** An effect failed in a way that is the run's fault: the statechart decides. */
  failed(run: Run, error: unknown): void {
    if (run.stale || this.#run !== run) return;
    this.send({ type: 'FAIL', error: asTroupeError(this.name, error) });
  }

  // ---- private ----

  async #admitted(run: Run, tried: Promise<AcquireResult>, estimate: number): Promise<void> {
    let first: AcquireResult;
    try {
      first = await tried;
    } catch (error) {
      // A transient fault on the first try: the bounded wait retries it.
      if (
        isTroupeError(error) &&
        (error.code === 'ERR_BACKEND_UNAVAILABLE' || error.code === 'ERR_TIMEOUT')
      ) {
        return this.#waitLease(run, estimate);
      }
      return this.failed(run, error);
    }
    if (run.stale || this.#run !== run) {
      if (first.ok) cancelLease(first.lease);
      return;
    }
    if (first.ok) {
      run.lease = first.lease;
      this.send(GRANTED);
    } else if (refusedForGood(first)) this.#budgetExhausted(run);
    else await this.#waitLease(run, estimate);
  }

  async #waitLease(run: Run, estimate: number): Promise<void> {
    const env = this.env;
    const since = env.clock.now();
    let outcome: Awaited<ReturnType<typeof waitForLease>>;
    try {
      outcome = await waitForLease({
        limiter: env.limiter,
        clock: env.clock,
        keys: this.limiterKeys,
        tokens: estimate,
        timeoutMs: this.leaseTimeoutMs,
        signal: run.signal,
        random: this.random,
      });
    } catch (error) {
      return this.failed(run, error);
    }
    if (run.stale || this.#run !== run) {
      if (outcome.ok) cancelLease(outcome.lease);
      return;
    }
    if (outcome.ok) {
      run.lease = outcome.lease;
      // A remote limiter's admission at once takes a round trip, not a wait worth reporting.
      if (env.clock.now() > since && sinkWants(env.events, 'lease.waited')) {
        env.events.emit({
          type: 'lease.waited',
          at: env.clock.now(),
          agent: this.name,
          runId: run.id,
          waitedMs: env.clock.now() - since,
        });
      }
      this.send(GRANTED);
      return;
    }
    if (outcome.status === 'stale') return;
    if (outcome.status === 'budget_exhausted') return this.#budgetExhausted(run);
    this.send({ type: 'END', status: outcome.status, error: outcome.error });
  }

  #budgetExhausted(run: Run): void {
    const events = this.env.events;
    if (sinkWants(events, 'budget.exhausted')) {
      events.emit({
        type: 'budget.exhausted',
        at: this.env.clock.now(),
        agent: this.name,
        runId: run.id,
        keys: this.limiterKeys,
      });
    }
    this.send({
      type: 'END',
      status: 'budget_exhausted',
      error: new TroupeError(
        'ERR_BUDGET_EXHAUSTED',
        `the budget of ${this.limiterKeys.join(', ')} is spent`,
        {
          details: { keys: [...this.limiterKeys] },
        },
      ),
    });
  }

  #finish(run: Run, status: RunStatus, error: TroupeError | undefined): void {
    if (run.lease !== undefined) {
      cancelLease(run.lease);
      run.lease = undefined;
    }
    if (this.#run === run) this.#run = undefined;
    const result = run.finish(this.name, status, error, this.env.events, this.env.clock);
    this.#lastResult = result;
    const end: RunEnd =
      run.handoff === undefined || status !== 'handed_off'
        ? { result, mails: run.mails }
        : { result, mails: run.mails, handoff: run.handoff };
    this.env.onRunEnd(this, end);
  }

  #refuse(mails: readonly Mail[], result: RunResult): void {
    if (mails.length > 0) this.env.onRunEnd(this, { result, mails });
  }

  #takeCursor(mails: readonly Mail[]): void {
    const last = mails[mails.length - 1];
    if (last === undefined || last.seq <= this.#cursor) return;
    this.#cursor = last.seq;
    this.env.onTaken?.(this, last.seq);
  }

  #closeDanglingCalls(status: string): void {
    const last = this.history[this.history.length - 1];
    if (last?.role !== 'assistant' || last.toolCalls === undefined) return;
    for (const call of last.toolCalls) {
      this.history.push({
        role: 'tool',
        toolCallId: call.id,
        name: call.name,
        content: `Tool call abandoned: the run was ${status} before it finished.`,
        isError: true,
      });
    }
  }

  /**
   * A run that stops between turns (cancel, interrupt, failure, a lease that never came) saves
   * what it left unsaved (its user messages, the abandoned calls' results) at once.
   */
  #saveTrailing(): void {
    if (this.history.length > this.#savedUpTo) this.afterTurn();
  }

  /** A new actor, made the agent's own before it starts (its start may already order effects). */
  #startActor(): AgentActor {
    const inspect = this.env.inspect;
    const actor = createActor(agentMachine, {
      input: { effects: this, whenBusy: this.whenBusy },
      ...(inspect === undefined ? {} : { inspect }),
    });
    this.#actor = actor;
    this.#depth++;
    try {
      actor.start();
    } finally {
      this.#depth--;
    }
    return actor;
  }

  /**
   * Reports the state once the actor has settled (a lease granted at once never shows
   * `waitingForLease`). While an effect runs, `state` is the state it belongs to.
   */
  #report(): void {
    const state = visibleState(this.#actor);
    this.#state = state;
    if (state === this.#reported) return;
    this.#reported = state;
    this.env.onState?.(this, state);
    const events = this.env.events;
    if (sinkWants(events, 'agent.state'))
      events.emit({ type: 'agent.state', at: this.env.clock.now(), agent: this.name, state });
  }
}

function gaveUp(agent: string): TroupeError {
  return new TroupeError('ERR_CLOSED', `agent "${agent}" has failed and is no longer restarted`);
}

function asTroupeError(agent: string, error: unknown): TroupeError {
  return isTroupeError(error)
    ? error
    : new TroupeError(
        'ERR_INTERNAL',
        `agent "${agent}" failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
}
