import type { z } from 'zod';
import type { MaybePromise } from '../backend/interfaces.js';
import { checkOptionNames } from '../backend/validate.js';
import type { Clock } from '../clock.js';
import { invalidArgument } from '../errors.js';
import type { ContextUpdate } from './context-update.js';

/**
 * Default time a tool may run before its call becomes a timeout result.
 *
 * @example
 * ```ts
 * defineTool({ ...options, timeoutMs: DEFAULT_TOOL_TIMEOUT_MS * 2 });
 * ```
 */
export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const TOOL_OPTIONS: ReadonlySet<string> = new Set([
  'name',
  'description',
  'input',
  'run',
  'timeoutMs',
  'retries',
  'needsApproval',
]);
const RESULT_BRAND = Symbol.for('troupe.toolResult');

/**
 * What a running tool can reach. One object per call; `signal` is created only when read, so
 * tools that ignore it cost nothing extra.
 *
 * @example
 * ```ts
 * run: async ({ url }, ctx) => {
 *   const seen = ctx.context.seen ?? [];
 *   return fetchWithSignal(url, ctx.signal); // aborted on timeout, interrupt or cancel
 * }
 * ```
 */
export interface ToolContext {
  /** The calling agent's name. */
  readonly agent: string;
  /** The id the model gave this call. */
  readonly callId: string;
  /** The team's clock: use it for any waiting, never a global timer. */
  readonly clock: Clock;
  /** Aborts on timeout, interrupt, cancel or team close. */
  readonly signal: AbortSignal;
  /**
   * The agent's context now: it includes the updates of every earlier call in this turn that
   * has already finished (updates apply in call order).
   */
  readonly context: Readonly<Record<string, unknown>>;
  /**
   * Resolves once every earlier call in this turn has finished and its updates are applied, with
   * the context at that point. Parallel calls start together; await this to depend on them.
   */
  afterEarlierCalls(): Promise<Readonly<Record<string, unknown>>>;
}

/**
 * What a `needsApproval` check sees besides the call's (validated) input.
 *
 * @example
 * ```ts
 * needsApproval: (input, ctx) => ctx.agent !== 'trusted-bot',
 * ```
 */
export interface ApprovalContext {
  /** The calling agent's name. */
  readonly agent: string;
  /** The run that made the call (what `team.approve` takes). */
  readonly runId: string;
  /** The id the model gave this call. */
  readonly callId: string;
  /** The calling agent's context now. */
  readonly context: Readonly<Record<string, unknown>>;
}

/**
 * Decides per call whether a person must approve it. Method-shaped on purpose (bivariant in its
 * input, like {@link Tool.run}), so tools of different schemas share one list type.
 *
 * @example
 * ```ts
 * const check: ApprovalCheck<{ path: string }> = ({ path }) => !path.startsWith('tmp/');
 * ```
 */
export type ApprovalCheck<I> = {
  check(input: I, ctx: ApprovalContext): MaybePromise<boolean>;
}['check'];

/** A result with context updates, made by {@link toolResult}. */
export interface ToolResultWithUpdates {
  readonly result: unknown;
  readonly updates: readonly ContextUpdate[];
}

/**
 * A tool's return value together with context updates for the calling agent. Updates of the
 * calls of one turn apply in call order, whatever order the calls finish in.
 *
 * @example
 * ```ts
 * const remember = defineTool({
 *   name: 'remember',
 *   description: 'Remember a fact',
 *   input: z.object({ fact: z.string() }),
 *   run: ({ fact }) => toolResult('noted', [{ op: 'append', key: 'facts', value: fact }]),
 * });
 * ```
 */
export function toolResult(
  result: unknown,
  updates: readonly ContextUpdate[],
): ToolResultWithUpdates {
  if (!Array.isArray(updates)) throw invalidArgument('updates must be an array of context updates');
  return Object.defineProperty({ result, updates }, RESULT_BRAND, { value: true });
}

/** True for a value made by {@link toolResult}. */
export function isToolResultWithUpdates(value: unknown): value is ToolResultWithUpdates {
  return typeof value === 'object' && value !== null && RESULT_BRAND in value;
}

/**
 * What {@link defineTool} takes.
 *
 * @example
 * ```ts
 * const options: ToolOptions<typeof input> = { name: 'add', description: 'Adds', input, run: ({ a, b }) => a + b };
 * ```
 */
