import { z } from 'zod';
import { jsonProblem } from '../backend/json-value.js';
import type { TimerHandle } from '../clock.js';
import { TroupeError } from '../errors.js';
import type { ToolOutcome } from '../events/team-events.js';
import type { ToolCall } from '../model.js';
import { CallContext, type CallHost } from './call-context.js';
import type { ContextUpdate } from './context-update.js';
import { type AnyTool, isToolResultWithUpdates } from './define-tool.js';
import { ARGUMENT_LIMITS, errorText, updatesProblem } from './tool-bounds.js';
import type { ToolSet } from './tool-set.js';
import type { ToolMessage, ToolTurn, ToolTurnEnv } from './tool-turn-types.js';

export { MAX_TOOL_ARGUMENT_CHARS, MAX_TOOL_ARGUMENT_DEPTH } from './tool-bounds.js';
// The agent's modules import the turn's shapes from here, beside runToolCalls.
export type { ToolMessage, ToolObserver, ToolTurn, ToolTurnEnv } from './tool-turn-types.js';

/** Microtask hops a tool may take before its timeout timer is armed (see `#attempt`). */
const ARM_TIMEOUT_AFTER_HOPS = 8;

/**
 * How one call ended: `ok` with the tool's value, or not with the error text the model sees
 * and why (`'error'` after a throw, `'timeout'`).
 */
type Settle = (ok: boolean, value: unknown, outcome?: ToolOutcome) => void;

/** The message a call gets when its arguments fail the schema. */
function invalidArguments(tool: AnyTool, error: z.ZodError): string {
  return `Invalid arguments for tool "${tool.name}":\n${z.prettifyError(error)}`;
}

function resultText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value) ?? '';
}

class Turn implements ToolTurn, CallHost {
  readonly env: ToolTurnEnv;
  aborted = false;
  reason: unknown;
  #calls: readonly ToolCall[];
  /** Calls a person rejected (`team.reject`), by call id: the reason is their result. */
  readonly #rejected: ReadonlyMap<string, string> | undefined;
  #results: (ToolMessage | undefined)[];
  #updates: (readonly ContextUpdate[] | undefined)[];
  #contexts: CallContext[] = [];
  #timers: Set<TimerHandle> | undefined; // made by the first async call
  results: ToolMessage[] | undefined = undefined;
  #applied = 0;
  #waiters: (() => void)[][] | undefined;
  // `done` is made only when read: a turn whose calls all finish synchronously (plain tools,
  // team tools over in-memory services) is read through `results` and never needs a promise.
  #done: Promise<ToolMessage[] | undefined> | undefined;
  #resolve: ((value: ToolMessage[] | undefined) => void) | undefined;
  #over = false;

  constructor(
    env: ToolTurnEnv,
    calls: readonly ToolCall[],
    rejected: ReadonlyMap<string, string> | undefined,
  ) {
    this.env = env;
    this.#calls = calls;
    this.#rejected = rejected;
    this.#results = new Array(calls.length);
    this.#updates = new Array(calls.length);
  }

