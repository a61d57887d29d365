import type { AcquireResult, Lease, LimiterBackend, RateLimitFeedback } from '../backends.js';
import type { Clock } from '../clock.js';
import { abortedError, isTroupeError, TroupeError } from '../errors.js';
import {
  type AgentState,
  type EventSink,
  type RunStatus,
  sinkWants,
  type Usage,
} from '../events/team-events.js';
import type { ChatMessage, ModelDelta, ModelRequest, ModelResponse, ToolSpec } from '../model.js';
import { DerivedState } from '../session/derived.js';
import type { ContextUpdate } from '../tools/context-update.js';
import { runToolCalls, type ToolTurnEnv } from '../tools/run-tools.js';
import { toolSpecs } from '../tools/schema-cache.js';
import type { Role, ToolSet } from '../tools/tool-set.js';
import type { AgentDefinition } from './define-agent.js';
import { AGENT_EVENTS, AgentLifecycle } from './lifecycle.js';
import { cancelLease, closedResult, Run, settleLease, toolObserver } from './run.js';
import type { RunResult } from './run-result.js';
import { addTotals, addUsage, newUsage, type UsageCounter } from './usage.js';

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
}

/** How an agent is made: its definition, its name and role in the team, its tools. */
export interface AgentSpec {
  readonly name: string;
  readonly definition: AgentDefinition;
  readonly role: Role | undefined;
  readonly tools: ToolSet;
  readonly limiterKeys: readonly string[];
}

const { WAIT_LEASE, CALL_MODEL, RUN_TOOLS, FINISH, STOP_RUN, FAIL } = AGENT_EVENTS;
type Move = (typeof AGENT_EVENTS)[keyof typeof AGENT_EVENTS];

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * One agent: its actor, history (append-only), context and usage, and the loop that runs a
 * message to an answer. Placement-neutral: the team hosts it inline, a pool worker hosts it there.
 */
export class AgentRuntime {
  readonly name: string;
  readonly definition: AgentDefinition;
  readonly role: Role | undefined;
  readonly tools: ToolSet;
  readonly limiterKeys: readonly string[];
  /** Every message of every run, append-only. */
  readonly history: ChatMessage[] = [];
  /** The agent's context, changed only by tools' updates. */
  context: Readonly<Record<string, unknown>> = EMPTY;
  /** Totals over the agent's life (all runs). */
  readonly usage: UsageCounter = newUsage();
  restarts = 0;
  /** State derived from history (the definition's `derive`), kept current per message. */
  readonly #derived: DerivedState;
  #runs = 0;
  #savedUpTo = 0;
  readonly #lifecycle: AgentLifecycle;
  #run: Run | undefined = undefined;
  #env: AgentEnv;
  #specs: readonly ToolSpec[];
  // Made on the first run / first tool turn: an idle agent carries neither (spawn cost, heap).
  #toolEnv: { -readonly [K in keyof ToolTurnEnv]: ToolTurnEnv[K] } | undefined;
  #onRateLimit: ((feedback: RateLimitFeedback) => void) | undefined;

  constructor(spec: AgentSpec, env: AgentEnv) {
    this.name = spec.name;
    this.definition = spec.definition;
    this.role = spec.role;
    this.tools = spec.tools;
    this.limiterKeys = spec.limiterKeys;
    this.#env = env;
    this.#derived = new DerivedState(spec.definition.derive);
    this.#specs = toolSpecs(spec.tools.list, spec.definition.model.toolFormat);
    this.#lifecycle = new AgentLifecycle((state) => this.#stateChanged(state));
  }

