import type { AgentDefinition } from '../agent/define-agent.js';
import type { AgentInspector, WhenBusy } from '../agent/machine.js';
import type { RunResult } from '../agent/run-result.js';
import type { BusBackend, LimiterBackend, SharedStateBackend } from '../backend/interfaces.js';
import type { Clock } from '../clock.js';
import type { ContextOptions } from '../context/policy.js';
import type { EventListener, EventStream, EventStreamOptions } from '../events/event-hub.js';
import type { AgentState, TeamEvent, TeamEventType, Usage } from '../events/team-events.js';
import type { IdGenerator } from '../ids.js';
import type { ChatMessage } from '../model.js';
import type { AgentSource, PlacementOption } from '../placement/types.js';
import type { ResidencyStats } from '../session/residency.js';
import type { WriteErrorHandler } from '../session/retry.js';
import type { SessionStore } from '../session/types.js';
import type { Role } from '../tools/tool-set.js';
import type { TracingOption } from '../tracing/options.js';
import type { FollowOptions } from './distributed/events.js';
import type { DistributedOptions } from './distributed/options.js';
import type { SupervisionOptions } from './supervisor.js';

// The public shapes of a team: its options, what spawn takes, what agents() shows, the Team.

/**
 * What {@link createTeam} takes.
 */
export interface TeamOptions {
  readonly clock: Clock;
  readonly state: SharedStateBackend;
  readonly limiter: LimiterBackend;
  readonly bus: BusBackend;
  /** When given, sessions are saved after each turn and team events go to the session log. */
  readonly store?: SessionStore;
  /** Default `'inline'`. */
  readonly placement?: PlacementOption;
  readonly supervision?: SupervisionOptions;
  /** Makes the team id when `id` is not given. */
  readonly ids?: IdGenerator;
  /** The team's id: the prefix of its agents' session ids (`<id>/<agent>`). */
  readonly id?: string;
  /** Limiter keys of agents whose definition names none (default `[model.id]`). */
  readonly limiterKeys?: readonly string[];
  /** Roles `spawn` can name by string. */
  readonly roles?: readonly Role[];
  /** The session log's write interval (default 500 ms). */
  readonly logFlushIntervalMs?: number;
  /**
   * Where an error thrown by an event listener goes (default: rethrown out of band, as an
   * uncaught exception). It never reaches the agent that emitted the event.
   */
  readonly onListenerError?: (error: unknown, event: TeamEvent) => void;
  /**
   * With a `store`: an agent idle this long is saved and its actor stopped; its next message
   * brings it back from its session (packages/core/docs/persistence.md).
   */
  readonly idleTtlMs?: number;
  /** With a `store`: at most this many live actors; least recently used idle ones passivate. */
  readonly maxActive?: number;
  /**
   * With a `store`: flush the session log on SIGINT, SIGTERM and `beforeExit` too (then exit
   * 128 + signo), until `close()`. Off by default: it takes over those signals' handling.
   */
  readonly flushOnExit?: boolean;
  /**
   * With a `store`: store errors of the background saves and session log (each retried with
   * backoff; `info.willRetry` is false once one is given up). They never reach the agents.
   */
  readonly onPersistenceError?: WriteErrorHandler;
  /** What busy agents do with new messages unless their spawn or definition says (default `'queue'`). */
  readonly whenBusy?: WhenBusy;
  /** Bound on one lease wait for agents whose definition sets none (default 10 minutes). */
  readonly leaseTimeoutMs?: number;
  /**
   * Default context policy of the team's agents: each definition's `context` fields win over
   * these (see `ContextOptions` and the core docs, `context.md`). With a pool placement it must
   * be plain data (no tokenizer, `pinned.when` or summary model: set those per agent).
   */
  readonly context?: ContextOptions;
  /**
   * xstate's inspection observer, handed to every agent actor (for example `@statelyai/inspect`'s
   * `inspector.inspect`). Unset, it costs nothing.
   */
  readonly inspect?: AgentInspector;
  /**
   * OpenTelemetry spans for runs, turns, model calls, tool calls, lease waits and claims
   * (packages/core/docs/tracing.md). Default (and `true`): on when a global tracer provider is
   * registered when the team is created, otherwise off at no cost; `false` is off;
   * `{ tracer }` or `{ tracerProvider }` uses that one.
   */
  readonly tracing?: TracingOption;
  /**
   * One team across processes and machines: agent names unique team-wide in `directory`,
   * messages to agents of any host, dead hosts' agents taken over here. Needs `id` and a
   * shared `store` (packages/core/docs/distributed.md).
   */
  readonly distributed?: DistributedOptions;
}

