import { waitForLease } from '../agent/lease.js';
import { settleLease } from '../agent/run.js';
import type { LimiterBackend } from '../backend/interfaces.js';
import type { Clock } from '../clock.js';
import type { ChatMessage, Model, ModelUsage } from '../model.js';

/** The summariser's system prompt unless the policy gives one. */
export const DEFAULT_SUMMARY_INSTRUCTIONS =
  'You compress a conversation so an assistant can go on with it. Write a concise summary ' +
  'that keeps every fact, decision, name, number, file and open task the assistant still ' +
  'needs; merge it with the summary so far. Answer with the summary only.';

/** How a summary opens in history. */
export const SUMMARY_HEADING = 'Summary of the earlier conversation:';

/** One message's line in the transcript is cut past this many characters. */
const MAX_LINE_CHARS = 8_000;

/** What a summary call needs from its agent: its lease, its model, where its usage goes. */
export interface SummaryCall {
  readonly model: Model;
  readonly limiter: LimiterBackend;
  readonly clock: Clock;
  readonly keys: readonly string[];
  readonly leaseTimeoutMs: number;
  readonly random: () => number;
  readonly signal: AbortSignal;
  readonly maxTokens: number;
  readonly instructions: string | undefined;
  /** The call's usage: counted like any model call of the agent. */
  used(usage: ModelUsage): void;
}

/**
 * Summarises `dropped` (with the summary so far) in one model call, under a lease from the
 * limiter like any call, settled with the tokens the model reports. `undefined` when there is
 * no lease in time or the call fails: the caller keeps its view without a new summary.
 */
export async function summarize(
  call: SummaryCall,
  previous: ChatMessage | undefined,
  dropped: readonly ChatMessage[],
): Promise<string | undefined> {
  const transcript = render(previous, dropped);
  const request = {
    system: call.instructions ?? DEFAULT_SUMMARY_INSTRUCTIONS,
    messages: [{ role: 'user' as const, content: transcript }],
    tools: [],
    maxOutputTokens: call.maxTokens,
    signal: call.signal,
  };
  const estimate = call.model.estimateTokens?.(request) ?? Math.ceil(transcript.length / 4);
  const outcome = await waitForLease({
    limiter: call.limiter,
    clock: call.clock,
    keys: call.keys,
    tokens: estimate,
    timeoutMs: call.leaseTimeoutMs,
    signal: call.signal,
    random: call.random,
  }).catch(() => undefined);
  if (outcome === undefined || !outcome.ok) return undefined;
  try {
    const response = await call.model.generate(request);
    const { usage } = response;
    settleLease(outcome.lease, usage.inputTokens + usage.outputTokens, usage.costUsd);
    call.used(usage);
    const text = response.text.trim();
    return text.length === 0 ? undefined : text;
  } catch {
    // The request was made (or may have been): it counts, with no tokens.
    settleLease(outcome.lease, 0, undefined);
    return undefined;
  }
}

/** The summary so far and the dropped turns as one plain-text transcript. */
function render(previous: ChatMessage | undefined, dropped: readonly ChatMessage[]): string {
  const lines: string[] = [];
  if (previous !== undefined) {
    const text = previous.content;
    const bare = text.startsWith(SUMMARY_HEADING) ? text.slice(SUMMARY_HEADING.length + 1) : text;
    lines.push('Summary so far:', bare, '');
  }
  lines.push('Conversation to add to it:');
  for (const message of dropped) {
    if (message.role === 'user') {
      lines.push(
        cut(
          `user${message.from === undefined ? '' : ` (from ${message.from})`}: ${message.content}`,
        ),
      );
    } else if (message.role === 'assistant') {
      if (message.content.length > 0) lines.push(cut(`assistant: ${message.content}`));
      for (const c of message.toolCalls ?? [])
        lines.push(cut(`assistant called ${c.name}(${JSON.stringify(c.arguments)})`));
    } else {
      lines.push(
        cut(
          `${message.name} returned${message.isError === true ? ' an error' : ''}: ${message.content}`,
        ),
      );
    }
  }
  return lines.join('\n');
}

function cut(line: string): string {
  return line.length <= MAX_LINE_CHARS ? line : `${line.slice(0, MAX_LINE_CHARS)}…`;
}
