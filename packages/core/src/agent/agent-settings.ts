import { ContextWindow } from '../context/context-window.js';
import { resolveContextPolicy } from '../context/policy.js';
import type { ToolSpec } from '../model.js';
import { toolSetSpecs } from '../tools/schema-cache.js';
import type { AgentSpec } from './env.js';
import { DEFAULT_LEASE_TIMEOUT_MS } from './lease.js';
import type { WhenBusy } from './machine.js';

/** An agent's settings, resolved once at spawn: the spawn's, else the definition's, else ours. */
export interface AgentSettings {
  readonly whenBusy: WhenBusy;
  readonly leaseTimeoutMs: number;
  /** The tool specs its model is given (cached per tool set and format). */
  readonly specs: readonly ToolSpec[];
  /** What the model sees of the history (context policy, view, compaction). */
  readonly contextWindow: ContextWindow;
}

export function agentSettings(spec: AgentSpec): AgentSettings {
  const { definition } = spec;
  const specs = toolSetSpecs(spec.tools, definition.model.toolFormat);
  const policy = resolveContextPolicy(
    definition.context,
    spec.context,
    definition.model,
    definition.maxOutputTokens,
  );
  return {
    whenBusy: spec.whenBusy ?? definition.whenBusy ?? 'queue',
    leaseTimeoutMs: spec.leaseTimeoutMs ?? definition.leaseTimeoutMs ?? DEFAULT_LEASE_TIMEOUT_MS,
    specs,
    contextWindow: new ContextWindow(policy, definition.instructions, specs),
  };
}
