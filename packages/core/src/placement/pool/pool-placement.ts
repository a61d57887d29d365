import type { ApprovalDecision } from '../../agent/approval-record.js';
import type { RunEnd } from '../../agent/env.js';
import type { Mail } from '../../agent/mail.js';
import { closedResult } from '../../agent/run.js';
import { addTotals, newUsage, type UsageCounter } from '../../agent/usage.js';
import type { BusBackend, LimiterBackend, SharedStateBackend } from '../../backends.js';
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
import { type ChannelContext, HostChannel } from './host-channel.js';
import { acquirePool, type PoolShare } from './shared-pool.js';

/** What a pool placement needs from its team. */
export interface PoolPlacementOptions {
  readonly pool: PoolOptions;
  readonly clock: Clock;
  readonly state: SharedStateBackend;
  readonly limiter: LimiterBackend;
  readonly bus: BusBackend;
  readonly events: EventHub;
  roster(): Promise<TeamMember[]>;
  /** What the hosts' team tools reach in the coordinator (who exists, asks). */
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
  host: HostChannel;
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
 * Agents in the process-wide piscina pool. Each team fills "hosts" (long-running tasks, up to
 * `agentsPerWorker` agents each) that piscina spreads over its workers; the team keeps the
 * services and a mirror of each agent's state and usage. A worker that dies takes its hosts'
 * agents with it: each is reported to the supervisor as failed, and a restart respawns it on a
 * live host (with fresh history: its old one died with the worker).
 */
class PoolPlacement implements Placement {
  readonly kind = 'pool' as const;
  readonly #options: PoolPlacementOptions;
  readonly #threads: number;
  readonly #perHost: number;
  readonly #hosts: HostChannel[] = [];
  readonly #agents = new Map<string, RemoteAgent>();
  readonly #ctx: ChannelContext;
  #share: PoolShare | undefined;
  #nextHost = 0;
  #wake: (() => void)[] = [];

  constructor(options: PoolPlacementOptions) {
    const { threads = 2, agentsPerWorker = 1_000 } = options.pool;
    if (!(Number.isInteger(threads) && threads > 0))
      throw invalidArgument('placement.pool.threads must be a positive integer', { threads });
    if (!(Number.isInteger(agentsPerWorker) && agentsPerWorker > 0)) {
      throw invalidArgument('placement.pool.agentsPerWorker must be a positive integer', {
        agentsPerWorker,
      });
    }
    this.#options = options;
    this.#threads = threads;
    this.#perHost = agentsPerWorker;
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
      for (const host of this.#hosts) host.tell({ t: 'events', types });
    });
  }

  async spawn(request: SpawnRequest): Promise<void> {
    const { name, role, source } = request;
    if (!isModuleRef(source)) {
      throw invalidArgument('pool placement spawns agents by module: { module, export }', { name });
    }
    const host = this.#pickHost();
    const { whenBusy, leaseTimeoutMs } = request;
    const agent: RemoteAgent = {
      host,
      source,
      role,
      state: 'idle',
      usage: newUsage(),
      failedForGood: false,
      whenBusy,
      leaseTimeoutMs,
    };
    this.#agents.set(name, agent);
    host.agents.add(name);
    try {
      await host.request({ t: 'spawn', name, source, role, whenBusy, leaseTimeoutMs }, name);
    } catch (error) {
      this.#agents.delete(name);
      host.agents.delete(name);
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
    agent.host.tell({ t: 'deliver', agent: name, mails });
  }

  cursor(name: string, rebase?: number): Promise<number> {
    return this.#get(name).host.request<number>({ t: 'cursor', agent: name, rebase }, name);
  }

  quiet(name: string): boolean {
    const agent = this.#agents.get(name);
    if (agent === undefined) return true;
    return !BUSY.has(agent.state) && agent.host.quiet;
  }

  #ended(name: string, end: RunEnd): void {
    const agent = this.#agents.get(name);
    if (agent !== undefined && end.again !== true) addTotals(agent.usage, end.result.usage);
    this.#options.hooks.onRunEnd(name, end);
  }