  /** Rate-limit feedback from the model goes to the provider's (first) limiter key. */
  #rateLimitHook(): ((feedback: RateLimitFeedback) => void) | undefined {
    if (this.#onRateLimit !== undefined) return this.#onRateLimit;
    const providerKey = this.limiterKeys[0];
    if (providerKey === undefined) return undefined;
    const limiter = this.#env.limiter;
    this.#onRateLimit = (feedback) => {
      const observed = limiter.observe(providerKey, feedback);
      if (observed instanceof Promise) observed.catch(() => {});
    };
    return this.#onRateLimit;
  }

  #tools(): { -readonly [K in keyof ToolTurnEnv]: ToolTurnEnv[K] } {
    if (this.#toolEnv !== undefined) return this.#toolEnv;
    const env = this.#env;
    this.#toolEnv = {
      agent: this.name,
      clock: env.clock,
      context: () => this.context,
      update: (updates) => {
        this.context = env.applyUpdates(this.context, updates);
      },
      observer: undefined,
    };
    return this.#toolEnv;
  }

  /** The actor's state. */
  get state(): AgentState {
    return this.#lifecycle.state;
  }

  /** True while a run is in progress. */
  get busy(): boolean {
    return this.#run !== undefined;
  }

  /** Number of runs started. */
  get runs(): number {
    return this.#runs;
  }

  /**
   * Starts a run with `content` as the user message. A run in progress is interrupted first:
   * its message stays in history, its pending reply is dropped, dangling tool calls get a
   * synthetic result, and its promise resolves with status `interrupted`.
   */
  send(content: string): Promise<RunResult> {
    if (this.#lifecycle.state === 'failed') {
      return Promise.resolve(closedResult(this.name, this.#runs));
    }
    const previous = this.#run;
    if (previous !== undefined) this.#stop(previous, 'interrupted');
    this.history.push({ role: 'user', content });
    const run = new Run(`${this.name}:${++this.#runs}`);
    this.#run = run;
    const events = this.#env.events;
    if (sinkWants(events, 'run.started'))
      events.emit({
        type: 'run.started',
        at: this.#env.clock.now(),
        agent: this.name,
        runId: run.id,
      });
    void this.#drive(run);
    return run.promise;
  }

  /** Stops the run in progress (status `cancelled`); false when there was none. */
  cancel(): boolean {
    const run = this.#run;
    if (run === undefined) return false;
    this.#stop(run, 'cancelled');
    return true;
  }

  /** A fresh actor after a failure: history, context and usage are kept. */
  restart(): void {
    this.#lifecycle.restart();
    this.restarts++;
  }

  /**
   * Loads a stored session into this (fresh) agent: resume and reactivation. `stored` messages
   * of `history` are already persisted; later ones are saved with the next turn.
   */
  restore(session: {
    readonly history: readonly ChatMessage[];
    readonly stored: number;
    readonly context: Readonly<Record<string, unknown>>;
    readonly usage: Usage;
  }): void {
    this.history.length = 0;
    // Each run starts with one user message: counting them keeps run ids going on (`name:n`)
    // instead of repeating the ones the stored session already logged.
    let runs = 0;
    for (const message of session.history) {
      this.history.push(message);
      if (message.role === 'user') runs++;
    }
    this.#runs = runs;
    this.context = session.context;
    addTotals(this.usage, session.usage);
    this.#savedUpTo = session.stored;
    this.#derived.rebuild(this.history);
  }

  /** The derived states, current with the history (folds in only messages not seen yet). */
  derivedValues(): Record<string, unknown> {
    this.#derived.observe(this.history);
    return this.#derived.values();
  }

  /** Cancels any run and stops the actor. */
  stop(): void {
    this.cancel();
    this.#lifecycle.stop();
  }

  /** Marks the agent failed for good (the supervisor gave up): later sends resolve `failed`. */
  markFailed(): void {
    if (this.#lifecycle.state !== 'failed') this.#move(FAIL);
  }

  /** Fails the run in progress from outside (a worker died, say). */
  fail(error: TroupeError): void {
    const run = this.#run;
    if (run !== undefined) this.#fail(run, error);
    else {
      this.#move(FAIL);
      this.#env.onFailure(this, error);
    }
  }

  async #drive(run: Run): Promise<void> {
    const definition = this.definition;
    const env = this.#env;
    const events = env.events;
    const onRateLimit = this.#rateLimitHook();
    // Set per turn, only while someone listens to `model.delta`: a model (a provider on
    // `stream: 'auto'`) streams only when the request has `onDelta`, so deltas cost nothing
    // when nobody wants them.
    let onDelta: ((delta: ModelDelta) => void) | undefined;
    const request = {
      system: definition.instructions,
      messages: this.history,
      tools: this.#specs,
      get signal() {
        return run.signal;
      },
      get onDelta() {
        return onDelta;
      },
      ...(onRateLimit === undefined ? {} : { onRateLimit }),
      ...(definition.maxOutputTokens === undefined
        ? {}
        : { maxOutputTokens: definition.maxOutputTokens }),
      ...(definition.temperature === undefined ? {} : { temperature: definition.temperature }),
    } as ModelRequest;
    try {
      for (;;) {
        if (run.turns >= definition.maxTurns) {
          this.#move(FINISH);
          this.#end(run, 'max_turns');
          return;
        }
        const turn = ++run.turns;
        if (sinkWants(events, 'turn.started'))
          events.emit({
            type: 'turn.started',
            at: env.clock.now(),
            agent: this.name,
            runId: run.id,
            turn,
          });
        // Fast path: an in-memory limiter admits synchronously, with no await at all.
        const estimate = definition.model.estimateTokens?.(request) ?? 0;
        const tried = env.limiter.tryAcquire(this.limiterKeys, { tokens: estimate });
        let lease: Lease | undefined;
        if (!(tried instanceof Promise) && tried.ok) lease = tried.lease;
        else {
          lease = await this.#waitLease(run, tried, estimate);
          if (lease === undefined) return;
        }
        this.#move(CALL_MODEL);
        if (sinkWants(events, 'model.requested')) {
          events.emit({
            type: 'model.requested',
            at: env.clock.now(),
            agent: this.name,
            runId: run.id,
            turn,
            messages: this.history.length,
          });
        }
        onDelta = sinkWants(events, 'model.delta') ? this.#deltaEmitter(run, turn) : undefined;
        let response: ModelResponse;
        try {
          response = await definition.model.generate(request);
        } catch (error) {
          // The request was made (or may have been): it counts, with no tokens.
          settleLease(lease, 0, undefined);
          throw error;
        }
        const usage = response.usage;
        settleLease(lease, usage.inputTokens + usage.outputTokens, usage.costUsd);
        addUsage(run.usage, usage);
        addUsage(this.usage, usage);
        if (run.stale) return; // an interrupted turn's reply is dropped
        const calls = response.toolCalls;
        if (sinkWants(events, 'model.answered')) {
          events.emit({
            type: 'model.answered',
            at: env.clock.now(),
            agent: this.name,
            runId: run.id,
            turn,
            toolCalls: calls.length,
            inputTokens: usage.inputTokens,
            outputTokens: usage.outputTokens,
            stopReason: response.stopReason,
          });
        }
        run.text = response.text;
        if (calls.length === 0) {
          this.history.push({ role: 'assistant', content: response.text });
          this.#move(FINISH);
          this.#afterTurn();
          this.#end(run, 'completed');
          return;
        }
        this.history.push({ role: 'assistant', content: response.text, toolCalls: calls });
        // Saved before the tools run: after a crash mid-turn, resume sees the calls that were
        // started and gives each a synthetic result (session/resume.ts).
        this.#afterTurn();
        this.#move(RUN_TOOLS);
        const toolEnv = this.#tools();
        toolEnv.observer =
          sinkWants(events, 'tool.called') || sinkWants(events, 'tool.returned')
            ? toolObserver(events, env.clock, this.name, run.id)
            : undefined;
        const toolTurn = runToolCalls(calls, this.tools, toolEnv);
        run.toolTurn = toolTurn;
        // Plain (synchronous) tools finish inside runToolCalls: no need to wait a microtask.
        const results = toolTurn.results ?? (await toolTurn.done);
        run.toolTurn = undefined;
        if (results === undefined || run.stale) return;
        for (let i = 0; i < results.length; i++) this.history.push(results[i]!);
        this.#afterTurn();
      }
    } catch (error) {
      if (run.stale) return;
      this.#fail(run, error);
    }
  }

  /** Reports each delta of one turn as a `model.delta` event (an interrupted turn's are dropped). */
  #deltaEmitter(run: Run, turn: number): (delta: ModelDelta) => void {
    const env = this.#env;
    const agent = this.name;
    return (delta) => {
      if (run.stale || !sinkWants(env.events, 'model.delta')) return;
      env.events.emit({
        type: 'model.delta',
        at: env.clock.now(),
        agent,
        runId: run.id,
        turn,
        delta,
      });
    };
  }

  /** The lease when the limiter did not admit at once (or answered asynchronously): wait for it. */
  async #waitLease(
    run: Run,
    tried: Promise<AcquireResult> | AcquireResult,
    estimate: number,
  ): Promise<Lease | undefined> {
    const env = this.#env;
    const first = await tried;
    if (run.stale) {
      if (first.ok) cancelLease(first.lease);
      return undefined;
    }
    if (first.ok) return first.lease;
    this.#move(WAIT_LEASE);
    const since = env.clock.now();
    const lease = await env.limiter.acquire(this.limiterKeys, {
      tokens: estimate,
      signal: run.signal,
    });
    if (run.stale) {
      cancelLease(lease);
      return undefined;
    }
    const events = env.events;
    if (sinkWants(events, 'lease.waited')) {
      events.emit({
        type: 'lease.waited',
        at: env.clock.now(),
        agent: this.name,
        runId: run.id,
        waitedMs: env.clock.now() - since,
      });
    }
    return lease;
  }

  /** Interrupt or cancel: abandon the run, close dangling tool calls, go idle. */
  #stop(run: Run, status: 'interrupted' | 'cancelled'): void {
    run.stale = true;
    const reason = abortedError(
      undefined,
      status === 'interrupted' ? 'run (interrupted)' : 'run (cancelled)',
    );
    run.abort(reason);
    run.toolTurn?.abort(reason);
    run.toolTurn = undefined;
    this.#closeDanglingCalls(status);
    this.#saveTrailing();
    this.#move(STOP_RUN);
    const events = this.#env.events;
    if (status === 'interrupted' && sinkWants(events, 'agent.interrupted')) {
      events.emit({
        type: 'agent.interrupted',
        at: this.#env.clock.now(),
        agent: this.name,
        runId: run.id,
      });
    }
    this.#end(run, status);
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

  #fail(run: Run, error: unknown): void {
    const failure = isTroupeError(error)
      ? error
      : new TroupeError(
          'ERR_INTERNAL',
          `agent "${this.name}" failed: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
    run.stale = true;
    run.toolTurn?.abort(failure);
    this.#closeDanglingCalls('failed');
    this.#saveTrailing();
    this.#move(FAIL);
    this.#end(run, 'failed', failure);
    this.#env.onFailure(this, failure);
  }

  #end(run: Run, status: RunStatus, error?: TroupeError): void {
    if (this.#run === run) this.#run = undefined;
    run.finish(this.name, status, error, this.#env.events, this.#env.clock);
  }

  /**
   * A run that stops between turns (cancel, interrupt, failure) saves what it left unsaved (its
   * user message, the abandoned calls' results) at once: an agent passivated or a process that
   * dies before the next turn would lose them otherwise.
   */
  #saveTrailing(): void {
    if (this.history.length > this.#savedUpTo) this.#afterTurn();
  }

  #afterTurn(): void {
    if (!this.#derived.empty) this.#derived.observe(this.history);
    const hook = this.#env.afterTurn;
    if (hook === undefined) return;
    const from = this.#savedUpTo;
    this.#savedUpTo = this.history.length;
    hook(this, from);
  }

  #move(event: Move): void {
    this.#lifecycle.move(event);
  }

  #stateChanged(state: AgentState): void {
    this.#env.onState?.(this, state);
    const events = this.#env.events;
    if (sinkWants(events, 'agent.state'))
      events.emit({ type: 'agent.state', at: this.#env.clock.now(), agent: this.name, state });
  }
}