export interface ToolOptions<S extends z.ZodType> {
  /** 1-64 characters of `[a-zA-Z0-9_-]`: what the model calls it. */
  readonly name: string;
  /** What the model reads to decide when to call it. */
  readonly description: string;
  /** Validates the model's arguments; also the source of the tool's JSON Schema. */
  readonly input: S;
  /**
   * Does the work. Return any JSON-serialisable value (strings are sent as they are), or
   * {@link toolResult} to also update the agent's context. A throw becomes an error result.
   */
  run(input: z.output<S>, ctx: ToolContext): MaybePromise<unknown>;
  /** Per attempt, on the team's clock. Default 30 s. */
  readonly timeoutMs?: number;
  /** Extra attempts after a throw (not after a timeout or a validation error). Default 0. */
  readonly retries?: number;
  /**
   * `true`: every call waits for a person (`team.approve` / `team.reject`) before it runs; a
   * function decides per call from the validated input (a throw or a rejected promise counts
   * as `true`). Calls with invalid arguments never wait: they are refused as usual. Default
   * `false`.
   */
  readonly needsApproval?: boolean | ApprovalCheck<z.output<S>>;
}

/**
 * A defined tool. Frozen; share it between agents freely.
 *
 * @example
 * ```ts
 * const tools: Tool[] = [add, search];
 * ```
 */
export interface Tool<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly input: S;
  /**
   * Method syntax on purpose: parameters of methods are bivariant, so a `Tool<ZodObject<...>>`
   * is assignable to {@link AnyTool} without `any`. The runtime validates input with `input`
   * before calling `run`, so `run` only ever sees `z.output<S>`.
   */
  run(input: z.output<S>, ctx: ToolContext): MaybePromise<unknown>;
  readonly timeoutMs: number;
  readonly retries: number;
  /** Absent (or `false`) when calls run without approval; see {@link ToolOptions.needsApproval}. */
  readonly needsApproval?: boolean | ApprovalCheck<z.output<S>>;
}

/**
 * A tool of any input schema: what lists of differently-typed tools hold.
 *
 * @example
 * ```ts
 * const tools: readonly AnyTool[] = [add, search]; // Tool<ZodObject<...>> of different shapes
 * ```
 */
export type AnyTool = Tool<z.ZodType>;

/**
 * Defines a tool an agent can call. Options are validated here, once; a bad or unknown option
 * is `ERR_INVALID_ARGUMENT` naming it. `input` must be a zod 4 schema: a zod 3 schema is
 * refused with a message that says so.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { defineTool } from '@troupe/core';
 *
 * const add = defineTool({
 *   name: 'add',
 *   description: 'Adds two numbers',
 *   input: z.object({ a: z.number(), b: z.number() }),
 *   run: ({ a, b }) => a + b,
 *   timeoutMs: 5_000,
 *   retries: 1,
 * });
 *
 * // Paused for a person before each call that deletes outside tmp/ (team.approve / team.reject):
 * const remove = defineTool({
 *   name: 'remove_file',
 *   description: 'Deletes a file',
 *   input: z.object({ path: z.string() }),
 *   run: ({ path }) => rm(path),
 *   needsApproval: ({ path }) => !path.startsWith('tmp/'),
 * });
 * ```
 */
export function defineTool<S extends z.ZodType>(options: ToolOptions<S>): Tool<S> {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  checkOptionNames(options as unknown as Record<string, unknown>, TOOL_OPTIONS, 'tool');
  const {
    name,
    description,
    input,
    run,
    timeoutMs = DEFAULT_TOOL_TIMEOUT_MS,
    retries = 0,
    needsApproval = false,
  } = options;
  if (typeof name !== 'string' || !TOOL_NAME.test(name)) {
    throw invalidArgument('name must be 1-64 characters of [a-zA-Z0-9_-]', { name });
  }
  if (typeof description !== 'string')
    throw invalidArgument('description must be a string', { name });
  if (
    typeof input !== 'object' ||
    input === null ||
    typeof (input as z.ZodType).safeParse !== 'function'
  ) {
    throw invalidArgument('input must be a zod schema', { name });
  }
  if (!('_zod' in input)) {
    // zod 3 schemas have `_def` but no `_zod`: they would fail later, at the first call, with
    // "Cannot read properties of undefined (reading 'def')".
    throw invalidArgument(
      `input of tool "${name}" is not a zod 4 schema (a zod 3 schema?): Troupe requires zod 4 (npm install zod@^4)`,
      { name },
    );
  }
  if (typeof run !== 'function') throw invalidArgument('run must be a function', { name });
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw invalidArgument('timeoutMs must be a positive finite number', { name, timeoutMs });
  }
  if (!(Number.isInteger(retries) && retries >= 0)) {
    throw invalidArgument('retries must be a non-negative integer', { name, retries });
  }
  if (typeof needsApproval !== 'boolean' && typeof needsApproval !== 'function') {
    throw invalidArgument('needsApproval must be a boolean or a function', {
      name,
      needsApproval: typeof needsApproval,
    });
  }
  return Object.freeze(
    needsApproval === false
      ? { name, description, input, run, timeoutMs, retries }
      : { name, description, input, run, timeoutMs, retries, needsApproval },
  );
}
