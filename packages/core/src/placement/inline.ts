import { AgentRuntime } from '../agent/agent-runtime.js';
import type { ApprovalDecision } from '../agent/approval-record.js';
import type { AgentEnv } from '../agent/env.js';
import type { AgentInspector, WhenBusy } from '../agent/machine.js';
import type { Mail } from '../agent/mail.js';
import type { Handoff } from '../agent/run.js';
import { usageSnapshot } from '../agent/usage.js';
import type { LimiterBackend } from '../backend/interfaces.js';
import type { Clock } from '../clock.js';
import type { ContextOptions } from '../context/policy.js';
import { TroupeError } from '../errors.js';
import type { EventSink } from '../events/team-events.js';
import type { ChatMessage } from '../model.js';
import type { RestoredSession } from '../session/resume.js';
import type { AnyTool } from '../tools/define-tool.js';
import { resolveToolSet } from '../tools/tool-set.js';
import { applyUpdates } from '../updates/apply-updates.js';
import { loadAgent } from './load-agent.js';
import type { Placement, PlacementHooks, SpawnRequest } from './types.js';

/** What an inline placement (and a pool worker host) runs agents against. */
export interface InlineServices {
  readonly clock: Clock;
  readonly limiter: LimiterBackend;
  readonly events: EventSink;
  readonly teamTools: readonly AnyTool[];
  /** Keys when neither the definition nor ... say: `undefined` means `[model.id]`. */
  readonly limiterKeys: readonly string[] | undefined;
  /** xstate's inspection observer for every agent actor. */
  readonly inspect?: AgentInspector | undefined;
  /** The team's defaults, used when neither the spawn nor the definition says. */
  readonly defaults?: AgentDefaults | undefined;
}

/** Team-wide defaults of per-agent options. */
export interface AgentDefaults {
  readonly whenBusy: WhenBusy | undefined;
  readonly leaseTimeoutMs: number | undefined;
  /** The team's context policy (plain data when it crosses to pool workers). */
  readonly context?: ContextOptions | undefined;
}

/**
 * Agents as root actors in the coordinator thread: a Map from name to runtime is the registry
 * (never children of one xstate parent). Also the engine of each pool worker host.
 */
export class InlinePlacement implements Placement {
  readonly kind = 'inline' as const;
  readonly #agents = new Map<string, AgentRuntime>();
  readonly #services: InlineServices;
  readonly #env: AgentEnv;

  constructor(services: InlineServices, hooks: PlacementHooks) {
    this.#services = services;
    const afterTurn = hooks.afterTurn;
    this.#env = {
      clock: services.clock,
      limiter: services.limiter,
      events: services.events,
      applyUpdates,
      onState: (agent, state) => hooks.onState(agent.name, state),
      onFailure: (agent, error) => hooks.onFailure(agent.name, error),
      onRunEnd: (agent, end) => hooks.onRunEnd(agent.name, end),
      ...(hooks.onTaken === undefined
        ? {}
        : { onTaken: (agent: AgentRuntime, seq: number) => hooks.onTaken?.(agent.name, seq) }),
      inspect: services.inspect,
      ...(afterTurn === undefined
        ? {}
        : {
            afterTurn: (agent: AgentRuntime, fromIndex: number) =>
              afterTurn(agent.name, {
                context: agent.context,
                usage: usageSnapshot(agent.usage),
                historyLength: agent.history.length,
                fromIndex,
                messages: agent.history.slice(fromIndex),
              }),
          }),
    };
  }

  async spawn(request: SpawnRequest): Promise<void> {
    const definition = await loadAgent(
      request.source,
      request.name,
      request.role,
      this.#services.clock,
    );
    this.spawnDefinition(request.name, request.role ?? definition.role, definition, request);
  }

  /** The synchronous part of spawn, for definitions already at hand. */
  spawnDefinition(
    name: string,
    role: SpawnRequest['role'],
    definition: Awaited<ReturnType<typeof loadAgent>>,
    options?: Pick<SpawnRequest, 'whenBusy' | 'leaseTimeoutMs'>,
  ): AgentRuntime {
    const tools = resolveToolSet(definition.tools, this.#services.teamTools, role);
    const limiterKeys = definition.limiterKeys ??
      this.#services.limiterKeys ?? [definition.model.id];
    const agent = new AgentRuntime(
      {
        name,
        definition,
        role,
        tools,
        limiterKeys,
        whenBusy: options?.whenBusy ?? definition.whenBusy ?? this.#services.defaults?.whenBusy,
        leaseTimeoutMs:
          options?.leaseTimeoutMs ??
          definition.leaseTimeoutMs ??
          this.#services.defaults?.leaseTimeoutMs,
        context: this.#services.defaults?.context,
      },
      this.#env,
    );
    this.#agents.set(name, agent);
    return agent;
  }

  get(name: string): AgentRuntime {
    const agent = this.#agents.get(name);
    if (agent === undefined)
      throw new TroupeError('ERR_NOT_FOUND', `no agent named "${name}"`, { details: { name } });
    return agent;
  }

  deliver(name: string, mails: readonly Mail[]): void {
    this.get(name).deliver(mails);
  }

  async cursor(name: string, rebase?: number): Promise<number> {
    const agent = this.get(name);
    if (rebase !== undefined) agent.rebaseCursor(rebase);
    return agent.cursor;
  }

  quiet(name: string): boolean {
    return this.#agents.get(name)?.quiet ?? true;
  }

  /** The last seq of its mailbox the agent handled (`wait_messages` on its own inbox). */
  handled(name: string): number {
    return this.#agents.get(name)?.cursor ?? 0;
  }

  /** The `handoff` tool: marks the agent's run in progress as passing its task on. */
  handOff(name: string, handoff: Handoff): boolean {
    return this.#agents.get(name)?.handOff(handoff) ?? false;
  }

  async cancel(name: string): Promise<boolean> {
    return this.get(name).cancel();
  }

  async decide(
    name: string,
    runId: string,
    callId: string,
    decision: ApprovalDecision,
  ): Promise<void> {
    this.get(name).approvals.decide(runId, callId, decision);
  }

  async restart(name: string): Promise<void> {
    this.get(name).restart();
  }

  markFailed(name: string): void {
    this.get(name).markFailed();
  }

  async stop(name: string): Promise<void> {
    const agent = this.#agents.get(name);
    if (agent === undefined) return;
    this.#agents.delete(name);
    agent.stop();
  }

  state(name: string) {
    return this.get(name).state;
  }

  usage(name: string) {
    return this.get(name).usage;
  }

  async history(name: string): Promise<ChatMessage[]> {
    return this.get(name).history.slice();
  }

  async context(name: string): Promise<Readonly<Record<string, unknown>>> {
    return this.get(name).context;
  }

  restore(name: string, session: RestoredSession): void {
    this.get(name).restore(session);
  }

  async derived(name: string): Promise<Record<string, unknown>> {
    return this.get(name).derivedValues();
  }

  settled(): Promise<void> {
    // Everything inline is promise continuations: one macrotask turn drains them.
    return new Promise((resolve) => setImmediate(resolve));
  }

  async close(): Promise<void> {
    for (const agent of this.#agents.values()) agent.stop();
    this.#agents.clear();
  }
}
