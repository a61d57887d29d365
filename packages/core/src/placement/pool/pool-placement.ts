import type { ApprovalDecision } from '../../agent/approval-record.js';
import type { RunEnd } from '../../agent/env.js';
import type { Mail } from '../../agent/mail.js';
import { closedResult } from '../../agent/run.js';
import { addTotals, newUsage, type UsageCounter } from '../../agent/usage.js';
import type { BusBackend, LimiterBackend, SharedStateBackend } from '../../backend/interfaces.js';
import { type Clock, systemClock } from '../../clock.js';
import { invalidArgument, TroupeError } from '../../errors.js';
import type { EventHub } from '../../events/event-hub.js';
import type { AgentState } from '../../events/team-events.js';
import type { ChatMessage } from '../../model.js';
import type { RestoredSession } from '../../session/resume.js';
import type { TeamMember, TeamToolServices } from '../../team/team-tools.js';
import type { Role } from '../../tools/tool-set.js';
import type { AgentDefaults } from '../inline.js';
import { isModuleRef } from '../load-agent.js';
import type {
  AgentModuleRef,
  Placement,
  PlacementHooks,
  PoolOptions,
  SpawnRequest,
} from '../types.js';
import { type AgentPoolShare, acquireAgentPool, requestPoolSize } from './agent-pool.js';
import type { AgentWorker } from './agent-worker.js';
import { type ChannelContext, TeamChannel } from './team-channel.js';

/** What a pool placement needs from its team. */
export interface PoolPlacementOptions {
  readonly pool: PoolOptions;
  readonly clock: Clock;
  readonly state: SharedStateBackend;
  readonly limiter: LimiterBackend;
  readonly bus: BusBackend;
  readonly events: EventHub;
  roster(): Promise<TeamMember[]>;
  /** What the worker teams' team tools reach in the coordinator (who exists, asks). */
  readonly team: Pick<TeamToolServices, 'exists' | 'ask'>;
  readonly limiterKeys: readonly string[] | undefined;
  readonly defaults: AgentDefaults | undefined;
  readonly hooks: PlacementHooks;
}

const BUSY = new Set<AgentState>([
  'waitingForLease',
  'callingModel',
  'runningTools',
  'awaitingApproval',
]);

interface RemoteAgent {
  channel: TeamChannel;
  readonly source: AgentModuleRef;
  readonly role: Role | undefined;
  state: AgentState;
  /** Sum of the usage of its runs' results. */
  readonly usage: UsageCounter;
  /** The supervisor gave up on it: its messages are refused here. */
  failedForGood: boolean;
  readonly whenBusy: SpawnRequest['whenBusy'];
  readonly leaseTimeoutMs: SpawnRequest['leaseTimeoutMs'];
}

/**
 * Agents in the process-wide agent pool (agent-pool.ts). The team has one worker team (and a channel to it) on each worker
 * its agents are placed on, and keeps the services and a mirror of each agent's state and usage.
 * A worker holds at most `agentsPerWorker` agents, so a worker that dies takes only those: each
 * is reported to the supervisor as failed, and a restart respawns it on a live worker (with fresh
 * history: its old one died with the worker).
 */
class PoolPlacement implements Placement {
  readonly kind = 'pool' as const;
  readonly #options: PoolPlacementOptions;
  readonly #threads: number | undefined;
  readonly #perWorker: number;
  /** Every channel not yet closed or dead, and the live ones by worker. */
  readonly #channels: TeamChannel[] = [];
  readonly #channelOn = new Map<AgentWorker, TeamChannel>();
  readonly #agents = new Map<string, RemoteAgent>();
  readonly #ctx: ChannelContext;
  #share: AgentPoolShare | undefined;
  #nextChannel = 0;
  #wake: (() => void)[] = [];

  constructor(options: PoolPlacementOptions) {
    const { threads, agentsPerWorker = 1_000 } = options.pool;
    requestPoolSize(threads);
    if (!(Number.isInteger(agentsPerWorker) && agentsPerWorker > 0)) {
      throw invalidArgument('placement.pool.agentsPerWorker must be a positive integer', {
        agentsPerWorker,
      });
    }
    this.#options = options;
    this.#threads = threads;
    this.#perWorker = agentsPerWorker;
    const { hooks } = options;
    this.#ctx = {
      clock: options.clock,
      state: options.state,
      bus: options.bus,
      limiter: options.limiter,
      events: options.events,
      roster: options.roster,
      team: options.team,
      onRunEnd: (agent, end) => this.#ended(agent, end),
      onTaken: (agent, seq) => hooks.onTaken?.(agent, seq),
      onState: (agent, state) => {
        const found = this.#agents.get(agent);
        if (found !== undefined) found.state = state;
        hooks.onState(agent, state);
      },
      onFailure: (agent, error) => hooks.onFailure(agent, error),
      afterTurn: hooks.afterTurn,
      onDeath: (channel, error) => this.#onDeath(channel, error),
      onActivity: () => {
        const wake = this.#wake;
        this.#wake = [];
        for (const fn of wake) fn();
      },
    };
    options.events.watchTypes((types) => {
      for (const channel of this.#channels) channel.tell({ t: 'events', types });
    });
  }

