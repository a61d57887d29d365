import { ContextWindow } from '../context/context-window.js';
import { resolveContextPolicy } from '../context/policy.js';
import { trimHistory } from '../context/trimmed.js';
import { abortedError, type TroupeError } from '../errors.js';
import { type AgentState, type RunStatus, sinkWants } from '../events/team-events.js';
import { createRng } from '../ids.js';
import type { ChatMessage, ToolSpec } from '../model.js';
import { DerivedState } from '../session/derived.js';
import type { ContextUpdate } from '../tools/context-update.js';
import { toolSpecs } from '../tools/schema-cache.js';
import type { Role, ToolSet } from '../tools/tool-set.js';
import { ActorHost } from './actor-host.js';
import { Approvals } from './approvals.js';
import type { AgentDefinition } from './define-agent.js';
import type { AgentEnv, AgentSpec, RunEnd } from './env.js';
import { Inbox } from './inbox.js';
import { DEFAULT_LEASE_TIMEOUT_MS } from './lease.js';
import { LeaseTurn } from './lease-turn.js';
import type { AgentEffects, AgentEvent, WhenBusy } from './machine.js';
import { type Mail, mailMessage, mailTrace } from './mail.js';
import { ModelTurn } from './model-turn.js';
import { repairMessage } from './output.js';
import {
  asTroupeError,
  cancelLease,
  closeDanglingCalls,
  closedResult,
  gaveUp,
  type Handoff,
  Run,
} from './run.js';
import type { RunResult } from './run-result.js';
import { ToolsTurn } from './tools-turn.js';
import { addTotals, newUsage, type UsageCounter } from './usage.js';

