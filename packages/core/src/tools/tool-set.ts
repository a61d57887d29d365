import { invalidArgument } from '../errors.js';
import type { ToolSpec } from '../model.js';
import type { AnyTool } from './define-tool.js';

/**
 * Which tools an agent of this role may use. `denyTools` wins over `allowTools`.
 *
 * @example
 * ```ts
 * const reader: Role = { name: 'reader', denyTools: ['claim_region', 'release_region'] };
 * await team.spawn(definition, { name: 'r1', role: reader });
 * ```
 */
export interface Role {
  readonly name: string;
  /** Only these tool names are offered (default: all). */
  readonly allowTools?: readonly string[];
  /** These tool names are never offered, and calls to them are refused. */
  readonly denyTools?: readonly string[];
}

/** The tools one agent may call, as the tool runner needs them. Shared by agents alike. */
export interface ToolSet {
  /** Offered tools, in order: the key of the schema cache. */
  readonly list: readonly AnyTool[];
  readonly byName: ReadonlyMap<string, AnyTool>;
  /** Tools the role forbids: name -> the refusal the model sees. */
  readonly refusals: ReadonlyMap<string, string>;
  /** The specs of `list` per tool format, made at the first use (schema-cache's toolSetSpecs). */
  readonly specs: Map<string, readonly ToolSpec[]>;
}

/**
 * Checks a role once, at spawn: a name and arrays of tool names.
 *
 * @example
 * ```ts
 * validateRole({ name: 'reader', denyTools: ['claim_region'] });
 * ```
 */
export function validateRole(role: unknown, option = 'role'): Role {
  if (typeof role !== 'object' || role === null)
    throw invalidArgument(`${option} must be an object`);
  const { name, allowTools, denyTools } = role as Role;
  if (typeof name !== 'string' || name.length === 0)
    throw invalidArgument(`${option}.name must be a non-empty string`);
  for (const [key, list] of [
    ['allowTools', allowTools],
    ['denyTools', denyTools],
  ] as const) {
    if (list !== undefined && !(Array.isArray(list) && list.every((n) => typeof n === 'string'))) {
      throw invalidArgument(`${option}.${key} must be an array of tool names`, { role: name });
    }
  }
  return role as Role;
}

type ByRole = Map<Role | null, ToolSet>;

/** Where a team's tool list keeps the tool sets made from it (see {@link teamToolList}). */
const SETS = Symbol('toolSets');

interface TeamToolList {
  readonly [SETS]?: Map<readonly AnyTool[], ByRole>;
}

// Agents of one definition and role share one ToolSet (and so one spec list). Team tool lists
// made by teamToolList keep their sets themselves, so the sets go with the team; any other list
// is keyed weakly here. (A WeakMap entry whose key is young survives V8's young-generation
// collections with its value until a full one: a team's sets there kept the whole team alive.)
const cache = new WeakMap<readonly AnyTool[], WeakMap<readonly AnyTool[], ByRole>>();

/**
 * Freezes a team's tool list with room for the tool sets resolved against it: they live and
 * die with the list (and the team), in no process-wide table.
 *
 * @example
 * ```ts
 * const teamTools = teamToolList([...stateTools(services), ...messageTools(services)]);
 * ```
 */
export function teamToolList(tools: AnyTool[]): readonly AnyTool[] {
  Object.defineProperty(tools, SETS, { value: new Map<readonly AnyTool[], ByRole>() });
  return Object.freeze(tools);
}

function setsFor(own: readonly AnyTool[], team: readonly AnyTool[]): ByRole {
  const owned = (team as TeamToolList)[SETS];
  if (owned !== undefined) {
    let byRole = owned.get(own);
    if (byRole === undefined) {
      byRole = new Map();
      owned.set(own, byRole);
    }
    return byRole;
  }
  let byTeam = cache.get(own);
  if (byTeam === undefined) {
    byTeam = new WeakMap();
    cache.set(own, byTeam);
  }
  let byRole = byTeam.get(team);
  if (byRole === undefined) {
    byRole = new Map();
    byTeam.set(team, byRole);
  }
  return byRole;
}

/**
 * The tool set for an agent's own tools plus the team's, filtered by its role. Later tools
 * with the same name as earlier ones are ignored (an agent's own tools come first).
 *
 * @example
 * ```ts
 * const set = resolveToolSet(definition.tools, teamTools, role);
 * set.byName.get('claim_region');
 * ```
 */
export function resolveToolSet(
  own: readonly AnyTool[],
  team: readonly AnyTool[],
  role: Role | undefined,
): ToolSet {
  const byRole = setsFor(own, team);
  const key = role ?? null;
  let set = byRole.get(key);
  if (set === undefined) {
    set = build(own, team, role);
    byRole.set(key, set);
  }
  return set;
}

function build(own: readonly AnyTool[], team: readonly AnyTool[], role: Role | undefined): ToolSet {
  const allow = role?.allowTools === undefined ? undefined : new Set(role.allowTools);
  const deny = new Set(role?.denyTools ?? []);
  const list: AnyTool[] = [];
  const byName = new Map<string, AnyTool>();
  const refusals = new Map<string, string>();
  for (const tool of [...own, ...team]) {
    if (byName.has(tool.name) || refusals.has(tool.name)) continue;
    if (deny.has(tool.name) || (allow !== undefined && !allow.has(tool.name))) {
      refusals.set(tool.name, `Tool "${tool.name}" is not allowed for role "${role?.name}".`);
      continue;
    }
    byName.set(tool.name, tool);
    list.push(tool);
  }
  return Object.freeze({ list: Object.freeze(list), byName, refusals, specs: new Map() });
}
