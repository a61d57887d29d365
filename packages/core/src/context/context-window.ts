import type { ChatMessage, ToolSpec } from '../model.js';
import type { ContextPolicy } from './policy.js';
import { SUMMARY_HEADING, type SummaryCall, summarize } from './summarize.js';
import { TokenCounter } from './tokens.js';
import { ContextView } from './view.js';

/** After a context-length error without figures, the budget becomes this share of the prompt. */
const SHRINK_UNKNOWN = 0.75;
/** Margin under the limit a context-length error reports. */
const SHRINK_MARGIN = 0.9;

/** The summary call of one compaction, less what the policy gives (model, size, prompt). */
export type CompactionCall = Omit<SummaryCall, 'maxTokens' | 'instructions'>;

/**
 * One agent's context window: its policy, token counter and view, and compaction. The model
 * turn asks it for the messages of each call, whether the view must be compacted first, and
 * tells it what each call reported (calibration) or that the provider refused the prompt as
 * too long (the budget shrinks to fit).
 *
 * Without a budget (a model the window table does not know, and no `maxInputTokens`) there is
 * no view at all: calls send the history as it is, and an agent costs nothing more than before.
 * The first context-length error builds the view (one pass over the history) with the budget
 * the error states.
 */
export class ContextWindow {
  readonly policy: ContextPolicy;
  readonly #counter: TokenCounter;
  readonly #system: string;
  readonly #tools: readonly ToolSpec[];
  #view: ContextView | undefined = undefined;
  /** Estimated tokens of the last request handed out. */
  #sent = 0;
  #compacting: Promise<void> | undefined = undefined;
  #compactions = 0;

  constructor(policy: ContextPolicy, system: string, tools: readonly ToolSpec[]) {
    this.policy = policy;
    this.#counter = new TokenCounter(policy.tokenizer);
    this.#system = system;
    this.#tools = tools;
    if (Number.isFinite(policy.budget)) this.#view = this.#newView(policy.budget);
  }

  /** The prompt budget now (the policy's, or less after a context-length error). */
  get budget(): number {
    return this.#view?.budget ?? this.policy.budget;
  }

  /** History position of the oldest turn the view holds besides pinned ones. */
  get firstKept(): number {
    return this.#view?.firstKept ?? 0;
  }

  /** Compactions so far. */
  get compactions(): number {
    return this.#compactions;
  }

  /** Calibrated estimate of the last request's input tokens. */
  get lastEstimate(): number {
    return this.#counter.scale(this.#sent);
  }

  /** The messages of the next call (without a view: the history itself, as before). */
  messages(history: ChatMessage[]): ChatMessage[] {
    const view = this.#view;
    if (view === undefined) return history;
    const messages = view.messages(history);
    this.#sent = view.tokens;
    return messages;
  }

  /** True when the view must be compacted before the next call (it grew past the budget). */
  due(history: readonly ChatMessage[]): boolean {
    const view = this.#view;
    if (view === undefined) return false;
    view.observe(history);
    return this.#compacting !== undefined || view.over;
  }

  /**
   * Compacts the view: the oldest turns leave it (down to `keepRatio` of the budget) and, with
   * `summarize`, a model call folds them into the summary, which goes into `history` (persisted
   * with the next turn) and is shown in their place. One compaction at a time: a call arriving
   * meanwhile waits for it. Never rejects. A summary call that fails still drops the turns (they
   * stay in history); one aborted (the run was interrupted) changes nothing: the next call
   * compacts again.
   */
  compact(history: ChatMessage[], call: CompactionCall): Promise<void> {
    if (this.#compacting !== undefined) return this.#compacting;
    const view = this.#view;
    if (view === undefined) return Promise.resolve();
    const summary = this.policy.summarize;
    const dropped = view.plan(summary?.maxTokens ?? 0);
    if (dropped === undefined) return Promise.resolve();
    if (summary === undefined) {
      view.commit(dropped.turns);
      this.#compactions++;
      return Promise.resolve();
    }
    const done = summarize(
      {
        ...call,
        model: summary.model ?? call.model,
        maxTokens: summary.maxTokens,
        instructions: summary.instructions,
      },
      view.summary,
      dropped.messages,
    ).then((text) => {
      this.#compacting = undefined;
      if (text === undefined && call.signal.aborted) return;
      view.commit(dropped.turns);
      this.#compactions++;
      if (text === undefined) return;
      const message: ChatMessage = {
        role: 'user',
        content: `${SUMMARY_HEADING}\n${text}`,
        summarizes: dropped.through,
      };
      history.push(message);
      view.setSummary(message);
    });
    this.#compacting = done;
    return done;
  }

  /** A call estimated at the last request's size reported `inputTokens`. */
  calibrate(inputTokens: number): void {
    this.#counter.calibrate(this.#sent, inputTokens);
  }

  /**
   * The provider refused the last request (made from `history`) as too long: the budget shrinks
   * under the limit its error states (OpenAI, vLLM and Anthropic messages give the limit and the
   * prompt's size), or to 3/4 of the request when it states none.
   */
  refused(message: string, history: readonly ChatMessage[]): void {
    let view = this.#view;
    if (view === undefined) {
      view = this.#newView(Number.POSITIVE_INFINITY);
      view.restore(history);
      this.#view = view;
      this.#sent = view.tokens;
    }
    const limit = /maximum context length is (\d+)|> (\d+) maximum/.exec(message);
    const size = /resulted in (\d+)|requested (\d+)|too long: (\d+)/.exec(message);
    const max = limit === null ? Number.NaN : Number(limit[1] ?? limit[2]);
    const prompt = size === null ? Number.NaN : Number(size[1] ?? size[2] ?? size[3]);
    if (prompt > 0) this.#counter.calibrate(this.#sent, prompt);
    const estimate = this.#counter.scale(this.#sent);
    const fit =
      max > 0 && prompt > 0
        ? Math.floor(estimate * (max / prompt) * SHRINK_MARGIN)
        : max > 0
          ? Math.floor(max * SHRINK_MARGIN)
          : Math.floor(estimate * SHRINK_UNKNOWN);
    view.budget = Math.max(1, Math.min(view.budget, fit));
  }

  /** Rebuilds the view from a loaded session's history. */
  restore(history: readonly ChatMessage[]): void {
    this.#view?.restore(history);
  }

  #newView(budget: number): ContextView {
    const fixed = this.#counter.fixed(this.#system, this.#tools);
    return new ContextView(this.policy, this.#counter, fixed, budget);
  }
}
