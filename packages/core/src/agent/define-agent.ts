import type { z } from 'zod';
import { type ContextOptions, validateContextOptions } from '../context/policy.js';
import { invalidArgument } from '../errors.js';
import type { Model } from '../model.js';
import { checkOptionNames } from '../options.js';
import { type Deriver, defineDeriver } from '../session/derived.js';
import type { AnyTool } from '../tools/define-tool.js';
import { type Role, validateRole } from '../tools/tool-set.js';
import { WHEN_BUSY, type WhenBusy } from './machine.js';
import { type OutputSpec, outputSpec } from './output.js';

/**
 * What {@link defineAgent} takes.
 */
export interface AgentOptions<TSchema extends z.ZodType | undefined = undefined> {
  /** The definition's name (a spawned agent gets its own name in the team). */
  readonly name: string;
  /** The system prompt. */
  readonly instructions: string;
  readonly model: Model;
  /** The agent's own tools; the team's tools are added at spawn. Default none. */
  readonly tools?: readonly AnyTool[];
  /** Model calls per run (not per session). Default 10. */
  readonly maxTurns?: number;
  /** Default role of agents spawned from it (`team.spawn(..., { role })` overrides). */
  readonly role?: Role;
  /**
   * Limiter keys every model call takes a lease on (default: the team's `limiterKeys`, else
   * `[model.id]`). The first key is the provider's: rate-limit feedback goes to it.
   */
  readonly limiterKeys?: readonly string[];
  readonly maxOutputTokens?: number;
  readonly temperature?: number;
  /**
   * State derived from the agent's history, by key (a todo list, say): rebuilt once when a
   * session is loaded (from at most each deriver's `lookBack` latest messages), then kept
   * current message by message. Read it with `team.derived(name)`.
   */
  readonly derive?: Readonly<Record<string, Deriver>>;
  /**
   * What a busy agent does with a new message (default `'queue'`; see {@link WhenBusy}). A
   * spawn option or the team's default can override it.
   */
  readonly whenBusy?: WhenBusy;
  /**
   * Bound on one wait for a limiter lease (default 10 minutes): past it the run ends as
   * `rate_limited`. A spent lifetime budget ends it at once as `budget_exhausted`.
   */
  readonly leaseTimeoutMs?: number;
  /**
   * Structured output: the final answer must be JSON matching this zod schema. Providers get
   * it as their native JSON Schema response format; an answer that does not parse goes back to
   * the model with zod's message, at most `outputRetries` times, then the run fails with
   * `ERR_INVALID_OUTPUT`. `RunResult.output` holds the parsed value.
   */
  readonly output?: TSchema;
  /** Repairs allowed for structured output (default 2). */
  readonly outputRetries?: number;
  /**
   * The limiter key that provider rate-limit feedback (headers, 429s) goes to. Default: the
   * first of `limiterKeys`.
   */
  readonly rateLimitKey?: string;
  /**
   * What the model sees of a long history: a prompt budget (default: the model's context window
   * less its output reserve), pinned turns, a summary of older turns, the recent turns that fit.
   * Field by field over the team's `context`. See {@link ContextOptions} and the core docs,
   * `context.md`.
   *
   * @example
   * ```ts
   * defineAgent({ name: 'support', instructions, model, context: { maxInputTokens: 32_000, pinned: { first: 1 } } });
   * ```
   */
  readonly context?: ContextOptions;
}

const AGENT_OPTIONS: ReadonlySet<string> = new Set([
  'name',
  'instructions',
  'model',
  'tools',
  'maxTurns',
  'role',
  'limiterKeys',
  'maxOutputTokens',
  'temperature',
  'derive',
  'whenBusy',
  'leaseTimeoutMs',
  'output',
  'outputRetries',
  'rateLimitKey',
  'context',
]);

/**
 * A validated, frozen agent definition: spawn it as many times as you like.
 */
export interface AgentDefinition<TOutput = unknown> {
  readonly kind: 'troupe.agent';
  readonly name: string;
  readonly instructions: string;
  readonly model: Model;
  readonly tools: readonly AnyTool[];
  readonly maxTurns: number;
  readonly role: Role | undefined;
  readonly limiterKeys: readonly string[] | undefined;
  readonly maxOutputTokens: number | undefined;
  readonly temperature: number | undefined;
  readonly derive: Readonly<Record<string, Deriver>> | undefined;
  readonly whenBusy: WhenBusy | undefined;
  readonly leaseTimeoutMs: number | undefined;
  /** The structured output spec, when the agent has an `output` schema. */
  readonly output: OutputSpec | undefined;
  readonly rateLimitKey: string | undefined;
  /** The context policy, as given (the team's default fills what it leaves out). */
  readonly context: ContextOptions | undefined;
  /** Type-level only: the parsed output's type (`RunResult<TOutput>['output']`). */
  readonly __output?: TOutput;
}

