import type { LimiterBackend } from '../backend/interfaces.js';
import type { Clock } from '../clock.js';
import type { ContextOptions } from '../context/policy.js';
import type { TroupeError } from '../errors.js';
import type { AgentState, EventSink } from '../events/team-events.js';
import type { ContextUpdate } from '../tools/context-update.js';
import type { Role, ToolSet } from '../tools/tool-set.js';
import type { AgentRuntime } from './agent-runtime.js';
import type { AgentDefinition } from './define-agent.js';
import type { AgentInspector, WhenBusy } from './machine.js';
import type { Mail } from './mail.js';
import type { Handoff } from './run.js';
import type { RunResult } from './run-result.js';

// The agent's boundary with its host: what it is made from, what it reaches, what it reports.

/** A run ended: whoever awaits its mails gets `result` (or, after a handoff, the next agent's). */
export interface RunEnd {
  readonly result: RunResult;
  /** The mailbox messages the run answered (or that were refused: a stopped or failed agent). */
  readonly mails: readonly Mail[];
  readonly handoff?: Handoff;
  /** An earlier run's result, given again to mails it turned out to answer (its usage is counted). */
  readonly again?: true;
}

/** What an agent reaches in its host (the team inline, proxies in a pool worker). */
export interface AgentEnv {
  readonly clock: Clock;
  readonly limiter: LimiterBackend;
  readonly events: EventSink;
  applyUpdates(
    context: Readonly<Record<string, unknown>>,
    updates: readonly ContextUpdate[],
  ): Record<string, unknown>;
  /** After every turn (persistence): history from `fromIndex` is new since the last call. */
  afterTurn?(agent: AgentRuntime, fromIndex: number): void;
  /** After every state change. */
  onState?(agent: AgentRuntime, state: AgentState): void;
  /** A run failed (the model or the runtime threw): the supervisor decides what next. */
  onFailure(agent: AgentRuntime, error: TroupeError): void;
  /** A run ended, or mails were refused: the team answers whoever awaits them. */
  onRunEnd(agent: AgentRuntime, end: RunEnd): void;
  /** A run took mailbox messages up to `seq` into history (pool hosts report it). */
  onTaken?(agent: AgentRuntime, seq: number): void;
  /** xstate's inspection observer, given to every agent actor (team option `inspect`). */
  readonly inspect?: AgentInspector | undefined;
}

/** How an agent is made: its definition, its name and role in the team, its tools. */
export interface AgentSpec {
  readonly name: string;
  readonly definition: AgentDefinition;
  readonly role: Role | undefined;
  readonly tools: ToolSet;
  readonly limiterKeys: readonly string[];
  /** Default: the definition's, else `'queue'`. */
  readonly whenBusy?: WhenBusy | undefined;
  /** Bound on one lease wait. Default: the definition's, else 10 minutes. */
  readonly leaseTimeoutMs?: number | undefined;
  /** The team's context policy: the definition's `context` fields win over it. */
  readonly context?: ContextOptions | undefined;
}
