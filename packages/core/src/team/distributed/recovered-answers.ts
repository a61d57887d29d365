import { mailFromMessage } from '../../agent/mail.js';
import type { RunResult } from '../../agent/run-result.js';
import { newUsage, usageSnapshot } from '../../agent/usage.js';
import type { Message } from '../../backend/interfaces.js';
import type { ChatMessage } from '../../model.js';

/** How many of the last handled mailbox messages a take-over answers again. */
export const REANSWER_WINDOW = 100;

/** An answer a dead host may have lost: the reply id and the run's result, from history. */
export interface RecoveredAnswer {
  readonly id: string;
  readonly result: RunResult;
}

/**
 * Answers to send again after a take-over. A dead host may have saved a run's history and died
 * before its answer reached the asker's reply topic; the message counts as handled, so no run
 * answers it again. For each awaited message of `inbox` that `history` shows handled, the
 * final answer after it (the first assistant message without tool calls, before the next
 * message) is its answer, unless the run handed the task off (its answer then comes from
 * the agent it was handed to). Sending an answer twice is harmless: a reply id is settled once.
 */
export function recoveredAnswers(
  agent: string,
  history: readonly ChatMessage[],
  inbox: readonly Message[],
): RecoveredAnswer[] {
  const answers = new Map<number, string | undefined>();
  let open: number[] = [];
  let handedOff = false;
  for (const message of history) {
    if (message.role === 'user' && typeof message.seq === 'number') {
      open.push(message.seq);
      continue;
    }
    if (message.role !== 'assistant' || open.length === 0) continue;
    if (message.toolCalls !== undefined && message.toolCalls.length > 0) {
      if (message.toolCalls.some((call) => call.name === 'handoff')) handedOff = true;
      continue;
    }
    for (const seq of open) answers.set(seq, handedOff ? undefined : message.content);
    open = [];
    handedOff = false;
  }
  const out: RecoveredAnswer[] = [];
  for (const message of inbox) {
    const text = answers.get(message.seq);
    const { id } = mailFromMessage(message);
    if (text === undefined || id === undefined) continue;
    out.push({
      id,
      result: {
        runId: `${agent}:recovered`,
        agent,
        status: 'completed',
        text,
        turns: 0,
        usage: usageSnapshot(newUsage()),
      },
    });
  }
  return out;
}
