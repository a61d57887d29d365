import { abortedError, type TroupeError } from '../errors.js';
import type { AgentState, RunStatus } from '../events/team-events.js';
import { ActorHost } from './actor-host.js';
import { AgentData, type StoredAgentSession } from './agent-data.js';
import { emitAgentState, emitInterrupted, emitRunStarted } from './agent-events.js';
import { Approvals } from './approvals.js';
import type { AgentEnv, AgentSpec, RunEnd } from './env.js';
import { LeaseTurn } from './lease-turn.js';
import type { AgentEffects, AgentEvent } from './machine.js';
import { type Mail, mailMessage } from './mail.js';
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

const CANCEL = Object.freeze({ type: 'CANCEL' } as const);

/**
 * One agent: its actor (the statechart of machine.ts, which decides), and the data and effects
 * it orders (history, context, usage, its mailbox queue; lease, model call, tools). Placement-
 * neutral: the team hosts it inline, a pool worker hosts it there. Messages arrive through
 * {@link deliver}; every run's end is reported through `env.onRunEnd`.
 */
export class AgentRuntime extends AgentData implements AgentEffects {
  readonly #actor: ActorHost;
  #run: Run | undefined = undefined;
  #lastResult: RunResult | undefined = undefined;
  #failedForGood = false;
  #stopped = false;
  readonly #model: ModelTurn;
  readonly #lease: LeaseTurn;
  readonly #toolsTurn: ToolsTurn;
  /** Tool approval: which calls wait for a person, the pause, the decisions (approvals.ts). */
  readonly approvals: Approvals;

  constructor(spec: AgentSpec, env: AgentEnv) {
    super(spec, env);
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
    return this.#run === undefined && (this.inbox.empty || this.#failedForGood);
  }

  /** The run in progress (effects modules act on it). */
  get currentRun(): Run | undefined {
    return this.#run;
  }

  /**
   * Mailbox messages for this agent, oldest first. A message at or below a seq already
   * accepted is dropped (delivery is at least once; handling exactly once). An idle agent
   * starts a run on them at once; a busy one follows `whenBusy`.
   */
  deliver(mails: readonly Mail[]): void {
    const { fresh, taken } = this.inbox.accept(mails, this.cursor);
    for (const mail of taken) this.#takenByTool(mail);
    if (fresh.length === 0) return;
    if (this.#failedForGood || this.#stopped) {
      this.#refuse(fresh, closedResult(this.name, this.runCount));
      return;
    }
    // Failed and not yet restarted: kept for the run after the restart.
    if (!this.#actor.active) {
      this.inbox.enqueue(fresh);
      return;
    }
    this.send({ type: 'MAIL', mails: fresh });
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
  restore(session: StoredAgentSession): void {
    this.load(session);
    this.approvals.restore(); // a session paused for approval pauses again
  }

  /** Cancels any run, answers queued messages as cancelled, and stops the actor. */
  stop(): void {
    this.cancel();
    this.#stopped = true;
    this.#actor.stop();
    this.#refuse(
      this.inbox.drain(),
      closedResult(this.name, this.runCount, `agent "${this.name}" was stopped`),
    );
  }

  /** Marks the agent failed for good (the supervisor gave up): its messages are refused. */
  markFailed(): void {
    this.#failedForGood = true;
    if (this.#actor.active) this.send({ type: 'FAIL', error: gaveUp(this.name) });
    this.#refuse(this.inbox.drain(), closedResult(this.name, this.runCount));
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
    const run = new Run(`${this.name}:${++this.runCount}`, mails);
    this.#run = run;
    for (const mail of mails) this.history.push(mailMessage(mail));
    this.#takeCursor(mails);
    emitRunStarted(this.env, this.name, run.id, mails);
  }

  beginQueuedRun(): void {
    this.#settleInbox();
    this.beginRun(this.inbox.takeQueued());
  }

  hasQueued(): boolean {
    return this.inbox.hasFresh(this.cursor);
  }

  turnsLeft(): boolean {
    const run = this.#run;
    return run !== undefined && run.turns < this.definition.maxTurns;
  }

  enqueue(mails: readonly Mail[]): void {
    this.inbox.enqueue(mails);
  }

  steer(mails: readonly Mail[]): void {
    this.inbox.steer(mails);
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
    const mails = this.inbox.takeSteered(this.cursor);
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
    this.#abandon(run, reason, status);
    if (status === 'interrupted') emitInterrupted(this.env, this.name, run.id);
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
      this.#abandon(run, error, 'failed');
      this.#finish(run, 'failed', error);
    }
    if (!this.#failedForGood) this.env.onFailure(this, error);
  }

  // ---- helpers the effect modules use ----

  /**
   * Reports the end of a turn to persistence (history from the last save on); with a store,
   * messages saved and older than the view's recent turns then leave memory (the view keeps
   * its own pinned turns and summary; see context/trimmed.ts).
   */
  afterTurn(): void {
    const hook = this.env.afterTurn;
    this.record.afterTurn(
      hook === undefined ? undefined : (from) => hook(this, from),
      () => this.contextWindow.firstKept,
    );
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
    const taken = this.inbox.settle(this.cursor);
    if (taken.length > 0 && this.#lastResult !== undefined)
      this.env.onRunEnd(this, { result: this.#lastResult, mails: taken, again: true });
  }

  #refuse(mails: readonly Mail[], result: RunResult): void {
    if (mails.length > 0) this.env.onRunEnd(this, { result, mails });
  }

  #takeCursor(mails: readonly Mail[]): void {
    const seq = this.inbox.take(mails);
    if (seq !== undefined) this.env.onTaken?.(this, seq);
  }

  /**
   * Leaves `run` mid-turn: its tool calls are aborted, approvals dropped, calls left without a
   * result closed with a synthetic one (`status`), and what it left unsaved is saved.
   */
  #abandon(run: Run, reason: TroupeError, status: 'interrupted' | 'cancelled' | 'failed'): void {
    run.stale = true;
    run.toolTurn?.abort(reason);
    if (status !== 'failed') run.toolTurn = undefined;
    this.approvals.drop(run);
    closeDanglingCalls(this.history, status);
    this.#saveTrailing();
  }

  /**
   * A run that stops between turns (cancel, interrupt, failure, a lease that never came) saves
   * what it left unsaved (its user messages, the abandoned calls' results) at once.
   */
  #saveTrailing(): void {
    if (this.record.unsaved) this.afterTurn();
  }

  #stateChanged(state: AgentState): void {
    this.env.onState?.(this, state);
    emitAgentState(this.env, this.name, state);
  }
}
