import { approvalTarget } from '../agent/approval-record.js';
import { checkLeaseTimeout, checkWhenBusy } from '../agent/define-agent.js';
import { inboxTopic } from '../agent/mail.js';
import { closedResult } from '../agent/run.js';
import type { RunResult } from '../agent/run-result.js';
import type { Clock } from '../clock.js';
import { invalidArgument, isTroupeError } from '../errors.js';
import type { EventListener, EventStreamOptions } from '../events/event-hub.js';
import type { TeamEventType } from '../events/team-events.js';
import { createIds } from '../ids.js';
import type { ChatMessage } from '../model.js';
import { checkOptionNames } from '../options.js';
import type { AgentSource } from '../placement/types.js';
import type { ResidencyStats } from '../session/residency.js';
import type { FollowOptions } from './distributed/events.js';
import { parseDistributed } from './distributed/options.js';
import type { TeamConfig } from './options.js';
import { type Member, Members, nameOf, sender } from './team-members.js';
import { runAndWait } from './team-run.js';
import { type TeamParts, type TeamSelf, wireTeam } from './team-wiring.js';
import type {
  AgentInfo,
  AgentRef,
  IdleOptions,
  MessageOptions,
  SpawnOptions,
  TeamOptions,
  TeamRunOptions,
  TeamRunResult,
} from './types.js';

const SPAWN_OPTIONS: ReadonlySet<string> = new Set(['name', 'role', 'whenBusy', 'leaseTimeoutMs']);

/**
 * The team object `createTeam` returns: the public methods over the wired subsystems
 * ({@link wireTeam}). Each method checks its input, then hands over to the subsystem that owns
 * the work.
 */
export class LocalTeam implements TeamSelf {
  readonly id: string;
  readonly clock: Clock;
  readonly placement: 'inline' | 'pool';
  readonly members: Members;
  readonly #options: TeamOptions;
  readonly #parts: TeamParts;

  constructor(options: TeamOptions, config: TeamConfig) {
    this.#options = options;
    this.id = config.id;
    this.clock = options.clock;
    this.members = new Members(config.roles);
    const ids = options.ids ?? createIds();
    const distributed = parseDistributed(options.distributed, options, ids);
    this.#parts = wireTeam(options, config, ids, distributed, this);
    this.placement = this.#parts.agents.kind;
  }