  async spawn(request: SpawnRequest): Promise<void> {
    const { name, role, source } = request;
    if (!isModuleRef(source)) {
      throw invalidArgument('pool placement spawns agents by module: { module, export }', { name });
    }
    const channel = this.#pickChannel(name);
    const { whenBusy, leaseTimeoutMs } = request;
    const agent: RemoteAgent = {
      channel,
      source,
      role,
      state: 'idle',
      usage: newUsage(),
      failedForGood: false,
      whenBusy,
      leaseTimeoutMs,
    };
    this.#agents.set(name, agent);
    try {
      await channel.request({ t: 'spawn', name, source, role, whenBusy, leaseTimeoutMs }, name);
    } catch (error) {
      if (this.#agents.get(name) === agent) this.#agents.delete(name);
      this.#leave(channel, name);
      throw error;
    }
  }

  deliver(name: string, mails: readonly Mail[]): void {
    const agent = this.#get(name);
    if (agent.failedForGood) {
      this.#options.hooks.onRunEnd(name, { result: closedResult(name, 0), mails });
      return;
    }
    // A dead worker's agent gets these again from its mailbox after its restart.
    agent.channel.tell({ t: 'deliver', agent: name, mails });
  }

  cursor(name: string, rebase?: number): Promise<number> {
    return this.#get(name).channel.request<number>({ t: 'cursor', agent: name, rebase }, name);
  }

  quiet(name: string): boolean {
    const agent = this.#agents.get(name);
    if (agent === undefined) return true;
    return !BUSY.has(agent.state) && agent.channel.quiet;
  }

  #ended(name: string, end: RunEnd): void {
    const agent = this.#agents.get(name);
    if (agent !== undefined && end.again !== true) addTotals(agent.usage, end.result.usage);
    this.#options.hooks.onRunEnd(name, end);
  }

  cancel(name: string): Promise<boolean> {
    const agent = this.#get(name);
    return agent.channel.request<boolean>({ t: 'cancel', agent: name }, name);
  }

  async decide(
    name: string,
    runId: string,
    callId: string,
    decision: ApprovalDecision,
  ): Promise<void> {
    const agent = this.#get(name);
    await agent.channel.request({ t: 'decide', agent: name, runId, callId, decision }, name);
  }

  async restart(name: string): Promise<void> {
    const agent = this.#get(name);
    if (agent.channel.alive) {
      await agent.channel.request({ t: 'restart', agent: name }, name);
      agent.state = 'idle';
      return;
    }
    // Its worker died: spawn it afresh on a live worker.
    this.#leave(agent.channel, name);
    const channel = this.#pickChannel(name);
    agent.channel = channel;
    await channel.request(
      {
        t: 'spawn',
        name,
        source: agent.source,
        role: agent.role,
        whenBusy: agent.whenBusy,
        leaseTimeoutMs: agent.leaseTimeoutMs,
      },
      name,
    );
    agent.state = 'idle';
  }

  markFailed(name: string): void {
    const agent = this.#get(name);
    agent.state = 'failed';
    agent.failedForGood = true;
    agent.channel.tell({ t: 'markFailed', agent: name });
  }

  async stop(name: string): Promise<void> {
    const agent = this.#agents.get(name);
    if (agent === undefined) return;
    this.#agents.delete(name);
    try {
      if (agent.channel.alive) await agent.channel.request({ t: 'stop', agent: name }, name);
    } finally {
      this.#leave(agent.channel, name);
    }
  }

  state(name: string): AgentState {
    return this.#get(name).state;
  }

  usage(name: string): UsageCounter {
    return this.#get(name).usage;
  }

  history(name: string): Promise<ChatMessage[]> {
    return this.#get(name).channel.request<ChatMessage[]>({ t: 'history', agent: name }, name);
  }

