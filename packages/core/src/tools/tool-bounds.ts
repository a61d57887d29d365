// What a model may hand a tool and what a tool may hand back into the agent's context: the
// bounds checked before a call runs, and the JSON check on context updates.
import { checkJsonValue } from '../backend/json-value.js';
import type { ContextUpdate } from './context-update.js';

/**
 * Deepest nesting of objects and arrays a model's tool arguments may have: 64 levels. Deeper
 * arguments are an error result the model sees (`outcome: 'invalid_arguments'`), checked
 * before the schema runs, so no validator or later reader recurses that deep.
 *
 * @example
 * ```ts
 * const tooDeep = jsonProblem(call.arguments, { maxDepth: MAX_TOOL_ARGUMENT_DEPTH }) !== undefined;
 * ```
 */
export const MAX_TOOL_ARGUMENT_DEPTH = 64;

/**
 * Largest size of a model's tool arguments as JSON text: 1,000,000 characters. Larger
 * arguments are an error result the model sees, like {@link MAX_TOOL_ARGUMENT_DEPTH}.
 *
 * @example
 * ```ts
 * const limits = { maxDepth: MAX_TOOL_ARGUMENT_DEPTH, maxBytes: MAX_TOOL_ARGUMENT_CHARS };
 * ```
 */
export const MAX_TOOL_ARGUMENT_CHARS = 1_000_000;

/** Both bounds, as {@link jsonProblem} takes them. */
export const ARGUMENT_LIMITS = {
  maxDepth: MAX_TOOL_ARGUMENT_DEPTH,
  maxBytes: MAX_TOOL_ARGUMENT_CHARS,
};

/** Why a tool's context updates cannot apply (a value JSON cannot hold), if so. */
export function updatesProblem(updates: readonly ContextUpdate[]): string | undefined {
  try {
    for (let i = 0; i < updates.length; i++) {
      const update = updates[i] as { value?: unknown };
      if (typeof update === 'object' && update !== null && 'value' in update) {
        checkJsonValue(update.value, `updates[${i}].value`);
      }
    }
  } catch (error) {
    return errorText(error);
  }
  return undefined;
}

/** The text a model sees for a thrown value. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `Error: ${String(error)}`;
}
