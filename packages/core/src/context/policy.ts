import { invalidArgument } from '../errors.js';
import type { ChatMessage, Model } from '../model.js';
import { checkOptionNames } from '../options.js';
import { modelWindow } from './model-windows.js';

/**
 * Counts the tokens of a text with a real tokenizer (tiktoken's `encode(text).length`, say).
 * Without one, the runtime estimates about 4 characters a token and calibrates the estimate
 * with the input tokens each call reports.
 */
export type Tokenizer = (text: string) => number;

/**
 * How compaction summarises the turns that leave the window.
 */
export interface SummarizeOptions {
  /** The model that writes summaries (default: the agent's own). */
  readonly model?: Model;
  /** Longest summary, in tokens (the summary call's `maxOutputTokens`; default 1,024). */
  readonly maxTokens?: number;
  /** The summariser's system prompt (default: keep facts, decisions, open tasks, names). */
  readonly instructions?: string;
}

/**
 * Messages that stay in the view whatever its budget: sent first, in history order, before the
 * summary and the recent turns. A pinned assistant message keeps its tool results with it.
 */
export interface PinnedOptions {
  /** The agent's first this many turns (a turn: a message, with its tool results). Default 0. */
  readonly first?: number;
  /** Pins every turn whose first message matches. Called once per message. */
  readonly when?: (message: ChatMessage) => boolean;
}

/**
 * An agent's context policy (`defineAgent({ context })`, or the team's `createTeam({ context })`
 * default, field by field): what the model sees of a long history. The view is the system
 * prompt, the pinned turns, a summary of older turns, and the most recent turns that fit the
 * budget. The full history stays in the session. See the core docs, `context.md`.
 *
 * @example
 * ```ts
 * const agent = defineAgent({
 *   name: 'support', instructions, model,
 *   context: { maxInputTokens: 32_000, pinned: { first: 1 }, summarize: { maxTokens: 600 } },
 * });
 * ```
 */
export interface ContextOptions {
  /**
   * The prompt budget in tokens: system prompt, tools and messages. Default: the model's
   * context window (see `modelWindow`) less `reserveOutputTokens`; unbounded for a model the
   * table does not know (a context-length error from it then sets the budget).
   */
  readonly maxInputTokens?: number;
  /**
   * Tokens kept free for the answer when the budget comes from the window. Default: the agent's
   * `maxOutputTokens`, else the model's longest answer capped at 8,192.
   */
  readonly reserveOutputTokens?: number;
  /** Summarise turns that leave the window (default true: with the agent's model). */
  readonly summarize?: boolean | SummarizeOptions;
  readonly pinned?: PinnedOptions;
  /** A real tokenizer instead of the calibrated estimate. */
  readonly tokenizer?: Tokenizer;
  /**
   * Share of the room for turns (the budget less the system prompt, tools, pinned turns and the
   * summary) the recent turns keep when the view is compacted (default 0.5). Compaction happens
   * once each time the view grows past the budget; the prefix stays the same in between.
   */
  readonly keepRatio?: number;
  /**
   * Mark the stable prefix (pinned turns, the summary) and the newest message with prompt-cache
   * hints (`cache: true`; Anthropic turns them into `cache_control` breakpoints). Default true.
   */
  readonly promptCache?: boolean;
}

/** A policy resolved against its agent: what the view and compaction run on. */
export interface ContextPolicy {
  /** Prompt budget in tokens (`Infinity`: unbounded). */
  readonly budget: number;
  readonly keepRatio: number;
  readonly summarize:
    | {
        readonly model: Model | undefined;
        readonly maxTokens: number;
        readonly instructions: string | undefined;
      }
    | undefined;
  readonly pinFirst: number;
  readonly pinWhen: ((message: ChatMessage) => boolean) | undefined;
  readonly tokenizer: Tokenizer | undefined;
  readonly promptCache: boolean;
}

const CONTEXT_OPTIONS: ReadonlySet<string> = new Set([
  'maxInputTokens',
  'reserveOutputTokens',
  'summarize',
  'pinned',
  'tokenizer',
  'keepRatio',
  'promptCache',
]);
const SUMMARIZE_OPTIONS: ReadonlySet<string> = new Set(['model', 'maxTokens', 'instructions']);
const PINNED_OPTIONS: ReadonlySet<string> = new Set(['first', 'when']);

/** Default longest summary, in tokens. */
export const DEFAULT_SUMMARY_TOKENS = 1_024;
const DEFAULT_KEEP_RATIO = 0.5;
const MAX_DEFAULT_RESERVE = 8_192;

function positiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * Checks a `context` option (agent or team) once, naming the bad field; returns it frozen.
 *
 * @example
 * ```ts
 * const context = validateContextOptions({ maxInputTokens: 8_000 }, 'context');
 * ```
 */
