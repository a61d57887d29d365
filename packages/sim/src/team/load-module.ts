import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AgentDefinition, Clock, Model, RateLimitRule } from '@troupe/core';
import { TroupeError } from '@troupe/core';

/**
 * What a team module's default export returns: the same shape `troupe run` takes, so one
 * module runs live and in simulation.
 *
 * @example
 * ```ts
 * export default ({ model }): TeamSpec => ({ agents: [defineAgent({ name: 'a', instructions: '', model })] });
 * ```
 */
export interface TeamSpec {
  readonly agents: readonly (
    | AgentDefinition
    | { definition: AgentDefinition; name: string; role?: string }
  )[];
  readonly task?: string;
  readonly to?: string;
  readonly limits?: readonly RateLimitRule[];
}

/** A module's agent entries, each with its name and role. */
export function agentEntries(
  spec: TeamSpec,
): { definition: AgentDefinition; name: string; role: string | undefined }[] {
  return spec.agents.map((entry) =>
    'kind' in entry
      ? { definition: entry, name: entry.name, role: undefined }
      : { definition: entry.definition, name: entry.name, role: entry.role },
  );
}

/** A path or file: URL as an absolute file: URL (what workers import). */
export function moduleUrl(specifier: string): string {
  return specifier.startsWith('file:')
    ? specifier
    : pathToFileURL(isAbsolute(specifier) ? specifier : resolve(specifier)).href;
}

/**
 * Imports a team module and calls its default export with `model` and `clock`; refuses a
 * module without a default function or without agents (`ERR_INVALID_ARGUMENT`).
 */
export async function loadTeamSpec(
  specifier: string,
  model: Model,
  clock: Clock,
): Promise<TeamSpec> {
  let loaded: { default?: (env: { model: Model; clock: Clock }) => TeamSpec | Promise<TeamSpec> };
  try {
    loaded = (await import(moduleUrl(specifier))) as typeof loaded;
  } catch (error) {
    throw new TroupeError(
      'ERR_NOT_FOUND',
      `cannot load team module ${specifier}: ${(error as Error).message}`,
      {
        cause: error,
        details: { module: specifier },
      },
    );
  }
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
