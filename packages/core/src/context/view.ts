import type { ChatMessage } from '../model.js';
import type { ContextPolicy } from './policy.js';
import type { TokenCounter } from './tokens.js';

/**
 * One message of history with the tool results that answer it: the view keeps or drops it
 * whole, so a tool call is never sent without its result (nor a result without its call).
 */
interface Turn {
  /** History position of its first message. */
  readonly start: number;
  readonly messages: ChatMessage[];
  tokens: number;
}

/**
 * Share of the budget the calibrated estimate may reach before the view is compacted: an
 * estimate up to 5% low (the calibration lags a change in the messages' mix) still fits.
 */
export const HEADROOM = 0.95;

/** Stands in for turns dropped without a summary, so the view still opens with a user turn. */
export const OMITTED_NOTE: ChatMessage = Object.freeze({
  role: 'user',
  content: '[Earlier turns of this conversation were left out to fit the context window.]',
});

/** What one compaction took out of the view. */
export interface Dropped {
  readonly messages: readonly ChatMessage[];
  /** History position of the first turn kept: the summary stands for what is before it. */
  readonly through: number;
  /** Turns dropped. */
  readonly turns: number;
}

/**
 * What the model sees of a history: pinned turns, a summary of older turns, and the recent
 * turns. Kept current one message at a time (`observe` folds in only messages it has not seen:
 * O(new messages)); the recent turns are a queue with a head index, so dropping old turns never
 * shifts an array. Between compactions the view only grows at its end, so the prefix the model
 * saw on the last call is byte-identical on the next one (prompt caches hit).
 */
export class ContextView {
  readonly #policy: ContextPolicy;
  readonly #counter: TokenCounter;
  readonly #fixed: number;
  budget: number;
  readonly #pinned: Turn[] = [];
  #pinnedTokens = 0;
  #summary: ChatMessage | undefined = undefined;
  #summaryTokens = 0;
  #omitted = false;
  #recent: Turn[] = [];
  #head = 0;
  #recentTokens = 0;
  /** The turn tool results join (the last one started), and whether it is pinned. */
  #open: Turn | undefined = undefined;
  #openPinned = false;
  #turns = 0;
  /** History positions folded in so far. */
  #cursor = 0;
  /** The messages as sent, kept current per appended message; rebuilt after a compaction. */
  #out: ChatMessage[] | undefined = undefined;
  /** The last message of `#out` as it is in history (`#out` holds a copy with a cache hint). */
  #lastOriginal: ChatMessage | undefined = undefined;

  constructor(policy: ContextPolicy, counter: TokenCounter, fixed: number, budget: number) {
    this.#policy = policy;
    this.#counter = counter;
    this.#fixed = fixed;
    this.budget = budget;
  }

  /** Estimated tokens of the whole request (before calibration). */
  get tokens(): number {
    return this.#fixed + this.#pinnedTokens + this.#summaryTokens + this.#recentTokens;
  }

  /** Recent turns in the view. */
  get turns(): number {
    return this.#recent.length - this.#head;
  }

  /** History position of the oldest recent turn (everything before it is pinned or gone). */
  get firstKept(): number {
    return this.#recent[this.#head]?.start ?? this.#cursor;
  }

  /** The summary the view shows, if any. */
  get summary(): ChatMessage | undefined {
    return this.#summary;
  }

  /**
   * True when the calibrated estimate of the request is past {@link HEADROOM} of the budget
   * (and there is a turn to drop).
   */
  get over(): boolean {
    return this.#counter.scale(this.tokens) > this.budget * HEADROOM && this.turns > 1;
  }

