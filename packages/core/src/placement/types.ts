import type { ApprovalDecision } from '../agent/approval-record.js';
import type { AgentDefinition } from '../agent/define-agent.js';
import type { RunEnd } from '../agent/env.js';
import type { WhenBusy } from '../agent/machine.js';
import type { Mail } from '../agent/mail.js';
import type { UsageCounter } from '../agent/usage.js';
import type { Clock } from '../clock.js';
import type { TroupeError } from '../errors.js';
import type { AgentState, Usage } from '../events/team-events.js';
import type { ChatMessage } from '../model.js';
import type { RestoredSession } from '../session/resume.js';
import type { Role } from '../tools/tool-set.js';

/**
 * An agent definition by module (for example
 * `{ module: new URL('./agents.js', import.meta.url).href, export: 'researcher' }`): the module's export (default `default`) is an
 * {@link AgentDefinition} or a function `({ name, role }) => AgentDefinition`. The only kind a
 * pool can spawn (definitions hold functions and cannot cross threads). The module must be
 * plain JavaScript Node can import (an absolute `file:` URL or a package specifier).
 */
export interface AgentModuleRef {
  readonly module: string;
  readonly export?: string;
}

/**
 * A module export that makes one definition per spawned agent.
 */
export type AgentFactory = (spawn: {
  readonly name: string;
  readonly role: Role | undefined;
  /** The team's clock (in a pool worker, a proxy of it): give it to models and timers. */
  readonly clock: Clock;
}) => AgentDefinition;

/**
 * What `team.spawn` takes: a definition (inline only) or a module reference (both placements).
 */
export type AgentSource = AgentDefinition | AgentModuleRef;

/**
 * Where agents run. `'inline'` (default) or the process's agent pool of worker threads.
 */
export type PlacementOption = 'inline' | { readonly pool: PoolOptions };

/**
 * Options of the pool placement.
 */
export interface PoolOptions {
  /**
   * Size of the process-wide agent pool: sets it when no pool is live (like
   * `configureAgentPool`); refused with `ERR_INVALID_ARGUMENT` while a live pool has another
   * size. Omitted: the process's size (default 2).
   */
  readonly threads?: number;
  /**
   * Agents on one worker thread at most, across teams (default 1,000); when every worker is
   * full another starts. A worker's death takes only its own agents.
   */
  readonly agentsPerWorker?: number;
}

/** What the team needs to persist one agent after a turn. */
export interface TurnRecord {
  readonly context: Readonly<Record<string, unknown>>;
  readonly usage: Usage;
  readonly historyLength: number;
  readonly fromIndex: number;
  readonly messages: readonly ChatMessage[];
}

/** Callbacks a placement makes into its team. */
export interface PlacementHooks {
  onState(name: string, state: AgentState): void;
  onFailure(name: string, error: TroupeError): void;
  /** A run ended (or mails were refused): the team answers whoever awaits them. */
  onRunEnd(name: string, end: RunEnd): void;
  /** A run took mailbox messages up to `seq` (pool placement: in flight if its worker dies). */
  onTaken?(name: string, seq: number): void;
  /** Set only when the team persists. */
  readonly afterTurn: ((name: string, record: TurnRecord) => void) | undefined;
}

/** What the team asks a placement to spawn. */
export interface SpawnRequest {
  readonly name: string;
  readonly role: Role | undefined;
  readonly source: AgentSource;
  /** The spawn option, else the team default (the definition's own comes after both). */
  readonly whenBusy?: WhenBusy | undefined;
  readonly leaseTimeoutMs?: number | undefined;
}

/** The coordinator's view of where agents run; the team's only dependency on placement. */
export interface Placement {
  readonly kind: 'inline' | 'pool';
  spawn(request: SpawnRequest): Promise<void>;
  /** Hands mailbox messages to the agent's actor (fire and forget; the run's end is reported). */
  deliver(name: string, mails: readonly Mail[]): void;
  /** True when the agent has no run in progress and nothing queued (as far as this side knows). */
  quiet(name: string): boolean;
  /**
   * The last mailbox seq the agent handled (after a resume: from its stored history); with
   * `rebase`, first sets it to that (its mailbox topic restarted: a new in-memory bus).
   */
  cursor(name: string, rebase?: number): Promise<number>;
  cancel(name: string): Promise<boolean>;
  /** A fresh actor for a failed agent (in the pool: a new host when its worker died). */
  restart(name: string): Promise<void>;
  /** The supervisor gave up on it. */
  markFailed(name: string): void;
  stop(name: string): Promise<void>;
  state(name: string): AgentState;
  usage(name: string): UsageCounter | Usage;
  history(name: string): Promise<ChatMessage[]>;
  context(name: string): Promise<Readonly<Record<string, unknown>>>;
  /**
   * A person's decision on a tool call the agent's run `runId` paused for (`team.approve` /
   * `team.reject`), carried out where the agent runs. Rejects with `ERR_NOT_FOUND` when no such
   * call waits, `ERR_CONFLICT` when it was already decided.
   */
  decide(name: string, runId: string, callId: string, decision: ApprovalDecision): Promise<void>;
  /** Resolves once no work is in flight (pool: every worker has caught up). */
  settled(): Promise<void>;
  close(): Promise<void>;
  /**
   * Loads a stored session into a just-spawned agent (resume, reactivation after passivation).
   * Resolves once the agent holds it (the pool: once its worker has loaded it). Placements
   * without it cannot resume or passivate agents.
   */
  restore?(name: string, session: RestoredSession): void | Promise<void>;
  /**
   * The agent's derived states (its definition's `derive`), current with its history. In the
   * pool they live in the agent's worker (the derivers are functions of its definition) and
   * cross as structured clones.
   */
  derived?(name: string): Promise<Record<string, unknown>>;
  /**
   * True when the agent's actor was lost with its history (a pool worker died): its restart
   * starts from nothing, so a team with a store reloads its session into it.
   */
  lost?(name: string): boolean;
}
