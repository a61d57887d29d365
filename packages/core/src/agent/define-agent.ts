import { invalidArgument } from '../errors.js';
import type { Model } from '../model.js';
import { type Deriver, defineDeriver } from '../session/derived.js';
import type { AnyTool } from '../tools/define-tool.js';
import { type Role, validateRole } from '../tools/tool-set.js';

/**
 * What {@link defineAgent} takes.
 *
 * @example
 * ```ts
 * const options: AgentOptions = { name: 'a', instructions: 'Help.', model, tools: [add], maxTurns: 5 };
 * ```
 */
export interface AgentOptions {
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
}

/**
 * A validated, frozen agent definition: spawn it as many times as you like.
 *
 * @example
 * ```ts
 * const definition: AgentDefinition = defineAgent({ name: 'a', instructions: '', model });
 * await team.spawn(definition, { name: 'a1' });
 * await team.spawn(definition, { name: 'a2' });
 * ```
 */
export interface AgentDefinition {
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
}

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
export function defineAgent(options: AgentOptions): AgentDefinition {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
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
    !(Array.isArray(limiterKeys) && limiterKeys.every((k) => typeof k === 'string'))
  ) {
    throw invalidArgument('limiterKeys must be an array of strings', { name });
  }
  const derive = options.derive;
  if (derive !== undefined && (typeof derive !== 'object' || derive === null)) {
    throw invalidArgument('derive must be an object of derivers', { name });
  }
  for (const [key, deriver] of Object.entries(derive ?? {}))
    defineDeriver(deriver, `derive.${key}`);
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
  });
}

/** True for a value made by {@link defineAgent}. */
export function isAgentDefinition(value: unknown): value is AgentDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as AgentDefinition).kind === 'troupe.agent'
  );
}
