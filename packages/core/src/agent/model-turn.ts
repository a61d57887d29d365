import type { RateLimitFeedback } from '../backend/interfaces.js';
import type { CompactionCall } from '../context/context-window.js';
import { isTroupeError, TroupeError } from '../errors.js';
import { sinkWants } from '../events/team-events.js';
import type { ChatMessage, ModelDelta, ModelRequest, ModelResponse } from '../model.js';
import type { AgentRuntime } from './agent-runtime.js';
import { waitForLease } from './lease.js';
import type { AnswerKind } from './machine.js';
import { checkOutput } from './output.js';
import type { Run } from './run.js';
import { asTroupeError, cancelLease, settleLease } from './run.js';
import { runRequest } from './run-request.js';
import { addUsage } from './usage.js';

/**
 * The model side of a turn: counting it, the request (made once per run; its messages are the
 * agent's history as it grows), the call, and turning the answer into the statechart's
 * `ANSWERED` event (tool calls, a final answer, or structured output to repair).
 */
export class ModelTurn {
  readonly #agent: AgentRuntime;
  #onRateLimit: ((feedback: RateLimitFeedback) => void) | undefined;
  /** The turn of each run whose prompt was refused as too long and retried (once per call). */
  readonly #retried = new WeakMap<Run, number>();

  constructor(agent: AgentRuntime) {
    this.#agent = agent;
  }

  /** A new turn of `run`: counted and reported. */
  startTurn(run: Run): void {
    const turn = ++run.turns;
    const { events, clock } = this.#agent.env;
    if (sinkWants(events, 'turn.started'))
      events.emit({
        type: 'turn.started',
        at: clock.now(),
        agent: this.#agent.name,
        runId: run.id,
        turn,
      });
  }

  /** Tokens to reserve for the next call (the model's own estimate, when it has one). */
  estimate(run: Run): number {
    return this.#agent.definition.model.estimateTokens?.(this.#request(run)) ?? 0;
  }

  /** Calls the model; its answer (or failure) goes to the statechart. */
  call(run: Run): void {
    const agent = this.#agent;
    const { events, clock } = agent.env;
    const turn = run.turns;
    if (sinkWants(events, 'model.requested')) {
      events.emit({
        type: 'model.requested',
        at: clock.now(),
        agent: agent.name,
        runId: run.id,
        turn,
        messages: agent.history.length,
        model: agent.definition.model.id,
      });
    }
    // Streaming only while someone listens to `model.delta` (a provider on `stream: 'auto'`
    // streams only when the request has `onDelta`).
    run.onDelta = sinkWants(events, 'model.delta') ? this.#deltas(run, turn) : undefined;
    // Context: a view past its budget is compacted first (once per crossing, see context/).
    const window = agent.contextWindow;
    if (window.due(agent.history)) {
      // A compaction that fails (its summary call refused, say) fails the run: never a hang.
      window.compact(agent.history, this.#compaction(run)).then(
        () => this.#generate(run, turn),
        (error: unknown) => agent.failed(run, error),
      );
      return;
    }
    this.#generate(run, turn);
  }

  #generate(run: Run, turn: number): void {
    if (run.stale) return; // interrupted while compacting: the run's end gave its lease back
    let answer: Promise<ModelResponse>;
    try {
      answer = this.#agent.definition.model.generate(this.#request(run));
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer.then(
      (response) => this.#answered(run, turn, response),
      (error: unknown) => this.#failed(run, turn, error),
    );
  }