export function validateContextOptions(
  value: unknown,
  option: string,
  name?: string,
): ContextOptions | undefined {
  if (value === undefined) return undefined;
  const where = name === undefined ? {} : { name };
  const fail = (field: string, must: string): never => {
    throw invalidArgument(`${option}.${field} ${must}`, where);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument(`${option} must be an object`, where);
  checkOptionNames(value, CONTEXT_OPTIONS, option);
  const o = value as ContextOptions;
  if (o.maxInputTokens !== undefined && !positiveInteger(o.maxInputTokens))
    fail('maxInputTokens', 'must be a positive integer');
  if (o.reserveOutputTokens !== undefined && !positiveInteger(o.reserveOutputTokens))
    fail('reserveOutputTokens', 'must be a positive integer');
  if (o.tokenizer !== undefined && typeof o.tokenizer !== 'function')
    fail('tokenizer', 'must be a function (text) => tokens');
  if (
    o.keepRatio !== undefined &&
    !(typeof o.keepRatio === 'number' && o.keepRatio > 0 && o.keepRatio < 1)
  )
    fail('keepRatio', 'must be a number between 0 and 1 (exclusive)');
  if (o.promptCache !== undefined && typeof o.promptCache !== 'boolean')
    fail('promptCache', 'must be a boolean');
  const { summarize, pinned } = o;
  if (summarize !== undefined && typeof summarize !== 'boolean') {
    if (typeof summarize !== 'object' || summarize === null)
      fail('summarize', 'must be a boolean or an object');
    checkOptionNames(summarize, SUMMARIZE_OPTIONS, `${option}.summarize`);
    const { model, maxTokens, instructions } = summarize as SummarizeOptions;
    if (
      model !== undefined &&
      (typeof model !== 'object' || model === null || typeof model.generate !== 'function')
    )
      fail('summarize.model', 'must implement Model (generate)');
    if (maxTokens !== undefined && !positiveInteger(maxTokens))
      fail('summarize.maxTokens', 'must be a positive integer');
    if (instructions !== undefined && typeof instructions !== 'string')
      fail('summarize.instructions', 'must be a string');
  }
  if (pinned !== undefined) {
    if (typeof pinned !== 'object' || pinned === null) fail('pinned', 'must be an object');
    checkOptionNames(pinned, PINNED_OPTIONS, `${option}.pinned`);
    if (
      pinned.first !== undefined &&
      !(typeof pinned.first === 'number' && Number.isSafeInteger(pinned.first) && pinned.first >= 0)
    )
      fail('pinned.first', 'must be a non-negative integer');
    if (pinned.when !== undefined && typeof pinned.when !== 'function')
      fail('pinned.when', 'must be a function (message) => boolean');
  }
  return Object.freeze({ ...o });
}

/**
 * Names of the fields of a team's `context` default that hold functions or models: they cannot
 * be copied to pool workers.
 */
export function unclonableContextFields(options: ContextOptions | undefined): string[] {
  if (options === undefined) return [];
  const out: string[] = [];
  if (options.tokenizer !== undefined) out.push('tokenizer');
  if (options.pinned?.when !== undefined) out.push('pinned.when');
  if (typeof options.summarize === 'object' && options.summarize.model !== undefined)
    out.push('summarize.model');
  return out;
}

/**
 * The policy an agent runs on: its definition's `context` over the team's, field by field, with
 * the budget worked out from the model's window when no `maxInputTokens` is given.
 */
export function resolveContextPolicy(
  own: ContextOptions | undefined,
  team: ContextOptions | undefined,
  model: Model,
  maxOutputTokens: number | undefined,
): ContextPolicy {
  const o: ContextOptions = { ...team, ...own };
  let budget = o.maxInputTokens ?? Number.POSITIVE_INFINITY;
  if (o.maxInputTokens === undefined) {
    const known = modelWindow(model.id);
    if (known !== undefined) {
      const reserve =
        o.reserveOutputTokens ?? maxOutputTokens ?? Math.min(known.maxOutput, MAX_DEFAULT_RESERVE);
      budget = Math.max(1, known.window - reserve);
    }
  }
  const s = o.summarize ?? true;
  const summarize =
    s === false
      ? undefined
      : {
          model: s === true ? undefined : s.model,
          maxTokens: (s === true ? undefined : s.maxTokens) ?? DEFAULT_SUMMARY_TOKENS,
          instructions: s === true ? undefined : s.instructions,
        };
  return {
    budget,
    keepRatio: o.keepRatio ?? DEFAULT_KEEP_RATIO,
    summarize,
    pinFirst: o.pinned?.first ?? 0,
    pinWhen: o.pinned?.when,
    tokenizer: o.tokenizer,
    promptCache: o.promptCache ?? true,
  };
}
