import { type AgentDefinition, isAgentDefinition } from '../agent/define-agent.js';
import type { Clock } from '../clock.js';
import { invalidArgument } from '../errors.js';
import type { Role } from '../tools/tool-set.js';
import type { AgentFactory, AgentModuleRef, AgentSource } from './types.js';

const modules = new Map<string, Promise<Record<string, unknown>>>();

/** True for `{ module, export? }`. */
export function isModuleRef(value: unknown): value is AgentModuleRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AgentModuleRef).module === 'string'
  );
}

/**
 * The definition behind a source: itself, or a module's export (a definition or a factory
 * called with the agent's name and role). Modules are imported once per thread.
 */
export async function loadAgent(
  source: AgentSource,
  name: string,
  role: Role | undefined,
  clock: Clock,
): Promise<AgentDefinition> {
  if (isAgentDefinition(source)) return source;
  if (!isModuleRef(source))
    throw invalidArgument('definition must come from defineAgent or be { module, export }', {
      name,
    });
  let loading = modules.get(source.module);
  if (loading === undefined) {
    loading = import(source.module) as Promise<Record<string, unknown>>;
    modules.set(source.module, loading);
    loading.catch(() => modules.delete(source.module));
  }
  const loaded = await loading;
  const key = source.export ?? 'default';
  const value = loaded[key];
  const definition =
    typeof value === 'function' ? (value as AgentFactory)({ name, role, clock }) : value;
  if (!isAgentDefinition(definition)) {
    throw invalidArgument(
      `export "${key}" of ${source.module} is not an agent definition or a factory of one`,
      { name },
    );
  }
  return definition;
}