/**
 * What `team.spawn` takes besides the definition.
 */
export interface SpawnOptions {
  /** Unique in the team. */
  readonly name: string;
  /** A role, or the name of one of the team's `roles`. Default: the definition's role. */
  readonly role?: Role | string;
  /** This agent's busy policy (over the definition's and the team's). */
  readonly whenBusy?: WhenBusy;
  /** This agent's bound on one lease wait (over the definition's and the team's). */
  readonly leaseTimeoutMs?: number;
}

/**
 * Who a message is from (`team.post`, `team.send`, `team.run`): an agent's name, or anything
 * else (default `'user'`). The agent's history shows it.
 */
export interface MessageOptions {
  readonly from?: string;
}

/**
 * Bounds of `team.idle()`.
 */
export interface IdleOptions {
  /** Reject with `ERR_TIMEOUT` after this long on the team's clock. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * What `team.run` waits for and within which bounds.
 */
export interface TeamRunOptions extends MessageOptions {
  /** `'reply'` (default): until the agent answers; `'idle'`: until the whole team is idle. */
  readonly until?: 'reply' | 'idle';
  /** Give up after this long on the team's clock (status `timeout`). */
  readonly maxMs?: number;
  /** Give up after this many model calls across the team (status `max_turns_total`). */
  readonly maxTurnsTotal?: number;
}

/**
 * How `team.run` ended. On `timeout` or `max_turns_total` the team is left as it is: runs in
 * progress go on until you cancel them or close the team.
 */
export interface TeamRunResult<TOutput = unknown> {
  readonly status: 'completed' | 'timeout' | 'max_turns_total';
  /** The addressed agent's result (undefined when a bound passed before it answered). */
  readonly reply: RunResult<TOutput> | undefined;
  /** Each agent's last completed answer, by name. */
  readonly answers: Readonly<Record<string, string>>;
  /** Model calls made across the team while this ran. */
  readonly turns: number;
}

/**
 * One agent as `team.agents()` shows it.
 */
export interface AgentInfo<TOutput = unknown> {
  readonly name: string;
  readonly role: string | undefined;
  readonly state: AgentState;
  /** Restarts by the supervisor so far. */
  readonly restarts: number;
  readonly usage: Usage;
  /**
   * In a distributed team, the host that runs it. An agent of another host shows only its name,
   * host and role: `state` is `'idle'` and usage zero, as this process does not follow it.
   */
  readonly host?: string;
  /** Type-level only: the output type of the agent's definition. */
  readonly __output?: TOutput;
}

/** An agent named directly, or as `spawn` returned it (which carries its output type). */
export type AgentRef<TOutput = unknown> = string | AgentInfo<TOutput>;

/**
 * A supervised team of agents sharing state, a limiter and a bus. See packages/core/docs/agents.md.
 */
export interface Team {
  readonly id: string;
  readonly clock: Clock;
  readonly placement: 'inline' | 'pool';
  /** Spawns an agent (a root actor in the team's registry). Names are unique. */
  spawn<TOutput>(
    source: AgentDefinition<TOutput>,
    options: SpawnOptions,
  ): Promise<AgentInfo<TOutput>>;
  spawn(source: AgentSource, options: SpawnOptions): Promise<AgentInfo>;
  /**
   * Posts `message` to the agent's mailbox and resolves with the run that answered it (never
   * rejects for the agent's own faults: see {@link RunResult}). A busy agent follows its
   * `whenBusy` policy: by default the message waits for the run in progress to end.
   */
  send<TOutput = unknown>(
    agent: AgentRef<TOutput>,
    message: string,
    options?: MessageOptions,
  ): Promise<RunResult<TOutput>>;
  /** Posts `body` to the agent's mailbox (it runs on it); resolves once posted, with its seq. */
  post(agent: string, body: string, options?: MessageOptions): Promise<{ seq: number }>;
  /**
   * Sends and waits for the reply (`until: 'reply'`) or for the whole team to be idle
   * (`until: 'idle'`), within `maxMs` and `maxTurnsTotal`.
   */
  run<TOutput = unknown>(
    agent: AgentRef<TOutput>,
    message: string,
    options?: TeamRunOptions,
  ): Promise<TeamRunResult<TOutput>>;
  /** Resolves once every mailbox is empty, no run is in flight and no delivery is pending. */
  idle(options?: IdleOptions): Promise<void>;
  /** Stops the agent's run; false when it had none. */
  cancel(name: string): Promise<boolean>;
  /**
   * Approves a tool call the run `runId` paused for (its tool has `needsApproval`; the
   * `tool.approval_requested` event names the run and call): once every waiting call of the
   * turn is decided, the approved calls run. `ERR_NOT_FOUND` when no such call waits (unknown
   * run or call, the run ended); `ERR_CONFLICT` when the call was already decided (the first
   * decision stands).
   *
   * @example
   * ```ts
   * team.on('tool.approval_requested', (e) => void team.approve(e.runId, e.callId));
   * ```
   */
  approve(runId: string, callId: string): Promise<void>;
  /**
   * Rejects a tool call the run `runId` paused for: the call does not run, and the model sees
   * `reason` as its error result. Errors as {@link Team.approve}.
   *
   * @example
   * ```ts
   * await team.reject(e.runId, e.callId, 'not on a Friday');
   * ```
   */
  reject(runId: string, callId: string, reason: string): Promise<void>;
  /** Stops the agent and removes it from the team. */
  stop(name: string): Promise<void>;
  agents(): AgentInfo[];
  agent(name: string): AgentInfo | undefined;
  history(name: string): Promise<ChatMessage[]>;
  context(name: string): Promise<Readonly<Record<string, unknown>>>;
  /** An async iterable of events with a bounded, drop-oldest buffer. */
  events(options?: EventStreamOptions): EventStream;
  /** Calls `listener` for each event of `type` (or every event for `'*'`); returns unsubscribe. */
  on<T extends TeamEventType | '*'>(type: T, listener: EventListener<T>): () => void;
  /**
   * In a distributed team: the events of `agent`, whichever host runs it, for `forMs` (default
   * one minute) or until `signal` aborts. Its host copies them to the bus only while someone
   * follows. `ERR_NOT_FOUND` for an unknown agent (packages/core/docs/distributed.md).
   */
  follow(agent: string, options?: FollowOptions): AsyncIterable<TeamEvent>;
  /**
   * Resolves once the team has no work in flight other than waiting on its clock (pool
   * workers included). With a simulated clock: await this, then advance to `clock.nextDue()`.
   */
  settled(): Promise<void>;
  /**
   * Restarts agents from the team's stored sessions (ids `<team id>/<agent>`): spawns each one
   * not already in the team with `source` (or `source(name)`; `undefined` skips it). Needs a
   * `store`. An agent spawned under a name with a stored session resumes it on its own too.
   */
  resume(source: AgentSource | ((agent: string) => AgentSource | undefined)): Promise<AgentInfo[]>;
  /** Live and passivated agents, and how sends found them (hits, misses, evictions). */
  residency(): ResidencyStats;
  /** The agent's derived states (its definition's `derive`), current with its history. */
  derived(name: string): Promise<Record<string, unknown>>;
  /** Cancels every run, stops every agent, ends event streams, flushes the sessions it saves. */
  close(): Promise<void>;
}