  get done(): Promise<ToolMessage[] | undefined> {
    if (this.#done === undefined) {
      if (this.#over) this.#done = Promise.resolve(this.aborted ? undefined : this.results);
      else
        this.#done = new Promise((resolve) => {
          this.#resolve = resolve;
        });
    }
    return this.#done;
  }

  #settleTurn(value: ToolMessage[] | undefined): void {
    this.#over = true;
    this.#resolve?.(value);
  }

  start(tools: ToolSet): void {
    const calls = this.#calls;
    if (calls.length === 0) {
      this.results = [];
      this.#settleTurn(this.results);
    }
    for (let i = 0; i < calls.length; i++) this.#startCall(tools, calls[i]!, i);
  }

  abort(reason: unknown): void {
    if (this.aborted || this.#applied === this.#calls.length) return;
    this.aborted = true;
    this.reason = reason;
    if (this.#timers !== undefined)
      for (const timer of this.#timers) this.env.clock.clearTimeout(timer);
    this.#timers = undefined;
    for (const ctx of this.#contexts) ctx.abort(reason);
    this.#settleTurn(undefined);
  }

  whenApplied(index: number): Promise<Readonly<Record<string, unknown>>> {
    if (this.#applied >= index) return Promise.resolve(this.env.context());
    this.#waiters ??= [];
    let list = this.#waiters[index];
    if (list === undefined) {
      list = [];
      this.#waiters[index] = list;
    }
    return new Promise((resolve) => list.push(() => resolve(this.env.context())));
  }

  /** A call refused before it ran: reported to the observer, then an error result. */
  #refuse(call: ToolCall, index: number, content: string, outcome: ToolOutcome): void {
    const observer = this.env.observer;
    if (observer !== undefined) {
      observer.called(call);
      observer.returned(call, true, 0, outcome);
    }
    this.#finish(
      index,
      { role: 'tool', toolCallId: call.id, name: call.name, content, isError: true },
      undefined,
    );
  }

  #startCall(tools: ToolSet, call: ToolCall, index: number): void {
    const reason = this.#rejected?.get(call.id);
    if (reason !== undefined) {
      this.#refuse(call, index, `Tool call rejected: ${reason}`, 'rejected');
      return;
    }
    const tool = tools.byName.get(call.name);
    if (tool === undefined) {
      const refusal = tools.refusals.get(call.name);
      if (refusal !== undefined) {
        this.#refuse(call, index, refusal, 'denied');
        return;
      }
      const available = [...tools.byName.keys()].join(', ') || 'none';
      this.#refuse(
        call,
        index,
        `Unknown tool "${call.name}". Available tools: ${available}.`,
        'unknown_tool',
      );
      return;
    }
    // Bounded before the schema sees them: a validator may recurse as deep as the input goes.
    const problem = jsonProblem(call.arguments, ARGUMENT_LIMITS);
    if (problem !== undefined) {
      const content = `Invalid arguments for tool "${tool.name}": the arguments ${problem}.`;
      this.#refuse(call, index, content, 'invalid_arguments');
      return;
    }
    const parsed = tool.input.safeParse(call.arguments);
    if (!parsed.success) {
      this.#refuse(call, index, invalidArguments(tool, parsed.error), 'invalid_arguments');
      return;
    }
    const observer = this.env.observer;
    const startedAt = observer === undefined ? 0 : this.env.clock.now();
    observer?.called(call);
    const ctx = new CallContext(this, call.id, index);
    this.#contexts.push(ctx);
    const settle: Settle = (ok, settled, why = 'error') => {
      if (this.aborted) return;
      let outcome: ToolOutcome = ok ? 'ok' : why;
      let message: ToolMessage;
      let updates: readonly ContextUpdate[] | undefined;
      if (ok) {
        let value = settled;
        if (isToolResultWithUpdates(value)) {
          updates = value.updates;
          value = value.result;
        }
        try {
          message = {
            role: 'tool',
            toolCallId: call.id,
            name: call.name,
            content: resultText(value),
          };
        } catch (error) {
          updates = undefined;
          outcome = 'error';
          message = {
            role: 'tool',
            toolCallId: call.id,
            name: call.name,
            content: `Tool result is not serialisable: ${errorText(error)}`,
            isError: true,
          };
        }
      } else {
        message = {
          role: 'tool',
          toolCallId: call.id,
          name: call.name,
          content: settled as string,
          isError: true,
        };
      }
      if (updates !== undefined) {
        // Values JSON cannot hold never reach the context (nor, through it, persistence).
        const refused = updatesProblem(updates);
        if (refused !== undefined) {
          updates = undefined;
          outcome = 'error';
          message = { ...message, content: `Context update failed: ${refused}`, isError: true };
        }
      }
      observer?.returned(call, message.isError === true, this.env.clock.now() - startedAt, outcome);
      this.#finish(index, message, updates);
    };
    this.#attempt(tool, parsed.data, ctx, tool.retries, settle);
  }

  /** One attempt; retries on a throw while attempts are left. Sync results skip the timer. */
  #attempt(
    tool: AnyTool,
    input: unknown,
    ctx: CallContext,
    retriesLeft: number,
    settle: Settle,
  ): void {
    let value: unknown;
    try {
      value = tool.run(input, ctx);
    } catch (error) {
      this.#onThrow(tool, input, ctx, retriesLeft, settle, error);
      return;
    }
    if (!(value instanceof Promise)) {
      settle(true, value);
      return;
    }
    const clock = this.env.clock;
    let pending = true;
    let timer: TimerHandle | undefined;
    const onTimeout = (): void => {
      if (!pending) return;
      pending = false;
      if (timer !== undefined) this.#timers?.delete(timer);
      const error = new TroupeError(
        'ERR_TIMEOUT',
        `tool "${tool.name}" timed out after ${tool.timeoutMs} ms`,
        { details: { tool: tool.name, timeoutMs: tool.timeoutMs } },
      );
      ctx.abort(error);
      settle(false, `Tool "${tool.name}" timed out after ${tool.timeoutMs} ms.`, 'timeout');
    };
    // The timeout timer is armed only if the tool is still pending after a few microtask hops.
    // Time cannot move before the microtask queue drains (a clock's timers are macrotasks, and
    // SimulatedClock drains microtasks before each timer), so the deadline is unchanged; but a
    // tool over in-memory services, which settles within those hops, never costs a timer (a
    // cleared timer otherwise stays in a simulated clock's heap until its due time).
    let hops = ARM_TIMEOUT_AFTER_HOPS;
    const tick = (): void => {
      if (!pending || this.aborted) return;
      if (--hops > 0) {
        queueMicrotask(tick);
        return;
      }
      timer = clock.setTimeout(onTimeout, tool.timeoutMs);
      this.#timers ??= new Set();
      this.#timers.add(timer);
    };
    queueMicrotask(tick);
    const disarm = (): void => {
      pending = false;
      if (timer === undefined) return;
      clock.clearTimeout(timer);
      this.#timers?.delete(timer);
    };
    value.then(
      (result) => {
        if (!pending) return;
        disarm();
        settle(true, result);
      },
      (error: unknown) => {
        if (!pending) return;
        disarm();
        this.#onThrow(tool, input, ctx, retriesLeft, settle, error);
      },
    );
  }

  /** A throw: another attempt while retries are left, else an error result. */
  #onThrow(
    tool: AnyTool,
    input: unknown,
    ctx: CallContext,
    retriesLeft: number,
    settle: Settle,
    error: unknown,
  ): void {
    if (this.aborted) return;
    if (retriesLeft > 0) this.#attempt(tool, input, ctx, retriesLeft - 1, settle);
    else settle(false, errorText(error));
  }

  /** Records a result, then applies updates of the finished prefix of calls in call order. */
  #finish(
    index: number,
    message: ToolMessage,
    updates: readonly ContextUpdate[] | undefined,
  ): void {
    this.#results[index] = message;
    this.#updates[index] = updates;
    const total = this.#calls.length;
    while (this.#applied < total && this.#results[this.#applied] !== undefined) {
      const pending = this.#updates[this.#applied];
      if (pending !== undefined && pending.length > 0) {
        try {
          this.env.update(pending);
        } catch (error) {
          // A bad update is the tool's fault: the model sees it, the context stays as it was.
          const failed = this.#results[this.#applied]!;
          this.#results[this.#applied] = {
            ...failed,
            content: `Context update failed: ${errorText(error)}`,
            isError: true,
          };
        }
      }
      this.#applied++;
      const waiting = this.#waiters?.[this.#applied];
      if (waiting !== undefined) for (const wake of waiting) wake();
    }
    if (this.#applied === total) {
      this.results = this.#results as ToolMessage[];
      this.#settleTurn(this.results);
    }
  }
}

/**
 * Runs one turn's tool calls concurrently. Every outcome (unknown or refused tool, invalid
 * arguments, a throw after its retries, a timeout, a call a person rejected) is a result message
 * the model sees; results come back in call order and context updates apply in call order.
 * `rejected` maps call ids a person rejected to the reason, which becomes their error result.
 *
 * @example
 * ```ts
 * const turn = runToolCalls(response.toolCalls, toolSet, env);
 * const results = await turn.done; // ToolMessage[] in call order
 * ```
 */
export function runToolCalls(
  calls: readonly ToolCall[],
  tools: ToolSet,
  env: ToolTurnEnv,
  rejected?: ReadonlyMap<string, string>,
): ToolTurn {
  const turn = new Turn(env, calls, rejected);
  turn.start(tools);
  return turn;
}
