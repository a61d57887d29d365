import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type AgentDefinition,
  type Clock,
  type Model,
  type RateLimitRule,
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
 * What a team module's default export is called with. `signal` aborts when the command ends:
 * pass it to whatever the team holds open (`mcpTools({ ..., signal })`), so the process can exit.
 */
export interface TeamModuleEnv {
  readonly model: Model;
  readonly clock: Clock;
  readonly signal: AbortSignal;
}

/**
 * Imports a team module (a path or a file: URL) and calls its default export with the model,
 * the clock and the command's signal; refuses a module without a default function or agents.
 */
export async function loadTeamModule(specifier: string, env: TeamModuleEnv): Promise<TeamModule> {
  const url = specifier.startsWith('file:')
    ? specifier
    : pathToFileURL(isAbsolute(specifier) ? specifier : resolve(specifier)).href;
  const loaded = (await import(url)) as {
    default?: (env: TeamModuleEnv) => TeamModule | Promise<TeamModule>;
  };
  if (typeof loaded.default !== 'function') {
    throw new TroupeError(
      'ERR_INVALID_ARGUMENT',
      `${specifier} must export a default function ({ model, clock }) => { agents, task }`,
    );
  }
  const spec = await loaded.default(env);
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
