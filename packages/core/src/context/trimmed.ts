import type { ChatMessage } from '../model.js';

/**
 * Stands in, in a live agent's in-memory history, for a message that is already handed to the
 * session store and behind the context view: a long-lived agent's memory stays bounded, and
 * positions keep their meaning. `team.history()` reads such messages back from the store. A
 * plain object with a marker field, so it survives the structured clone to a pool worker.
 */
export const TRIMMED: ChatMessage = Object.freeze({
  role: 'user',
  content: '',
  trimmed: true,
} as ChatMessage);

/** True for {@link TRIMMED} (or its copy from a pool worker). */
export function isTrimmed(message: ChatMessage | undefined): boolean {
  return (message as { trimmed?: unknown } | undefined)?.trimmed === true;
}