/** The context key where `wait_messages` keeps the last seq it took from the agent's own inbox. */
export const inboxCursorKey = (agent: string): string => `cursor:inbox:${agent}`;

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});
const CANCEL = Object.freeze({ type: 'CANCEL' } as const);

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
  /** What the model sees of `history` (context policy, view, compaction). */
  readonly contextWindow: ContextWindow;
  /** State derived from history (the definition's `derive`), kept current per message. */
  readonly #derived: DerivedState;
  readonly #cursorKey: string;
  #runs = 0;
  #savedUpTo = 0;
  /** History positions before this one are trimmed (in the store, out of the view). */
  #trimmedUpTo = 0;
  /** Last mailbox seq taken into history as a user message. */
  #cursor = 0;
  readonly #actor: ActorHost;
  #run: Run | undefined = undefined;
  #lastResult: RunResult | undefined = undefined;
  /** Mails for the next run, and mails for the running conversation's next model call. */
  readonly #inbox = new Inbox();
  #failedForGood = false;
  #stopped = false;
  readonly #model: ModelTurn;
  readonly #lease: LeaseTurn;
  readonly #toolsTurn: ToolsTurn;
  /** Tool approval: which calls wait for a person, the pause, the decisions (approvals.ts). */
  readonly approvals: Approvals;

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
    const { definition } = spec;
    this.contextWindow = new ContextWindow(
      resolveContextPolicy(
        definition.context,
        spec.context,
        definition.model,
        definition.maxOutputTokens,
      ),
      definition.instructions,
      this.specs,
    );
    this.#model = new ModelTurn(this);
    this.#lease = new LeaseTurn(this);
    this.#toolsTurn = new ToolsTurn(this);
    this.approvals = new Approvals(this);
    this.#actor = new ActorHost(this, this.whenBusy, env.inspect, (state) =>
      this.#stateChanged(state),
    );
  }

  /** The actor's state. */
  get state(): AgentState {
    return this.#actor.state;
  }

  /** True while a run is in progress. */
  get busy(): boolean {
    return this.#run !== undefined;
  }

  /** True when nothing is running or waiting to run. */
  get quiet(): boolean {
    return this.#run === undefined && (this.#inbox.empty || this.#failedForGood);
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
    const { fresh, taken } = this.#inbox.accept(mails, this.cursor);
    for (const mail of taken) this.#takenByTool(mail);
    if (fresh.length === 0) return;
    if (this.#failedForGood || this.#stopped) {
      this.#refuse(fresh, closedResult(this.name, this.#runs));
      return;
    }
    // Failed and not yet restarted: kept for the run after the restart.
    if (!this.#actor.active) {
      this.#inbox.enqueue(fresh);
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
    this.#inbox.accepted = seq;
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
    this.#actor.start();
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
    this.#trimmedUpTo = 0;
    // Each run starts with at least one user message: counting them keeps run ids going on
    // (`name:n`) instead of repeating the ones the stored session already logged.
    let runs = 0;
    let cursor = 0;
    for (const message of session.history) {
      this.history.push(message);
      // A summary context compaction wrote is not a run's message.
      if (message.role !== 'user' || message.summarizes !== undefined) continue;
      runs++;
      if (message.seq !== undefined && message.seq > cursor) cursor = message.seq;
    }
    this.#cursor = cursor;
    this.#runs = runs;
    this.context = session.context;
    addTotals(this.usage, session.usage);
    this.#savedUpTo = session.stored;
    this.#inbox.accepted = Math.max(this.#inbox.accepted, this.cursor);
    this.#derived.rebuild(this.history);
    this.contextWindow.restore(this.history);
    this.approvals.restore(); // a session paused for approval pauses again
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
      this.#inbox.drain(),
      closedResult(this.name, this.#runs, `agent "${this.name}" was stopped`),
    );
  }

  /** Marks the agent failed for good (the supervisor gave up): its messages are refused. */
  markFailed(): void {
    this.#failedForGood = true;
    if (this.#actor.active) this.send({ type: 'FAIL', error: gaveUp(this.name) });
    this.#refuse(this.#inbox.drain(), closedResult(this.name, this.#runs));
  }

  /** Fails the run in progress from outside (its host is going away, say). */
  fail(error: TroupeError): void {
    if (this.#actor.active) this.send({ type: 'FAIL', error });
  }

  /** Sends `event` to the agent's actor (the statechart decides what it means). */
  send(event: AgentEvent): void {
    this.#actor.send(event);
  }

  /**
   * A mail `wait_messages` took inside a run before the mailbox delivered it: it is answered by
   * the run that took it (the one in progress, or the last one).
   */
  #takenByTool(mail: Mail): void {
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
    if (sinkWants(events, 'run.started')) {
      const trace = mailTrace(mails); // tracing: the run continues its sender's trace
      events.emit({
        type: 'run.started',
        at: this.env.clock.now(),
        agent: this.name,
        runId: run.id,
        ...(trace === undefined ? {} : { trace }),
      });
    }
  }

  beginQueuedRun(): void {
    this.#settleInbox();
    this.beginRun(this.#inbox.takeQueued());
  }

  hasQueued(): boolean {
    return this.#inbox.hasFresh(this.cursor);
  }

  turnsLeft(): boolean {
    const run = this.#run;
    return run !== undefined && run.turns < this.definition.maxTurns;
  }

  enqueue(mails: readonly Mail[]): void {
    this.#inbox.enqueue(mails);
  }

  steer(mails: readonly Mail[]): void {
    this.#inbox.steer(mails);
  }

  requestLease(): void {
    this.#actor.enter('waitingForLease');
    const run = this.#run!;
    if (run.turns >= this.definition.maxTurns) {
      this.send({ type: 'END', status: 'max_turns' });
      return;
    }
    this.#model.startTurn(run);
    let estimate: number;
    try {
      estimate = this.#model.estimate(run);
    } catch (error) {
      this.failed(run, error);
      return;
    }
    this.#lease.request(run, estimate);
  }

  callModel(): void {
    this.#actor.enter('callingModel');
    const run = this.#run!;
    const mails = this.#inbox.takeSteered(this.cursor);
    if (mails.length > 0) {
      for (const mail of mails) {
        this.history.push(mailMessage(mail));
        run.mails.push(mail);
      }
      this.#takeCursor(mails);
    }
    this.#model.call(run);
  }

  runTools(): void {
    this.#actor.enter('runningTools');
    this.#toolsTurn.run(this.#run!);
  }

  awaitApproval(): void {
    this.#actor.enter('awaitingApproval');
    this.approvals.await(this.#run!);
  }

  beginPausedRun(): void {
    this.#run = this.approvals.resumedRun();
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
    this.approvals.drop(run);
    closeDanglingCalls(this.history, status);
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
      this.approvals.drop(run);
      closeDanglingCalls(this.history, 'failed');
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
    this.#trim();
  }

  /**
   * Bounded memory with a store: messages already handed to it and older than the view's
   * recent turns leave memory (the view keeps its own pinned turns and summary; see
   * context/trimmed.ts). Each position is trimmed once: O(1) amortized per message.
   * `team.history()` reads them back from the store.
   */
  #trim(): void {
    const end = Math.min(this.#savedUpTo, this.contextWindow.firstKept);
    if (end <= this.#trimmedUpTo) return;
    trimHistory(this.history, this.#trimmedUpTo, end);
    this.#trimmedUpTo = end;
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

  /** True while `run` is the run in progress and has not been abandoned. */
  current(run: Run): boolean {
    return !run.stale && this.#run === run;
  }

  // ---- private ----

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
    this.#settleInbox();
  }

  /**
   * Between runs: steered mails the run never reached join the queue, and mails `wait_messages`
   * took meanwhile leave it, answered by the run that took them.
   */
  #settleInbox(): void {
    const taken = this.#inbox.settle(this.cursor);
    if (taken.length > 0 && this.#lastResult !== undefined)
      this.env.onRunEnd(this, { result: this.#lastResult, mails: taken, again: true });
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

  /**
   * A run that stops between turns (cancel, interrupt, failure, a lease that never came) saves
   * what it left unsaved (its user messages, the abandoned calls' results) at once.
   */
  #saveTrailing(): void {
    if (this.history.length > this.#savedUpTo) this.afterTurn();
  }

  #stateChanged(state: AgentState): void {
    this.env.onState?.(this, state);
    const events = this.env.events;
    if (sinkWants(events, 'agent.state'))
      events.emit({ type: 'agent.state', at: this.env.clock.now(), agent: this.name, state });
  }
}