  /** A name this process does not host, in a distributed team: another host may have it. */
  #elsewhere(name: unknown): name is string {
    return (
      this.#parts.remote !== undefined &&
      !this.members.closed &&
      typeof name === 'string' &&
      !this.members.has(name)
    );
  }

  #info(name: string, member: Member): AgentInfo {
    const { agents, supervision } = this.#parts;
    const u = agents.usage(name);
    return {
      name,
      role: member.role?.name,
      state: supervision.isRestarting(name) ? 'restarting' : agents.state(name),
      restarts: supervision.restarts(name),
      usage: {
        requests: u.requests,
        inputTokens: u.inputTokens,
        outputTokens: u.outputTokens,
        cacheReadTokens: u.cacheReadTokens,
        cacheWriteTokens: u.cacheWriteTokens,
        costUsd: u.costUsd,
      },
    };
  }

  /**
   * Starts the agent's pump after the last message it handled. A cursor whose message is not on
   * the bus (a fresh in-memory bus, or one trimmed past it) starts over from the topic's start.
   */
  async #openMailbox(name: string): Promise<void> {
    const { agents, mailboxes } = this.#parts;
    let cursor = await agents.cursor(name);
    if (cursor > 0) {
      const [probe] = await this.#options.bus.read(inboxTopic(name), {
        afterSeq: cursor - 1,
        limit: 1,
      });
      if (probe?.seq !== cursor) cursor = await agents.cursor(name, 0);
    }
    mailboxes.open(name, cursor);
  }

  async spawn(source: AgentSource, spawnOptions: SpawnOptions): Promise<AgentInfo> {
    this.members.open();
    if (typeof spawnOptions !== 'object' || spawnOptions === null)
      throw invalidArgument('spawn options must be an object with a name');
    checkOptionNames(spawnOptions, SPAWN_OPTIONS, 'spawn');
    const { name, whenBusy, leaseTimeoutMs } = spawnOptions;
    if (typeof name !== 'string' || name.length === 0)
      throw invalidArgument('name must be a non-empty string');
    if (this.members.has(name))
      throw invalidArgument(`an agent named "${name}" already exists`, { name });
    const role = this.members.role(spawnOptions.role);
    checkWhenBusy(whenBusy, 'whenBusy', name);
    checkLeaseTimeout(leaseTimeoutMs, 'leaseTimeoutMs', name);
    const member: Member = { role };
    this.members.add(name, member);
    const { remote, agents, mailboxes, hub } = this.#parts;
    try {
      await remote?.register(name, source, spawnOptions);
      await agents.spawn({ name, role, source, whenBusy, leaseTimeoutMs });
      await this.#openMailbox(name);
    } catch (error) {
      this.members.delete(name);
      mailboxes.close(name);
      if (!isTroupeError(error) || error.code !== 'ERR_ALREADY_EXISTS')
        await remote?.unregister(name).catch(() => undefined);
      throw error;
    }
    if (hub.active) {
      hub.emit({
        type: 'agent.started',
        at: this.clock.now(),
        agent: name,
        ...(role === undefined ? {} : { role: role.name }),
      });
    }
    return this.#info(name, member);
  }

  send(agent: AgentRef, message: string, messageOptions?: MessageOptions): Promise<RunResult> {
    let name: string;
    let from: string;
    try {
      name = nameOf(agent);
      if (!this.#elsewhere(name)) this.members.require(name);
      if (typeof message !== 'string' || message.length === 0)
        throw invalidArgument('message must be a non-empty string', { name });
      from = sender(messageOptions);
    } catch (error) {
      return Promise.reject(error);
    }
    const { remote, messaging, supervision } = this.#parts;
    if (this.#elsewhere(name)) {
      const to = name;
      return remote!.reach(to).then(() => messaging.send(to, message, from));
    }
    if (supervision.gaveUp(name)) return Promise.resolve(closedResult(name, 0));
    return messaging.send(name, message, from);
  }

  async post(name: string, body: string, messageOptions?: MessageOptions) {
    if (this.#elsewhere(name)) await this.#parts.remote!.reach(name);
    else this.members.require(name);
    if (typeof body !== 'string' || body.length === 0)
      throw invalidArgument('body must be a non-empty string', { name });
    return this.#options.bus.post(inboxTopic(name), { from: sender(messageOptions), body });
  }

  run(agent: AgentRef, message: string, runOptions?: TeamRunOptions): Promise<TeamRunResult> {
    const { hub, messaging, quiescence } = this.#parts;
    return runAndWait(
      {
        send: (name, text, options) => this.send(name, text, options),
        hub,
        clock: this.clock,
        messaging,
        idle: (o) => quiescence.idle(o),
      },
      nameOf(agent),
      message,
      runOptions,
    );
  }

  idle(idleOptions?: IdleOptions): Promise<void> {
    return this.#parts.quiescence.idle(idleOptions);
  }

  async cancel(name: string): Promise<boolean> {
    this.members.require(name);
    return this.#parts.agents.cancel(name);
  }

  async approve(runId: string, callId: string): Promise<void> {
    const name = approvalTarget(runId, callId);
    this.members.require(name);
    return this.#parts.agents.decide(name, runId, callId, { approved: true });
  }

  async reject(runId: string, callId: string, reason: string): Promise<void> {
    const name = approvalTarget(runId, callId, reason ?? null);
    this.members.require(name);
    return this.#parts.agents.decide(name, runId, callId, { approved: false, reason });
  }

  async stop(name: string): Promise<void> {
    this.members.require(name);
    this.members.delete(name);
    const { remote, agents, mailboxes, supervision, hub, messaging } = this.#parts;
    mailboxes.close(name);
    await remote?.unregister(name);
    await agents.stop(name);
    await supervision.stopped(name);
    if (hub.active) hub.emit({ type: 'agent.stopped', at: this.clock.now(), agent: name });
    messaging.activity.notify();
  }

  agents(): AgentInfo[] {
    const list: AgentInfo[] = [];
    for (const [name, member] of this.members.entries()) list.push(this.#info(name, member));
    const { remote } = this.#parts;
    return remote === undefined ? list : remote.withRemote(list);
  }

  agent(name: string): AgentInfo | undefined {
    const member = this.members.get(name);
    return member === undefined ? undefined : this.#info(name, member);
  }

  async history(name: string): Promise<ChatMessage[]> {
    this.members.require(name);
    return this.#parts.agents.history(name);
  }

  async context(name: string): Promise<Readonly<Record<string, unknown>>> {
    this.members.require(name);
    return this.#parts.agents.context(name);
  }

  events(streamOptions?: EventStreamOptions) {
    return this.#parts.hub.stream(streamOptions);
  }

  follow(agent: string, followOptions?: FollowOptions) {
    const { remote } = this.#parts;
    if (remote === undefined)
      throw invalidArgument('follow needs a distributed team: use events() or on() here');
    return remote.follow(agent, followOptions);
  }

  on<T extends TeamEventType | '*'>(type: T, listener: EventListener<T>): () => void {
    return this.#parts.hub.on(type, listener);
  }

  settled(): Promise<void> {
    return this.#parts.agents.settled();
  }

  async resume(source: AgentSource | ((agent: string) => AgentSource | undefined)) {
    this.members.open();
    const { store } = this.#options;
    if (store === undefined) throw invalidArgument('resume needs a store');
    const prefix = `${this.id}/`;
    const resumed: AgentInfo[] = [];
    for (const sessionId of await store.listSessions()) {
      if (!sessionId.startsWith(prefix)) continue;
      const name = sessionId.slice(prefix.length);
      // In a distributed team, an agent another host runs is not resumed here.
      if (this.members.has(name) || (await this.#parts.remote?.exists(name))) continue;
      const agentSource = typeof source === 'function' ? source(name) : source;
      if (agentSource !== undefined) resumed.push(await this.spawn(agentSource, { name }));
    }
    return resumed;
  }

  async derived(name: string): Promise<Record<string, unknown>> {
    this.members.require(name);
    return (await this.#parts.agents.derived?.(name)) ?? {};
  }

  residency(): ResidencyStats {
    const { sessions } = this.#parts;
    if (sessions !== undefined) return sessions.stats();
    return { live: this.members.size, passive: 0, hits: 0, misses: 0, evictions: 0, resumed: 0 };
  }

  async close(): Promise<void> {
    if (this.members.closed) return;
    this.members.close();
    const parts = this.#parts;
    // Leaves the directory: a closed host's agents are gone, not taken over.
    await parts.remote?.close(true).catch(() => undefined);
    parts.mailboxes.closeAll();
    parts.supervision.close();
    try {
      await parts.agents.close();
    } finally {
      this.members.clear();
      // Messages no run took before the close: answered as cancelled, like the runs it stopped.
      parts.messaging.replies.settleAll(() => ({
        ...closedResult('team', 0, 'the team is closed'),
        status: 'cancelled',
      }));
      parts.messaging.activity.notify();
      try {
        await parts.persistence?.close();
      } finally {
        parts.stopFlushOnExit?.();
        parts.tracer?.close();
        parts.hub.close();
      }
    }
  }
}