  cancel(name: string): Promise<boolean> {
    const agent = this.#get(name);
    return agent.host.request<boolean>({ t: 'cancel', agent: name }, name);
  }

  async decide(
    name: string,
    runId: string,
    callId: string,
    decision: ApprovalDecision,
  ): Promise<void> {
    const agent = this.#get(name);
    await agent.host.request({ t: 'decide', agent: name, runId, callId, decision }, name);
  }

  async restart(name: string): Promise<void> {
    const agent = this.#get(name);
    if (agent.host.alive) {
      await agent.host.request({ t: 'restart', agent: name }, name);
      agent.state = 'idle';
      return;
    }
    // Its worker died: spawn it afresh on a live host.
    agent.host.agents.delete(name);
    const host = this.#pickHost();
    agent.host = host;
    host.agents.add(name);
    await host.request(
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
    agent.host.tell({ t: 'markFailed', agent: name });
  }

  async stop(name: string): Promise<void> {
    const agent = this.#agents.get(name);
    if (agent === undefined) return;
    this.#agents.delete(name);
    agent.host.agents.delete(name);
    if (agent.host.alive) await agent.host.request({ t: 'stop', agent: name }, name);
  }

  state(name: string): AgentState {
    return this.#get(name).state;
  }

  usage(name: string): UsageCounter {
    return this.#get(name).usage;
  }

  history(name: string): Promise<ChatMessage[]> {
    return this.#get(name).host.request<ChatMessage[]>({ t: 'history', agent: name }, name);
  }

  context(name: string): Promise<Readonly<Record<string, unknown>>> {
    return this.#get(name).host.request({ t: 'context', agent: name }, name);
  }

  /**
   * Sends the session to the agent's worker, which loads it into the agent (history, context,
   * usage, and its derived states rebuilt there); the usage mirror starts from the stored totals.
   */
  async restore(name: string, session: RestoredSession): Promise<void> {
    const agent = this.#get(name);
    await agent.host.request({ t: 'restore', agent: name, session }, name);
    // Replaced, not added to: after its worker died, the mirror still holds the lost totals.
    Object.assign(agent.usage, newUsage());
    addTotals(agent.usage, session.usage);
  }

  /** Derived states live where the derivers do, in the worker: they come back as clones. */
  derived(name: string): Promise<Record<string, unknown>> {
    return this.#get(name).host.request({ t: 'derived', agent: name }, name);
  }

  lost(name: string): boolean {
    return !this.#get(name).host.alive;
  }

  /** Resolves when every host has processed all it was sent and nothing is queued either way. */
  async settled(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#hosts.every((host) => host.quiet)) {
        // Replies to the last batch may still be on their way through our own microtasks.
        await new Promise((resolve) => setImmediate(resolve));
        if (this.#hosts.every((host) => host.quiet)) return;
        continue;
      }
      await new Promise<void>((resolve) => this.#wake.push(resolve));
    }
  }

  async close(): Promise<void> {
    const hosts = this.#hosts.splice(0);
    await Promise.all(hosts.map((host) => host.close()));
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

  #pickHost(): HostChannel {
    for (const host of this.#hosts) if (host.alive && host.agents.size < this.#perHost) return host;
    this.#share ??= acquirePool(this.#threads);
    const options = this.#options;
    const host = new HostChannel(++this.#nextHost, this.#share.piscina, this.#ctx, {
      clock: options.clock === systemClock ? 'system' : 'remote',
      eventTypes: options.events.wantedTypes(),
      persist: options.hooks.afterTurn !== undefined,
      limiterKeys: options.limiterKeys,
      defaults: options.defaults,
    });
    this.#hosts.push(host);
    return host;
  }

  #onDeath(channel: HostChannel, error: TroupeError): void {
    const index = this.#hosts.indexOf(channel);
    if (index >= 0) this.#hosts.splice(index, 1);
    for (const name of channel.agents) {
      const agent = this.#agents.get(name);
      if (agent === undefined || agent.host !== channel) continue;
      agent.state = 'failed';
      this.#options.hooks.onFailure(name, error);
    }
  }
}

/**
 * A placement in the process-wide piscina pool (see {@link PoolPlacement}). The pool itself is
 * created on the first spawn.
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
