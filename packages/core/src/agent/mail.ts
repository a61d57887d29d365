import type { Message } from '../backend/interfaces.js';
import type { ChatMessage } from '../model.js';

/**
 * How a message reached an agent: a plain message (`post_message`, `team.post`), a task whose
 * answer someone awaits (`team.send`, `team.run`), a question from another agent (`ask_agent`)
 * or a task passed on (`handoff`).
 */
/**
 * The bus topic of an agent's inbox (`post_message({ to })` posts there).
 *
 * @example
 * ```ts
 * await bus.post(inboxTopic('ada'), { from: 'lead', body: 'please review' });
 * ```
 */
export const inboxTopic = (agent: string): string => `inbox:${agent}`;

/** The context key where `wait_messages` keeps its read position on a topic. */
export const topicCursorKey = (topic: string): string => `cursor:${topic}`;

export type MailKind = 'message' | 'send' | 'ask' | 'handoff';

/**
 * One message of an agent's mailbox, as its actor receives it.
 */
export interface Mail {
  /** Its position in the mailbox topic (`inbox:<agent>`): handled at most once. */
  readonly seq: number;
  /** The reply id when someone awaits the answer (send, ask, handoff). */
  readonly id: string | undefined;
  readonly kind: MailKind;
  readonly from: string;
  readonly text: string;
  readonly at: number;
  /** The W3C `traceparent` its sender put on it (see {@link MailEnvelope.trace}), if any. */
  readonly trace?: string;
}

/**
 * The body of an awaited message on the bus. A plain message's body is its text (a string), so
 * code reading `inbox:<agent>` directly sees what was posted.
 */
export interface MailEnvelope {
  readonly kind: Exclude<MailKind, 'message'>;
  readonly id: string;
  readonly text: string;
  /**
   * The sender's trace context as a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`): a team
   * with tracing on sets it on sends, asks and handoffs, and the run that answers the message
   * continues that trace, in this process or another (packages/core/docs/tracing.md).
   */
  readonly trace?: string;
}

/** The sender of messages from outside the team (`team.send`, `team.post` without `from`). */
export const USER_SENDER = 'user';

const KINDS = new Set(['send', 'ask', 'handoff']);

function isEnvelope(body: unknown): body is MailEnvelope {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    typeof b.kind === 'string' &&
    KINDS.has(b.kind) &&
    typeof b.id === 'string' &&
    typeof b.text === 'string'
  );
}

/** A bus message of a mailbox topic as a {@link Mail}; any other body is shown as JSON. */
export function mailFromMessage(message: Message): Mail {
  const { seq, from, body, at } = message;
  if (typeof body === 'string')
    return { seq, id: undefined, kind: 'message', from, text: body, at };
  if (isEnvelope(body)) {
    const { id, kind, text, trace } = body;
    return typeof trace === 'string'
      ? { seq, id, kind, from, text, at, trace }
      : { seq, id, kind, from, text, at };
  }
  return { seq, id: undefined, kind: 'message', from, text: JSON.stringify(body) ?? '', at };
}

/** The trace context of the first of `mails` that carries one (the run that answers them continues it). */
export function mailTrace(mails: readonly Mail[]): string | undefined {
  for (const mail of mails) if (mail.trace !== undefined) return mail.trace;
  return undefined;
}

/**
 * The user message a mail becomes in the agent's history, with its mailbox `seq`: the text as
 * sent from outside the team; from another agent, with `from` and headed by who sent it and how,
 * so the model knows whom it answers.
 */
export function mailMessage(mail: Mail): ChatMessage {
  const { from, text, seq } = mail;
  if (from === USER_SENDER) return { role: 'user', content: text, seq };
  const head =
    mail.kind === 'ask'
      ? `Question from ${from} (your final answer goes back to them):`
      : mail.kind === 'handoff'
        ? `Task handed off to you by ${from}:`
        : `Message from ${from}:`;
  return { role: 'user', content: `${head}\n${text}`, from, seq };
}
