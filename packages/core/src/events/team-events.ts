/**
 * Typed team events: a discriminated union on `type`. Every event carries `at` (the team clock's
 * time) and, except `events.dropped`, the `agent` it is about. Events are plain, structured-clone
 * safe objects (pool workers send them to the coordinator).
 */
import type { ModelDelta } from '../model.js';

/**
 * Visible states of an agent actor.
 */
export type AgentState =
  | 'idle'
  | 'waitingForLease'
  | 'callingModel'
  | 'runningTools'
  /** Paused: tool calls that need a person's approval wait for `team.approve` / `team.reject`. */
  | 'awaitingApproval'
  | 'done'
  | 'failed'
  /** Failed, and the supervisor will restart it (after its backoff); messages wait for it. */
  | 'restarting';

/**
 * How a run ended (see `RunResult`).
 */
export type RunStatus =
  | 'completed'
  | 'max_turns'
  | 'interrupted'
  | 'cancelled'
  | 'failed'
  | 'handed_off'
  | 'budget_exhausted'
  | 'rate_limited';

/**
 * Usage totals of a run or an agent.
 */
export interface Usage {
  readonly requests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  readonly costUsd: number;
}

/**
 * An error as events and results carry it.
 */
export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
}

/**
 * How a tool call ended, as `tool.returned` reports it: `'ok'`; `'error'` (the tool threw after
 * its retries, its result was not serialisable, or its context update was refused);
 * `'timeout'`; or refused before it ran: `'invalid_arguments'` (the schema or the argument
 * bounds refused them), `'unknown_tool'`, `'denied'` (the agent's role does not allow it),
 * `'rejected'` (a person rejected the call: `team.reject`).
 */
export type ToolOutcome =
  | 'ok'
  | 'error'
  | 'timeout'
  | 'invalid_arguments'
  | 'unknown_tool'
  | 'denied'
  | 'rejected';

interface Base {
  readonly at: number;
  readonly agent: string;
}

/**
 * A team event: a discriminated union on `type` (see docs/agents.md for every type).
 */
export type TeamEvent =
  | (Base & { readonly type: 'agent.started'; readonly role?: string })
  | (Base & { readonly type: 'agent.stopped' })
  | (Base & { readonly type: 'agent.state'; readonly state: AgentState })
  | (Base & {
      readonly type: 'run.started';
      readonly runId: string;
      /** The W3C `traceparent` of the message that started the run, when its sender traced it. */
      readonly trace?: string;
    })
  | (Base & {
      readonly type: 'run.finished';
      readonly runId: string;
      readonly status: RunStatus;
      readonly turns: number;
      readonly usage: Usage;
    })
  | (Base & { readonly type: 'agent.interrupted'; readonly runId: string })
  | (Base & { readonly type: 'turn.started'; readonly runId: string; readonly turn: number })
  | (Base & { readonly type: 'lease.waited'; readonly runId: string; readonly waitedMs: number })
  | (Base & {
      readonly type: 'budget.exhausted';
      readonly runId: string;
      /** The limiter keys the run needed: one of them has a lifetime budget that is spent. */
      readonly keys: readonly string[];
    })
  | (Base & {
      readonly type: 'model.requested';
      readonly runId: string;
      readonly turn: number;
      readonly messages: number;
      /** The model's id (`Model.id`, e.g. `openai:gpt-4o-mini`). */
      readonly model?: string;
    })
  | (Base & {
      readonly type: 'model.delta';
      readonly runId: string;
      readonly turn: number;
      /** Streamed text or a fragment of a tool call's arguments, as the model sent it. */
      readonly delta: ModelDelta;
    })
  | (Base & {
      readonly type: 'model.answered';
      readonly runId: string;
      readonly turn: number;
      readonly toolCalls: number;
      readonly inputTokens: number;
      readonly outputTokens: number;
      readonly stopReason: string;
    })
  | (Base & {
      readonly type: 'tool.called';
      readonly runId: string;
      readonly tool: string;
      readonly callId: string;
    })
  | (Base & {
      readonly type: 'tool.returned';
      readonly runId: string;
      readonly tool: string;
      readonly callId: string;
      readonly isError: boolean;
      readonly durationMs: number;
      /** How the call ended (absent from emitters that predate it). */
      readonly outcome?: ToolOutcome;
    })
  | (Base & {
      /** A tool call waits for a person: `team.approve(runId, callId)` or `team.reject(...)`. */
      readonly type: 'tool.approval_requested';
      readonly runId: string;
      readonly callId: string;
      readonly tool: string;
      /** The arguments the model gave, as it gave them. */
      readonly arguments: unknown;
    })
  | (Base & {
      readonly type: 'tool.approval_decided';
      readonly runId: string;
      readonly callId: string;
      readonly tool: string;
      readonly approved: boolean;
      /** Why it was rejected (what the model sees as the call's result). */
      readonly reason?: string;
    })
  | (Base & {
      readonly type: 'claim.granted';
      readonly resource: string;
      readonly start: number;
      readonly end: number;
      readonly token: number;
    })
  | (Base & {
      readonly type: 'claim.conflicted';
      readonly resource: string;
      /** The agent holding the conflicting claim. */
      readonly holder: string;
      readonly start: number;
      readonly end: number;
    })
  | (Base & {
      readonly type: 'claim.released';
      readonly resource: string;
      readonly released: boolean;
    })
  | (Base & { readonly type: 'discovery.shared'; readonly topic: string; readonly seq: number })
  | (Base & {
      readonly type: 'message.posted';
      readonly topic: string;
      readonly seq: number;
      readonly to?: string;
    })
  | (Base & {
      readonly type: 'agent.failed';
      readonly error: ErrorInfo;
      readonly restarts: number;
      readonly final: boolean;
    })
  | (Base & { readonly type: 'agent.restarted'; readonly restarts: number })
  | { readonly type: 'events.dropped'; readonly at: number; readonly count: number };

/**
 * Every event type name.
 */
export type TeamEventType = TeamEvent['type'];

/**
 * The event of one type.
 */
export type TeamEventOf<T extends TeamEventType> = Extract<TeamEvent, { type: T }>;

/**
 * Where agents report events. `active` is false when nobody listens: callers check it before
 * building an event, so observability costs one property read when off. `wants(type)`, when the
 * sink has it, says whether anyone takes that type (a sink without it wants every type while
 * `active`): see {@link sinkWants}.
 */
export interface EventSink {
  readonly active: boolean;
  emit(event: TeamEvent): void;
  wants?(type: TeamEventType): boolean;
}

/**
 * Whether `sink` takes events of `type`: emitters ask before building an event.
 *
 * @example
 * ```ts
 * if (sinkWants(events, 'tool.called')) events.emit({ type: 'tool.called', ...fields });
 * ```
 */
export function sinkWants(sink: EventSink, type: TeamEventType): boolean {
  return sink.active && (sink.wants === undefined || sink.wants(type));
}
