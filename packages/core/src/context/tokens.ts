import type { ChatMessage, ToolSpec } from '../model.js';
import { MAX_TOOL_ARGUMENT_CHARS } from '../tools/tool-bounds.js';
import type { Tokenizer } from './policy.js';

/** Characters per token of the plain estimate (English prose and code average 3.5 to 4.5). */
const CHARS_PER_TOKEN = 4;
/** Role markers and separators a provider adds around each message. */
const PER_MESSAGE = 4;
/** An image or a document part, whatever its bytes (providers bill a picture by its tiles). */
const PER_ATTACHMENT = 1_000;
/** A call's reported input is trusted for calibration only from this size on (fixed overheads). */
const MIN_CALIBRATION_TOKENS = 256;
/** Weight of the newest observation in the running ratio. */
const SMOOTHING = 0.3;
const MIN_RATIO = 0.5;
const MAX_RATIO = 3;

/**
 * Counts tokens cheaply: each message once, when it joins the view, by about 4 characters a
 * token (or a real tokenizer), then scaled by a ratio calibrated against the input tokens the
 * provider reports for each call. The ratio is a running mean (the first report is taken
 * whole), clamped to [0.5, 3] so a model
 * that reports nothing useful (a test double's fixed usage) cannot make the budget meaningless.
 */
export class TokenCounter {
  readonly #tokenizer: Tokenizer | undefined;
  #ratio = 1;
  #observed = false;

  constructor(tokenizer: Tokenizer | undefined) {
    this.#tokenizer = tokenizer;
  }

  /** The calibration ratio now (reported tokens per estimated token). */
  get ratio(): number {
    return this.#ratio;
  }

  text(text: string): number {
    if (this.#tokenizer !== undefined) return this.#tokenizer(text);
    return Math.ceil(text.length / CHARS_PER_TOKEN);
  }

  /** Estimated tokens of one message (before calibration). */
  message(message: ChatMessage): number {
    let tokens = PER_MESSAGE + this.text(message.content);
    if (message.role === 'user' && message.parts !== undefined) {
      for (const part of message.parts) if (part.type !== 'text') tokens += PER_ATTACHMENT;
    } else if (message.role === 'assistant') {
      if (message.reasoning !== undefined) tokens += this.text(message.reasoning);
      for (const call of message.toolCalls ?? [])
        tokens += PER_MESSAGE + this.text(call.name) + this.#arguments(call.arguments);
    } else if (message.role === 'tool') {
      tokens += this.text(message.name);
    }
    return tokens;
  }

  /**
   * Tokens of a call's arguments. A model can send anything: arguments nested too deep to
   * serialise (they are refused as a tool error) count as the largest arguments allowed.
   */
  #arguments(args: unknown): number {
    let json: string | undefined;
    try {
      json = JSON.stringify(args);
    } catch {
      json = undefined;
    }
    return json === undefined
      ? Math.ceil(MAX_TOOL_ARGUMENT_CHARS / CHARS_PER_TOKEN)
      : this.text(json);
  }

  /** Estimated tokens of what every call sends besides its messages. */
  fixed(system: string, tools: readonly ToolSpec[]): number {
    return this.text(system) + (tools.length === 0 ? 0 : this.text(JSON.stringify(tools)));
  }

  /** `tokens` as the provider is expected to count them. */
  scale(tokens: number): number {
    return Math.ceil(tokens * this.#ratio);
  }

  /** Raw tokens that scale to at most `budget`. */
  unscale(budget: number): number {
    return Math.floor(budget / this.#ratio);
  }

  /** A call estimated at `estimated` tokens was reported as `reported` input tokens. */
  calibrate(estimated: number, reported: number): void {
    if (!(estimated >= MIN_CALIBRATION_TOKENS && reported > 0 && Number.isFinite(reported))) return;
    const observed = Math.min(MAX_RATIO, Math.max(MIN_RATIO, reported / estimated));
    // The first observation is taken whole (a resumed agent is calibrated after one call).
    this.#ratio = this.#observed ? this.#ratio + SMOOTHING * (observed - this.#ratio) : observed;
    this.#observed = true;
  }
}
