import { invalidArgument } from '../errors.js';
import type { ChatMessage } from '../model.js';

/**
 * State an agent derives from its history (a todo list from its todo tool calls, say): a fold
 * over messages. Rebuilt once when a session is loaded, from at most the last `lookBack`
 * messages, then kept current one message at a time: never rescanned per message.
 *
 * @example
 * ```ts
 * const turns: Deriver<number> = { initial: () => 0, apply: (n, m) => (m.role === 'user' ? n + 1 : n) };
 * ```
 */
export interface Deriver<S = unknown> {
  /** The state before any message. */
  initial(): S;
  /** The state after `message`. May update `state` in place and return it. */
  apply(state: S, message: ChatMessage): S;
  /** A rebuild folds at most this many of the latest messages (default 1000). */
  readonly lookBack?: number;
}

/**
 * Default bound on how far back a rebuild looks.
 *
 * @example
 * ```ts
 * defineDeriver({ ...todos, lookBack: DEFAULT_LOOK_BACK * 2 });
 * ```
 */
export const DEFAULT_LOOK_BACK = 1_000;

/**
 * Checks a deriver once and returns it, typed (for `defineAgent({ derive: { ... } })`).
 *
 * @example
 * ```ts
 * const todos = defineDeriver({
 *   initial: () => new Set<string>(),
 *   apply(open, message) {
 *     if (message.role !== 'assistant') return open;
 *     for (const call of message.toolCalls ?? []) {
 *       const { item } = call.arguments as { item: string };
 *       if (call.name === 'todo_add') open.add(item);
 *       if (call.name === 'todo_done') open.delete(item);
 *     }
 *     return open;
 *   },
 *   lookBack: 500,
 * });
 * ```
 */
export function defineDeriver<S>(deriver: Deriver<S>, name = 'deriver'): Deriver<S> {
  if (typeof deriver !== 'object' || deriver === null)
    throw invalidArgument(`${name} must be an object`);
  if (typeof deriver.initial !== 'function')
    throw invalidArgument(`${name}.initial must be a function`);
  if (typeof deriver.apply !== 'function')
    throw invalidArgument(`${name}.apply must be a function`);
  const { lookBack } = deriver;
  if (lookBack !== undefined && !(Number.isSafeInteger(lookBack) && lookBack >= 1)) {
    throw invalidArgument(`${name}.lookBack must be a positive integer`, { lookBack });
  }
  return deriver;
}

/**
 * Counters that show the work done: `applied` grows by one per message, never per scan.
 *
 * @example
 * ```ts
 * const { rebuilds, rebuildMessages, applied } = derived.stats();
 * ```
 */
export interface DerivedStats {
  readonly rebuilds: number;
  /** Messages folded in by rebuilds (at most `lookBack` each). */
  readonly rebuildMessages: number;
  /** Messages folded in one at a time as history grew. */
  readonly applied: number;
}

/**
 * One agent's derived states, each kept current with its history. `observe` folds in only the
 * messages after its cursor, so keeping up costs O(new messages).
 *
 * @example
 * ```ts
 * const derived = new DerivedState({ todos });
 * derived.rebuild(history);   // on load: bounded by lookBack
 * history.push(message);
 * derived.observe(history);   // folds in just the new message
 * derived.get('todos');
 * ```
 */
export class DerivedState {
  readonly #derivers: readonly [string, Deriver][];
  readonly #values = new Map<string, unknown>();
  /** History positions folded in so far. */
  #cursor = 0;
  #rebuilds = 0;
  #rebuildMessages = 0;
  #applied = 0;

  constructor(derivers: Readonly<Record<string, Deriver>> | undefined) {
    this.#derivers = Object.entries(derivers ?? {});
    for (const [key, deriver] of this.#derivers) this.#values.set(key, deriver.initial());
  }

  /** True when there is nothing to derive (observing then costs nothing). */
  get empty(): boolean {
    return this.#derivers.length === 0;
  }

  /** Recomputes every state from the last `lookBack` messages of `history`. */
  rebuild(history: readonly ChatMessage[]): void {
    for (const [key, deriver] of this.#derivers) {
      const from = Math.max(0, history.length - (deriver.lookBack ?? DEFAULT_LOOK_BACK));
      let state = deriver.initial();
      for (let i = from; i < history.length; i++) state = deriver.apply(state, history[i]!);
      this.#values.set(key, state);
      this.#rebuildMessages += history.length - from;
    }
    this.#cursor = history.length;
    this.#rebuilds++;
  }

  /** Folds in the messages of `history` after the last one seen. */
  observe(history: readonly ChatMessage[]): void {
    if (this.#derivers.length === 0) {
      this.#cursor = history.length;
      return;
    }
    for (let i = this.#cursor; i < history.length; i++) {
      const message = history[i]!;
      for (const [key, deriver] of this.#derivers) {
        this.#values.set(key, deriver.apply(this.#values.get(key), message));
      }
      this.#applied++;
    }
    this.#cursor = history.length;
  }

  /** One derived state by key. */
  get(key: string): unknown {
    return this.#values.get(key);
  }

  /** Every derived state by key. */
  values(): Record<string, unknown> {
    return Object.fromEntries(this.#values);
  }

  stats(): DerivedStats {
    return {
      rebuilds: this.#rebuilds,
      rebuildMessages: this.#rebuildMessages,
      applied: this.#applied,
    };
  }
}
