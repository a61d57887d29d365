import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type AgentDefinition,
  type Clock,
  type Model,
  type RateLimitRule,
  systemClock,
  type Team,
  TroupeError,
} from '@troupe/core';

/** What a team module's default export returns. */
export interface TeamModule {
  readonly agents: readonly (
    | AgentDefinition
    | { definition: AgentDefinition; name: string; role?: string }
  )[];
  /** The first message (overridden by --message). */
  readonly task?: string;
  /** Who gets it (default: the first agent). */
  readonly to?: string;
  readonly limits?: readonly RateLimitRule[];
}

/**
 * Imports a team module (a path or a file: URL) and calls its default export with the model
 * and the clock; refuses a module without a default function or without agents.
 */
export async function loadTeamModule(
  specifier: string,
  model: Model,
  clock: Clock = systemClock,
): Promise<TeamModule> {
  const url = specifier.startsWith('file:')
    ? specifier
    : pathToFileURL(isAbsolute(specifier) ? specifier : resolve(specifier)).href;
  const loaded = (await import(url)) as {
    default?: (env: { model: Model; clock: Clock }) => TeamModule | Promise<TeamModule>;
  };
  if (typeof loaded.default !== 'function') {
    throw new TroupeError(
      'ERR_INVALID_ARGUMENT',
      `${specifier} must export a default function ({ model, clock }) => { agents, task }`,
    );
  }
  const spec = await loaded.default({ model, clock });
  if (!spec || !Array.isArray(spec.agents) || spec.agents.length === 0) {
    throw new TroupeError(
      'ERR_INVALID_ARGUMENT',
      `${specifier}: the team needs at least one agent`,
    );
  }
  return spec;
}

/** Spawns the module's agents into `team`; resolves with their names in order. */
export async function spawnTeamModule(team: Team, spec: TeamModule): Promise<string[]> {
  const names: string[] = [];
  for (const entry of spec.agents) {
    const { definition, name, role } =
      'kind' in entry ? { definition: entry, name: entry.name, role: undefined } : entry;
    await team.spawn(definition, role === undefined ? { name } : { name, role });
    names.push(name);
  }
  return names;
}
