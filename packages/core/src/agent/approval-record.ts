import { invalidArgument, TroupeError } from '../errors.js';
import type { ChatMessage, ToolCall } from '../model.js';

/**
 * A person's decision on one tool call: approved (the call runs), or rejected with the reason
 * the model sees as the call's result. Plain data: it crosses to pool workers.
 */
export type ApprovalDecision =
  | { readonly approved: true }
  | { readonly approved: false; readonly reason: string };

/**
 * The context key where a run paused for approval keeps what it waits for. The context goes
 * into every snapshot, so the pause is stored with the assistant message whose calls it holds:
 * a resumed session finds it and pauses again instead of closing those calls.
 */
export const APPROVALS_KEY = 'approvals:pending';

/** What a paused run stores under {@link APPROVALS_KEY} (JSON only). */
export interface PauseRecord {
  readonly runId: string;
  /** Turns the run had taken (`maxTurns` goes on counting after a resume). */
  readonly turns: number;
  /** Calls that need a decision, in call order. */
  readonly needed: readonly string[];
  /** Decisions so far: `true` approved, a string the rejection's reason. */
  readonly decisions: Readonly<Record<string, true | string>>;
}

/** The stored pause in `context`, when there is a well-formed one. */
export function pauseRecord(context: Readonly<Record<string, unknown>>): PauseRecord | undefined {
  const value = context[APPROVALS_KEY];
  if (typeof value !== 'object' || value === null) return undefined;
  const { runId, turns, needed, decisions } = value as Record<string, unknown>;
  if (typeof runId !== 'string' || typeof turns !== 'number') return undefined;
  if (!Array.isArray(needed) || !needed.every((id) => typeof id === 'string')) return undefined;
  if (typeof decisions !== 'object' || decisions === null) return undefined;
  for (const decision of Object.values(decisions))
    if (decision !== true && typeof decision !== 'string') return undefined;
  return value as PauseRecord;
}

/**
 * The tool calls a stored pause holds open: those of the history's last message when it is an
 * assistant message with calls, none of them answered, and every call the pause waits for
 * among them. `undefined` when the pause does not match the history (it is then dropped).
 */
export function pausedCalls(
  history: readonly ChatMessage[],
  record: PauseRecord,
): readonly ToolCall[] | undefined {
  const last = history[history.length - 1];
  if (last?.role !== 'assistant' || last.toolCalls === undefined) return undefined;
  const ids = new Set(last.toolCalls.map((call) => call.id));
  return record.needed.length > 0 && record.needed.every((id) => ids.has(id))
    ? last.toolCalls
    : undefined;
}

const RUN_ID = /^(.+):\d+$/;

/**
 * The agent whose run `runId` is (run ids are `<agent>:<n>`), for `team.approve` and
 * `team.reject`. A non-string id or reason is `ERR_INVALID_ARGUMENT`; a string that is no run
 * id is `ERR_NOT_FOUND` (no such run).
 */
export function approvalTarget(runId: unknown, callId: unknown, reason?: unknown): string {
  if (typeof runId !== 'string') throw invalidArgument('runId must be a string');
  if (typeof callId !== 'string') throw invalidArgument('callId must be a string', { runId });
  if (reason !== undefined && typeof reason !== 'string')
    throw invalidArgument('reason must be a string', { runId, callId });
  const agent = RUN_ID.exec(runId)?.[1];
  if (agent === undefined)
    throw new TroupeError('ERR_NOT_FOUND', `no run "${runId}"`, { details: { runId, callId } });
  return agent;
}