  /** Folds in the messages of `history` after the last one seen. */
  observe(history: readonly ChatMessage[]): void {
    for (let i = this.#cursor; i < history.length; i++) this.#add(history[i]!, i, false);
    this.#cursor = history.length;
  }

  /** The messages to send: a fresh array each call (a model may keep it). */
  messages(history: readonly ChatMessage[]): ChatMessage[] {
    this.observe(history);
    this.#out ??= this.#materialize();
    return this.#out.slice();
  }

  /**
   * The oldest recent turns to drop so the recent turns take `keepRatio` of the room the
   * budget leaves them (less `reserve` tokens for a summary); at least one turn stays.
   * `undefined` when none would go.
   * Changes nothing: {@link commit} drops them (only appends happen in between, so they are
   * still the oldest).
   */
  plan(reserve: number): Dropped | undefined {
    // The room for turns is the budget less what every call sends; a share of it is kept.
    const room =
      this.#counter.unscale(this.budget * HEADROOM) - this.#fixed - this.#pinnedTokens - reserve;
    const target = room * this.#policy.keepRatio;
    const messages: ChatMessage[] = [];
    const recent = this.#recent;
    let tokens = this.#recentTokens;
    let t = this.#head;
    while (tokens > target && recent.length - t > 1) {
      const turn = recent[t++]!;
      tokens -= turn.tokens;
      for (const message of turn.messages) messages.push(message);
    }
    if (t === this.#head) return undefined;
    return { messages, through: recent[t]!.start, turns: t - this.#head };
  }

  /** Drops the `turns` oldest recent turns (a {@link plan}'s). */
  commit(turns: number): void {
    for (let i = 0; i < turns && this.turns > 1; i++) {
      const turn = this.#recent[this.#head]!;
      this.#recent[this.#head++] = undefined as unknown as Turn;
      this.#recentTokens -= turn.tokens;
    }
    // Drop the emptied slots once they are half the array: amortized O(1) per turn.
    if (this.#head > 64 && this.#head * 2 > this.#recent.length) {
      this.#recent = this.#recent.slice(this.#head);
      this.#head = 0;
    }
    if (this.#summary === undefined) this.#omitted = true;
    this.#out = undefined;
  }

  /** The summary to show before the recent turns from now on. */
  setSummary(summary: ChatMessage): void {
    this.#summary = summary;
    this.#summaryTokens = this.#counter.message(summary);
    this.#omitted = false;
    this.#out = undefined;
  }

  /**
   * Rebuilds the view from a loaded history (resume, reactivation): pinned turns from all of
   * it, the latest summary, and every turn after the position that summary stands for. O(history)
   * once; no compaction here, so the view is the one the agent had before it stopped.
   */
  restore(history: readonly ChatMessage[]): void {
    this.#pinned.length = 0;
    this.#pinnedTokens = 0;
    this.#summary = undefined;
    this.#summaryTokens = 0;
    this.#omitted = false;
    this.#recent = [];
    this.#head = 0;
    this.#recentTokens = 0;
    this.#open = undefined;
    this.#turns = 0;
    this.#out = undefined;
    let through = 0;
    for (let i = history.length - 1; i >= 0; i--) {
      const message = history[i]!;
      if (message.role === 'user' && message.summarizes !== undefined) {
        this.setSummary(message);
        through = message.summarizes;
        break;
      }
    }
    for (let i = 0; i < history.length; i++) this.#add(history[i]!, i, i < through);
    this.#cursor = history.length;
  }

  /** Adds one history message; `before` turns (covered by the summary) count only if pinned. */
  #add(message: ChatMessage, position: number, before: boolean): void {
    if (message.role === 'user' && message.summarizes !== undefined) return;
    const tokens = this.#counter.message(message);
    const open = this.#open;
    if (message.role === 'tool' && open !== undefined) {
      open.messages.push(message);
      open.tokens += tokens;
      if (this.#openPinned) {
        this.#pinnedTokens += tokens;
        this.#out = undefined;
      } else if (open.start >= 0) {
        this.#recentTokens += tokens;
        this.#append(message);
      }
      return;
    }
    const turn: Turn = { start: position, messages: [message], tokens };
    this.#open = turn;
    const policy = this.#policy;
    const pin =
      (this.#turns++ < policy.pinFirst || policy.pinWhen?.(message) === true) &&
      // Pinned turns take at most a quarter of the budget: past it, turns are no longer pinned.
      this.#counter.scale(this.#pinnedTokens + tokens) <= this.budget / 4;
    this.#openPinned = pin;
    if (pin) {
      this.#pinned.push(turn);
      this.#pinnedTokens += tokens;
      this.#out = undefined;
      return;
    }
    if (before) {
      // Covered by the summary: its results must not join the last recent turn.
      this.#open = { start: -1, messages: [], tokens: 0 };
      return;
    }
    this.#recent.push(turn);
    this.#recentTokens += tokens;
    this.#append(message);
  }

  /** Appends to the materialized messages, moving the newest message's cache hint. */
  #append(message: ChatMessage): void {
    const out = this.#out;
    if (out === undefined) return;
    if (this.#policy.promptCache && this.#lastOriginal !== undefined)
      out[out.length - 1] = this.#lastOriginal;
    this.#pushLast(out, message);
  }

  #pushLast(out: ChatMessage[], message: ChatMessage): void {
    this.#lastOriginal = message;
    out.push(this.#policy.promptCache ? { ...message, cache: true } : message);
  }

  #materialize(): ChatMessage[] {
    const out: ChatMessage[] = [];
    const cache = this.#policy.promptCache;
    for (const turn of this.#pinned) for (const message of turn.messages) out.push(message);
    if (this.#summary !== undefined) out.push(this.#summary);
    else if (this.#omitted) out.push(OMITTED_NOTE);
    // The stable prefix ends here: cached up to its last message.
    const last = out.length - 1;
    if (cache && last >= 0) out[last] = { ...out[last]!, cache: true };
    this.#lastOriginal = undefined;
    const recent = this.#recent;
    for (let t = this.#head; t < recent.length; t++) {
      const messages = recent[t]!.messages;
      for (let m = 0; m < messages.length; m++) {
        if (t === recent.length - 1 && m === messages.length - 1) this.#pushLast(out, messages[m]!);
        else out.push(messages[m]!);
      }
    }
    return out;
  }
}
