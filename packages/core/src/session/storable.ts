// What a team persists after a turn is made storable first: one value JSON cannot hold (or one
// nested past MAX_JSON_DEPTH, such as a model's runaway tool arguments) must not cost the whole
// snapshot or history range it sits in, nor make every later save of the agent fail.
import { jsonProblem, MAX_JSON_DEPTH } from '../backend/json-value.js';
import type { ChatMessage } from '../model.js';

/**
 * The key that stands in for a value that could not be stored, with the reason as its value.
 *
 * @example
 * ```ts
 * // A stored tool call whose arguments were 4,175 levels deep:
 * // { id: 'c1', name: 'echo', arguments: { [NOT_STORED]: 'is nested deeper than 256 levels' } }
 * ```
 */
export const NOT_STORED = '[troupe:not-stored]';

/**
 * `message` when JSON can hold it; otherwise a copy where each part that cannot be stored is
 * replaced: a tool call's arguments by `{ [NOT_STORED]: reason }`, the content by a note,
 * any other field left out. Role, tool call ids and names are kept, so the history still pairs
 * every call with its result when it is loaded again.
 *
 * @example
 * ```ts
 * const messages = record.messages.map(storableMessage);
 * ```
 */
export function storableMessage(message: ChatMessage): ChatMessage {
  if (jsonProblem(message) === undefined) return message;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message)) {
    if (key === 'toolCalls' && Array.isArray(value)) {
      out[key] = value.map(storableCall);
      continue;
    }
    const problem = jsonProblem(value, { maxDepth: MAX_JSON_DEPTH - 1 });
    if (problem === undefined) out[key] = value;
    else if (key === 'content') out[key] = `[not stored: the content ${problem}]`;
  }
  return out as unknown as ChatMessage;
}

function storableCall(call: unknown): unknown {
  // The message holds `toolCalls`, which holds the call: two levels above it.
  if (jsonProblem(call, { maxDepth: MAX_JSON_DEPTH - 2 }) === undefined) return call;
  const { id, name, arguments: args } = call as { id: unknown; name: unknown; arguments: unknown };
  const problem = jsonProblem(args, { maxDepth: MAX_JSON_DEPTH - 3 }) ?? 'cannot be stored';
  return { id, name, arguments: { [NOT_STORED]: problem } };
}

/**
 * `context` when JSON can hold it; otherwise a copy without the top-level keys whose values
 * cannot be stored, and their names (to report).
 *
 * @example
 * ```ts
 * const { context, dropped } = storableContext(record.context);
 * if (dropped.length > 0) console.warn('not saved:', dropped);
 * ```
 */
export function storableContext(context: Readonly<Record<string, unknown>>): {
  context: Readonly<Record<string, unknown>>;
  dropped: string[];
} {
  if (jsonProblem(context) === undefined) return { context, dropped: [] };
  const out: Record<string, unknown> = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(context)) {
    if (jsonProblem(value, { maxDepth: MAX_JSON_DEPTH - 1 }) === undefined) out[key] = value;
    else dropped.push(key);
  }
  return { context: out, dropped };
}
