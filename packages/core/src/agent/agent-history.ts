import { trimHistory } from '../context/trimmed.js';
import type { ChatMessage } from '../model.js';
import { DerivedState, type Deriver } from '../session/derived.js';

/** What a stored session gives back of the agent's runs: how many, and the last mailbox seq. */
export interface LoadedHistory {
  readonly runs: number;
  readonly cursor: number;
}

/**
 * One agent's history (every message of every run, append-only), how much of it the store
 * holds, and the states derived from it. With a store, messages already saved and older than
 * the context view leave memory (trimmed once each); `team.history()` reads them back from it.
 */
export class AgentHistory {
  readonly messages: ChatMessage[] = [];
  /** Messages before this position are handed to the store. */
  #savedUpTo = 0;
  /** History positions before this one are trimmed (in the store, out of the view). */
  #trimmedUpTo = 0;
  /**
   * State derived from history (the definition's `derive`), kept current per message; none for
   * an agent that derives nothing (most: an idle agent is kept small).
   */
  readonly #derived: DerivedState | undefined;

  constructor(derive: Readonly<Record<string, Deriver>> | undefined) {
    this.#derived =
      derive === undefined || Object.keys(derive).length === 0
        ? undefined
        : new DerivedState(derive);
  }

  /** True when messages were added since the last save. */
  get unsaved(): boolean {
    return this.messages.length > this.#savedUpTo;
  }

  /**
   * Replaces the history with a stored session's, of which `stored` messages are already
   * persisted. Each run starts with at least one user message: counting them keeps run ids
   * going on (`name:n`) instead of repeating the ones the stored session already logged.
   */
  load(history: readonly ChatMessage[], stored: number): LoadedHistory {
    this.messages.length = 0;
    this.#trimmedUpTo = 0;
    let runs = 0;
    let cursor = 0;
    for (const message of history) {
      this.messages.push(message);
      // A summary context compaction wrote is not a run's message.
      if (message.role !== 'user' || message.summarizes !== undefined) continue;
      runs++;
      if (message.seq !== undefined && message.seq > cursor) cursor = message.seq;
    }
    this.#savedUpTo = stored;
    this.#derived?.rebuild(this.messages);
    return { runs, cursor };
  }

  /** The derived states, current with the history (folds in only messages not seen yet). */
  derivedValues(): Record<string, unknown> {
    if (this.#derived === undefined) return {};
    this.#derived.observe(this.messages);
    return this.#derived.values();
  }

  /**
   * The end of a turn: derived states fold in the new messages; with a store (`save`), the
   * messages from the last save on are handed to it, then what the view no longer needs
   * (before `firstKept()`) leaves memory. O(1) amortized per message.
   */
  afterTurn(save: ((fromIndex: number) => void) | undefined, firstKept: () => number): void {
    this.#derived?.observe(this.messages);
    if (save === undefined) return;
    const from = this.#savedUpTo;
    this.#savedUpTo = this.messages.length;
    save(from);
    const end = Math.min(this.#savedUpTo, firstKept());
    if (end <= this.#trimmedUpTo) return;
    trimHistory(this.messages, this.#trimmedUpTo, end);
    this.#trimmedUpTo = end;
  }
}