  context(name: string): Promise<Readonly<Record<string, unknown>>> {
    return this.#get(name).channel.request({ t: 'context', agent: name }, name);
  }

  /**
   * Sends the session to the agent's worker, which loads it into the agent (history, context,
   * usage, and its derived states rebuilt there); the usage mirror starts from the stored totals.
   */
  async restore(name: string, session: RestoredSession): Promise<void> {
    const agent = this.#get(name);
    await agent.channel.request({ t: 'restore', agent: name, session }, name);
    // Replaced, not added to: after its worker died, the mirror still holds the lost totals.
    Object.assign(agent.usage, newUsage());
    addTotals(agent.usage, session.usage);
  }

  /** Derived states live where the derivers do, in the worker: they come back as clones. */
  derived(name: string): Promise<Record<string, unknown>> {
    return this.#get(name).channel.request({ t: 'derived', agent: name }, name);
  }

  /** False for an agent this placement no longer holds (stopped, or the team closed). */
  lost(name: string): boolean {
    const agent = this.#agents.get(name);
    return agent !== undefined && !agent.channel.alive;
  }

  /** Resolves when every channel has processed all it was sent and nothing is queued either way. */
  async settled(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#channels.every((channel) => channel.quiet)) {
        // Replies to the last batch may still be on their way through our own microtasks.
        await new Promise((resolve) => setImmediate(resolve));
        if (this.#channels.every((channel) => channel.quiet)) return;
        continue;
      }
      await new Promise<void>((resolve) => this.#wake.push(resolve));
    }
  }

  async close(): Promise<void> {
    const channels = this.#channels.splice(0);
    this.#channelOn.clear();
    await Promise.all(channels.map((channel) => channel.close()));
    // Slots are given back once the channels have closed: an emptied worker may then be stopped.
    for (const channel of channels)
      for (const name of [...channel.agents]) this.#leave(channel, name);
    this.#agents.clear();
    const share = this.#share;
    this.#share = undefined;
    await share?.release();
  }

  #get(name: string): RemoteAgent {
    const agent = this.#agents.get(name);
    if (agent === undefined)
      throw new TroupeError('ERR_NOT_FOUND', `no agent named "${name}"`, { details: { name } });
    return agent;
  }

  /** The channel of a worker with room for agent `name` (its slot taken), started if need be. */
  #pickChannel(name: string): TeamChannel {
    this.#share ??= acquireAgentPool(this.#threads);
    const worker = this.#share.place(this.#perWorker, this.#channelOn.keys());
    let channel = this.#channelOn.get(worker);
    if (channel === undefined) {
      channel = this.#startTeam(worker);
      this.#channelOn.set(worker, channel);
    }
    channel.agents.add(name);
    return channel;
  }

  /** Agent `name` is no longer on `channel`: its worker slot is given back. */
  #leave(channel: TeamChannel, name: string): void {
    if (!channel.agents.delete(name)) return;
    this.#share?.free(channel.worker, this.#perWorker);
  }

  #startTeam(worker: AgentWorker): TeamChannel {
    const options = this.#options;
    const channel = new TeamChannel(++this.#nextChannel, worker, this.#ctx, {
      clock: options.clock === systemClock ? 'system' : 'remote',
      eventTypes: options.events.wantedTypes(),
      persist: options.hooks.afterTurn !== undefined,
      limiterKeys: options.limiterKeys,
      defaults: options.defaults,
    });
    this.#channels.push(channel);
    return channel;
  }

  #onDeath(channel: TeamChannel, error: TroupeError): void {
    const index = this.#channels.indexOf(channel);
    if (index >= 0) this.#channels.splice(index, 1);
    if (this.#channelOn.get(channel.worker) === channel) this.#channelOn.delete(channel.worker);
    for (const name of channel.agents) {
      const agent = this.#agents.get(name);
      if (agent === undefined || agent.channel !== channel) continue;
      agent.state = 'failed';
      this.#options.hooks.onFailure(name, error);
    }
  }
}

/**
 * A placement in the process-wide agent pool (see {@link PoolPlacement}). The pool itself is
 * started on the first spawn; a `threads` that differs from a live pool's is refused here.
 *
 * @example
 * ```ts
 * const team = createTeam({ clock, state, limiter, bus, placement: { pool: { threads: 2, agentsPerWorker: 500 } } });
 * await team.spawn({ module: new URL('./agents.js', import.meta.url).href, export: 'researcher' }, { name: 'r1' });
 * ```
 */
export function createPoolPlacement(options: PoolPlacementOptions): Placement {
  return new PoolPlacement(options);
}
