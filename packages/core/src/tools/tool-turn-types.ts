// The shapes of one turn's tool calls (see run-tools.ts): what they reach, who hears of them,
// and the turn the caller holds.
import type { Clock } from '../clock.js';
import type { ToolOutcome } from '../events/team-events.js';
import type { ChatMessage, ToolCall } from '../model.js';
import type { ContextUpdate } from './context-update.js';

/** A tool result message, as appended to history. */
export type ToolMessage = Extract<ChatMessage, { role: 'tool' }>;

/** What the calls of one turn reach: the agent's context and where to report. */
export interface ToolTurnEnv {
  readonly agent: string;
  readonly clock: Clock;
  /** The agent's context now. */
  context(): Readonly<Record<string, unknown>>;
  /** Applies one call's updates to the agent's context (called in call order). */
  update(updates: readonly ContextUpdate[]): void;
  /** Set when someone listens: told of each call as it starts and ends. */
  readonly observer?: ToolObserver | undefined;
}

/**
 * Hooks for events about tool calls. Every call is reported, whatever its outcome: a call
 * refused before it ran (unknown tool, a tool the role denies, invalid arguments) is `called`
 * and then `returned` at once with `isError` and its `outcome`.
 */
export interface ToolObserver {
  called(call: ToolCall): void;
  returned(call: ToolCall, isError: boolean, durationMs: number, outcome: ToolOutcome): void;
}

/** The calls of one turn: their results in call order, and a way to abandon them. */
export interface ToolTurn {
  /** Results in call order; resolves with `undefined` when the turn was aborted. */
  readonly done: Promise<ToolMessage[] | undefined>;
  /**
   * The results when every call finished synchronously (plain, non-async tools): the caller can
   * skip awaiting `done`. Undefined otherwise.
   */
  readonly results: ToolMessage[] | undefined;
  /** Abandons the turn: aborts every call's signal and clears its timers. */
  abort(reason: unknown): void;
}