/** The output type of an `output` schema (unknown without one). */
export type OutputOf<TSchema> = TSchema extends z.ZodType ? z.output<TSchema> : unknown;

/**
 * Defines an agent: instructions, a model, tools and a turn limit. Validated here, once.
 *
 * @example
 * ```ts
 * const researcher = defineAgent({
 *   name: 'researcher',
 *   instructions: 'Find and share facts about the codebase.',
 *   model: scriptedModel({ steps: [{ text: 'done' }] }),
 *   tools: [add],
 *   maxTurns: 5,
 * });
 * ```
 */
export function defineAgent<TSchema extends z.ZodType | undefined = undefined>(
  options: AgentOptions<TSchema>,
): AgentDefinition<OutputOf<TSchema>> {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  checkOptionNames(options, AGENT_OPTIONS, 'defineAgent');
  const { name, instructions, model, tools = [], maxTurns = 10, role, limiterKeys } = options;
  if (typeof name !== 'string' || name.length === 0)
    throw invalidArgument('name must be a non-empty string');
  if (typeof instructions !== 'string')
    throw invalidArgument('instructions must be a string', { name });
  if (typeof model !== 'object' || model === null || typeof model.generate !== 'function') {
    throw invalidArgument('model must implement Model (generate)', { name });
  }
  if (
    !Array.isArray(tools) ||
    tools.some((t) => typeof t?.run !== 'function' || typeof t.name !== 'string')
  ) {
    throw invalidArgument('tools must be an array of tools made by defineTool', { name });
  }
  const seen = new Set<string>();
  for (const tool of tools) {
    if (seen.has(tool.name))
      throw invalidArgument(`tools has two tools named "${tool.name}"`, { name });
    seen.add(tool.name);
  }
  if (!(Number.isInteger(maxTurns) && maxTurns > 0)) {
    throw invalidArgument('maxTurns must be a positive integer', { name, maxTurns });
  }
  if (
    limiterKeys !== undefined &&
    !(
      Array.isArray(limiterKeys) &&
      limiterKeys.length > 0 &&
      limiterKeys.every((k) => typeof k === 'string' && k.length > 0)
    )
  ) {
    throw invalidArgument('limiterKeys must be a non-empty array of non-empty strings', { name });
  }
  const derive = options.derive;
  if (derive !== undefined && (typeof derive !== 'object' || derive === null)) {
    throw invalidArgument('derive must be an object of derivers', { name });
  }
  for (const [key, deriver] of Object.entries(derive ?? {}))
    defineDeriver(deriver, `derive.${key}`);
  const { whenBusy, leaseTimeoutMs, rateLimitKey } = options;
  checkWhenBusy(whenBusy, 'whenBusy', name);
  checkLeaseTimeout(leaseTimeoutMs, 'leaseTimeoutMs', name);
  if (rateLimitKey !== undefined && (typeof rateLimitKey !== 'string' || rateLimitKey.length === 0))
    throw invalidArgument('rateLimitKey must be a non-empty string', { name });
  const output =
    options.output === undefined
      ? undefined
      : outputSpec(name, options.output, options.outputRetries);
  if (options.output === undefined && options.outputRetries !== undefined)
    throw invalidArgument('outputRetries needs an output schema', { name });
  const context = validateContextOptions(options.context, 'context', name);
  return Object.freeze({
    kind: 'troupe.agent',
    name,
    instructions,
    model,
    tools: Object.freeze([...tools]),
    maxTurns,
    role: role === undefined ? undefined : validateRole(role),
    limiterKeys: limiterKeys === undefined ? undefined : Object.freeze([...limiterKeys]),
    maxOutputTokens: options.maxOutputTokens,
    temperature: options.temperature,
    derive: derive === undefined ? undefined : Object.freeze({ ...derive }),
    whenBusy,
    leaseTimeoutMs,
    output,
    rateLimitKey,
    context,
  }) as AgentDefinition<OutputOf<TSchema>>;
}

/** Checks a `whenBusy` option (agent, spawn or team). */
export function checkWhenBusy(value: unknown, option: string, name?: string): void {
  if (value !== undefined && !WHEN_BUSY.includes(value as WhenBusy)) {
    throw invalidArgument(`${option} must be one of ${WHEN_BUSY.join(', ')}`, {
      ...(name === undefined ? {} : { name }),
      [option]: value,
    });
  }
}

/** Checks a `leaseTimeoutMs` option (agent or team): a positive number of milliseconds. */
export function checkLeaseTimeout(value: unknown, option: string, name?: string): void {
  if (
    value !== undefined &&
    !(typeof value === 'number' && value > 0 && value <= Number.MAX_SAFE_INTEGER)
  ) {
    throw invalidArgument(`${option} must be a positive number of milliseconds`, {
      ...(name === undefined ? {} : { name }),
      [option]: value,
    });
  }
}

/** True for a value made by {@link defineAgent}. */
export function isAgentDefinition(value: unknown): value is AgentDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as AgentDefinition).kind === 'troupe.agent'
  );
}
