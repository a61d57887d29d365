import { pausedCalls, pauseRecord } from '../agent/approval-record.js';
import { newUsage } from '../agent/usage.js';
import type { Usage } from '../events/team-events.js';
import type { ChatMessage } from '../model.js';
import type { SessionStore } from './types.js';

/**
 * A stored session, ready to load into an agent.
 *
 * @example
 * ```ts
 * const session: RestoredSession | undefined = await loadSession(store, 'team-1/ada');
 * ```
 */
export interface RestoredSession {
  /**
   * The stored history, plus a synthetic result for each dangling tool call at its end (unless
   * the run was paused for approval: those calls stay open, and the agent pauses again).
   */
  readonly history: readonly ChatMessage[];
  /** How many of `history`'s messages are already stored (the synthetic ones are not). */
  readonly stored: number;
  readonly context: Readonly<Record<string, unknown>>;
  readonly usage: Usage;
  /** The stored snapshot's revision (0 without one): later saves must go above it. */
  readonly revision: number;
  /** Tool calls that had no result and got a synthetic one. */
  readonly repaired: number;
}

const NO_USAGE: Usage = Object.freeze(newUsage());

/**
 * The content of the synthetic result a dangling tool call gets on resume.
 *
 * @example
 * ```ts
 * const abandoned = history.filter((m) => m.role === 'tool' && m.content === RESUMED_TOOL_RESULT);
 * ```
 */
export const RESUMED_TOOL_RESULT =
  'Tool call abandoned: the agent was restarted from its saved session before the call finished.';

/**
 * Loads a session to resume: the snapshot (context, usage, revision) and the whole stored
 * history, or `undefined` when nothing is stored. History is written before the snapshot that
 * covers it, so it may be ahead of the snapshot (a crash between the two): the history wins,
 * as the conversation's record. A history that ends in an assistant message whose tool calls
 * have no result (a crash mid-turn) gets a synthetic error result per call, so the model sees
 * the call never finished, unless the snapshot's context holds a pause for approval of those
 * very calls (agent/approval-record.ts): they stay open, and the restored agent pauses again
 * so the same approval can be given. `ERR_UNKNOWN_VERSION` propagates: a session this code
 * cannot read is never silently replaced.
 *
 * @example
 * ```ts
 * const session = await loadSession(store, 'team-1/ada');
 * if (session) console.log(session.history.length, session.usage.requests);
 * ```
 */
export async function loadSession(
  store: SessionStore,
  sessionId: string,
): Promise<RestoredSession | undefined> {
  const snapshot = await store.loadSnapshot(sessionId);
  const history = await store.loadHistory(sessionId);
  if (snapshot === undefined && history.length === 0) return undefined;
  const stored = history.length;
  const pause = snapshot === undefined ? undefined : pauseRecord(snapshot.context);
  const paused = pause !== undefined && pausedCalls(history, pause) !== undefined;
  const repaired = paused ? 0 : closeDanglingToolCalls(history);
  return {
    history,
    stored,
    context: snapshot?.context ?? {},
    usage: snapshot?.usage ?? NO_USAGE,
    revision: snapshot?.revision ?? 0,
    repaired,
  };
}

/**
 * Appends a synthetic error result for every tool call of the last assistant message that has
 * none, and returns how many it added. Looks only at the tail after that message: O(calls).
 *
 * @example
 * ```ts
 * const added = closeDanglingToolCalls(history); // history now ends with a result per call
 * ```
 */
export function closeDanglingToolCalls(history: ChatMessage[]): number {
  let last = history.length - 1;
  while (last >= 0 && history[last]!.role === 'tool') last--;
  const message = history[last];
  if (message?.role !== 'assistant' || message.toolCalls === undefined) return 0;
  const answered = new Set<string>();
  for (let i = last + 1; i < history.length; i++) {
    const result = history[i]!;
    if (result.role === 'tool') answered.add(result.toolCallId);
  }
  let added = 0;
  for (const call of message.toolCalls) {
    if (answered.has(call.id)) continue;
    history.push({
      role: 'tool',
      toolCallId: call.id,
      name: call.name,
      content: RESUMED_TOOL_RESULT,
      isError: true,
    });
    added++;
  }
  return added;
}
