import type { Lease } from '../backend/interfaces.js';
import type { Clock } from '../clock.js';
import { type ErrorCode, isTroupeError, TroupeError } from '../errors.js';
import {
  type EventSink,
  type RunStatus,
  sinkWants,
  type ToolOutcome,
} from '../events/team-events.js';
import type { ChatMessage, ModelDelta, ModelRequest, ToolCall } from '../model.js';
import type { ToolObserver, ToolTurn } from '../tools/run-tools.js';
import type { Mail } from './mail.js';
import type { RunResult } from './run-result.js';
import { newUsage, type UsageCounter, usageSnapshot } from './usage.js';

/** A run passing its task on (`handoff`): the team posts it when the run ends. */
export interface Handoff {
  readonly to: string;
  readonly message: string;
}

/** One run: from its messages to a final answer, max turns, an interrupt, a cancel or a failure. */
export class Run {
  readonly id: string;
  /** The mailbox messages this run answers (its first ones, then steered ones). */
  readonly mails: Mail[];
  // Made only when someone reads `signal` (a model with latency, a waiting lease): a zero-latency
  // run never pays for an AbortController.
  #controller: AbortController | undefined = undefined;
  #reason: unknown = undefined;
  readonly usage: UsageCounter = newUsage();
  turns = 0;
  text = '';
  output: unknown = undefined;
  /** Answers that did not match the output schema so far, and what was wrong with the last. */
  repairs = 0;
  problem = '';
  /** Why the run ends, when the statechart ends it without an error of its own. */
  error: TroupeError | undefined = undefined;
  /** The model request of this run (its messages are the agent's history, read per call). */
  request: ModelRequest | undefined = undefined;
  /** Set per turn while someone listens to `model.delta`. */
  onDelta: ((delta: ModelDelta) => void) | undefined = undefined;
  /** The tool calls of the last answer, for the tools turn. */
  calls: readonly ToolCall[] = [];
  lease: Lease | undefined = undefined;
  handoff: Handoff | undefined = undefined;
  /** Interrupted, cancelled or ended: whatever it was waiting for is dropped. */
  stale = false;
  toolTurn: ToolTurn | undefined = undefined;

  constructor(id: string, mails: readonly Mail[]) {
    this.id = id;
    this.mails = mails.slice();
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.stale) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  /** The run's result (and `run.finished` when someone listens). */
  finish(
    agent: string,
    status: RunStatus,
    error: TroupeError | undefined,
    events: EventSink,
    clock: Clock,
  ): RunResult {
    const usage = usageSnapshot(this.usage);
    const result: RunResult = {
      runId: this.id,
      agent,
      status,
      text: this.text,
      ...(this.output === undefined ? {} : { output: this.output }),
      turns: this.turns,
      usage,
      ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }),
    };
    if (sinkWants(events, 'run.finished')) {
      events.emit({
        type: 'run.finished',
        at: clock.now(),
        agent,
        runId: this.id,
        status,
        turns: this.turns,
        usage,
      });
    }
    return result;
  }
}

/** A failed result for a message no run answers (refused, a deadlock found late, a failed post). */
export function failedResult(
  agent: string,
  code: ErrorCode,
  message: string,
  runId = `${agent}:none`,
): RunResult {
  return {
    runId,
    agent,
    status: 'failed',
    text: '',
    turns: 0,
    usage: usageSnapshot(newUsage()),
    error: { code, message },
  };
}

/** The result of a message to an agent the supervisor gave up on (or that was stopped). */
export function closedResult(agent: string, runs: number, message?: string): RunResult {
  return failedResult(
    agent,
    'ERR_CLOSED',
    message ?? `agent "${agent}" has failed and is no longer restarted`,
    `${agent}:${runs}`,
  );
}

/** Reports tool calls of one run as `tool.called` / `tool.returned` events. */
export function toolObserver(
  events: EventSink,
  clock: Clock,
  agent: string,
  runId: string,
): ToolObserver {
  const called = sinkWants(events, 'tool.called');
  const returned = sinkWants(events, 'tool.returned');
  return {
    called: (call: ToolCall) => {
      if (!called) return;
      events.emit({
        type: 'tool.called',
        at: clock.now(),
        agent,
        runId,
        tool: call.name,
        callId: call.id,
      });
    },
    returned: (call: ToolCall, isError: boolean, durationMs: number, outcome: ToolOutcome) => {
      if (!returned) return;
      events.emit({
        type: 'tool.returned',
        at: clock.now(),
        agent,
        runId,
        tool: call.name,
        callId: call.id,
        isError,
        durationMs,
        outcome,
      });
    },
  };
}

/** Settles a lease without waiting for a remote limiter (its failure is not the agent's). */
export function settleLease(lease: Lease, tokens: number, costUsd: number | undefined): void {
  const done = lease.settle(costUsd === undefined ? { tokens } : { tokens, costUsd });
  if (done instanceof Promise) done.catch(() => {});
}

/** Gives a lease back without waiting (see {@link settleLease}). */
export function cancelLease(lease: Lease): void {
  const done = lease.cancel();
  if (done instanceof Promise) done.catch(() => {});
}

/** Gives each tool call of a last assistant message without results an abandoned result. */
export function closeDanglingCalls(history: ChatMessage[], status: string): void {
  const last = history[history.length - 1];
  if (last?.role !== 'assistant' || last.toolCalls === undefined) return;
  for (const call of last.toolCalls) {
    history.push({
      role: 'tool',
      toolCallId: call.id,
      name: call.name,
      content: `Tool call abandoned: the run was ${status} before it finished.`,
      isError: true,
    });
  }
}

/** Why a message to an agent the supervisor gave up on fails. */
export function gaveUp(agent: string): TroupeError {
  return new TroupeError('ERR_CLOSED', `agent "${agent}" has failed and is no longer restarted`);
}

/** Any throw as a coded error (`ERR_INTERNAL` when it was not one). */
export function asTroupeError(agent: string, error: unknown): TroupeError {
  return isTroupeError(error)
    ? error
    : new TroupeError(
        'ERR_INTERNAL',
        `agent "${agent}" failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
}