  #failed(run: Run, turn: number, error: unknown): void {
    // The request was made (or may have been): it counts, with no tokens.
    const lease = run.lease;
    run.lease = undefined;
    if (lease !== undefined) settleLease(lease, 0, undefined);
    const agent = this.#agent;
    if (
      isTroupeError(error, 'ERR_CONTEXT_LENGTH') &&
      agent.current(run) &&
      this.#retried.get(run) !== turn
    ) {
      this.#retried.set(run, turn);
      void this.#recover(run, turn, error.message);
      return;
    }
    agent.failed(run, error);
  }

  /**
   * The provider refused the prompt as too long: the budget shrinks under its limit, the view is
   * compacted, and the call is made once more under a new lease (the refused request counted
   * as one, like any request made).
   */
  async #recover(run: Run, turn: number, message: string): Promise<void> {
    const agent = this.#agent;
    const window = agent.contextWindow;
    window.refused(message, agent.history);
    await window.compact(agent.history, this.#compaction(run));
    if (!agent.current(run)) return;
    const { limiter, clock } = agent.env;
    let outcome: Awaited<ReturnType<typeof waitForLease>>;
    try {
      outcome = await waitForLease({
        limiter,
        clock,
        keys: agent.limiterKeys,
        tokens: this.estimate(run),
        timeoutMs: agent.leaseTimeoutMs,
        signal: run.signal,
        random: agent.random,
      });
    } catch (error) {
      return agent.failed(run, asTroupeError(agent.name, error));
    }
    if (!agent.current(run)) {
      if (outcome.ok) cancelLease(outcome.lease);
      return;
    }
    if (outcome.ok) {
      run.lease = outcome.lease;
      this.#generate(run, turn);
    } else if (outcome.status !== 'stale') {
      agent.send({ type: 'END', status: outcome.status, error: outcome.error });
    }
  }

  /** What a compaction's summary call needs: the agent's model, its leases, its usage. */
  #compaction(run: Run): CompactionCall {
    const agent = this.#agent;
    return {
      model: agent.definition.model,
      limiter: agent.env.limiter,
      clock: agent.env.clock,
      keys: agent.limiterKeys,
      leaseTimeoutMs: agent.leaseTimeoutMs,
      random: agent.random,
      signal: run.signal,
      used: (usage) => {
        addUsage(run.usage, usage);
        addUsage(agent.usage, usage);
      },
    };
  }

  #answered(run: Run, turn: number, response: ModelResponse): void {
    const agent = this.#agent;
    const { events, clock } = agent.env;
    const usage = response.usage;
    const lease = run.lease;
    run.lease = undefined;
    if (lease !== undefined)
      settleLease(lease, usage.inputTokens + usage.outputTokens, usage.costUsd);
    addUsage(run.usage, usage);
    addUsage(agent.usage, usage);
    agent.contextWindow.calibrate(usage.inputTokens);
    if (run.stale) return; // an interrupted turn's reply is dropped
    const calls = response.toolCalls;
    if (sinkWants(events, 'model.answered')) {
      events.emit({
        type: 'model.answered',
        at: clock.now(),
        agent: agent.name,
        runId: run.id,
        turn,
        toolCalls: calls.length,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        stopReason: response.stopReason,
      });
    }
    run.text = response.text;
    if (calls.length > 0) {
      agent.history.push(assistantMessage(response, calls));
      run.calls = calls;
      // Saved before the tools run: after a crash mid-turn, resume sees the calls that were
      // started and gives each a synthetic result (session/resume.ts).
      agent.afterTurn();
      agent.approvals.answer(run); // ANSWERED: tools, or a pause for approval first
      return;
    }
    agent.history.push(assistantMessage(response, undefined));
    const kind = this.#judge(run, response.text);
    agent.afterTurn();
    agent.send({ type: 'ANSWERED', kind });
  }

  /** A final answer against the agent's `output` schema, if it has one. */
  #judge(run: Run, text: string): AnswerKind {
    const spec = this.#agent.definition.output;
    if (spec === undefined) return 'final';
    const checked = checkOutput(spec, text);
    if (checked.ok) {
      run.output = checked.value;
      return 'final';
    }
    if (run.repairs < spec.retries) {
      run.repairs++;
      run.problem = checked.problem;
      return 'repair';
    }
    run.error = new TroupeError(
      'ERR_INVALID_OUTPUT',
      `the answer does not match the output schema after ${spec.retries} ${spec.retries === 1 ? 'retry' : 'retries'}: ${checked.problem}`,
      { details: { agent: this.#agent.name, retries: spec.retries } },
    );
    return 'invalid';
  }

  #request(run: Run): ModelRequest {
    run.request ??= runRequest(this.#agent, run, this.#rateLimitHook());
    return run.request;
  }

  /** Rate-limit feedback from the model goes to the provider's limiter key. */
  #rateLimitHook(): ((feedback: RateLimitFeedback) => void) | undefined {
    if (this.#onRateLimit !== undefined) return this.#onRateLimit;
    const agent = this.#agent;
    const providerKey = agent.definition.rateLimitKey ?? agent.limiterKeys[0];
    if (providerKey === undefined) return undefined;
    const limiter = agent.env.limiter;
    this.#onRateLimit = (feedback) => {
      const observed = limiter.observe(providerKey, feedback);
      if (observed instanceof Promise) observed.catch(() => {});
    };
    return this.#onRateLimit;
  }

  /** Reports each delta of one turn as a `model.delta` event (an interrupted turn's are dropped). */
  #deltas(run: Run, turn: number): (delta: ModelDelta) => void {
    const agent = this.#agent;
    const env = agent.env;
    return (delta) => {
      if (run.stale || !sinkWants(env.events, 'model.delta')) return;
      env.events.emit({
        type: 'model.delta',
        at: env.clock.now(),
        agent: agent.name,
        runId: run.id,
        turn,
        delta,
      });
    };
  }
}

/**
 * The assistant message an answer becomes in history: its text, tool calls, and what the
 * provider needs back on the next turn (reasoning text, provider-specific fields).
 */
function assistantMessage(
  response: ModelResponse,
  calls: ModelResponse['toolCalls'] | undefined,
): ChatMessage {
  const { reasoning, providerData } = response;
  return {
    role: 'assistant',
    content: response.text,
    ...(calls === undefined ? {} : { toolCalls: calls }),
    ...(reasoning === undefined ? {} : { reasoning }),
    ...(providerData === undefined ? {} : { providerData }),
  };
}
