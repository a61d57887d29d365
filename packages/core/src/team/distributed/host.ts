import { inboxTopic } from '../../agent/mail.js';
import type { BusBackend, Message, SharedStateBackend } from '../../backend/interfaces.js';
import type { Clock, TimerHandle } from '../../clock.js';
import type { DirectoryEntry } from '../../directory/types.js';
import { isTroupeError, TroupeError } from '../../errors.js';
import type { EventHub } from '../../events/event-hub.js';
import type { TeamEvent } from '../../events/team-events.js';
import type { IdGenerator } from '../../ids.js';
import { pause } from '../../internal/pause.js';
import type { ChatMessage } from '../../model.js';
import { isModuleRef } from '../../placement/load-agent.js';
import type { AgentModuleRef, AgentSource } from '../../placement/types.js';
import type { AgentInfo, SpawnOptions } from '../types.js';
import { EventRelay, type FollowOptions } from './events.js';
import type { DistributedConfig } from './options.js';
import { REANSWER_WINDOW, recoveredAnswers } from './recovered-answers.js';
import { isReplyBody, type ReplyBody, RoutedReplies, replyTopic } from './routed-replies.js';

/** What a spawned agent's directory entry records, so that a surviving host can spawn it again. */
export interface HostedDefinition extends AgentModuleRef {
  /** The spawn options that travel: a named role, the busy policy, the lease bound. */
  readonly spawn?: {
    readonly role?: string;
    readonly whenBusy?: string;
    readonly leaseTimeoutMs?: number;
  };
}

/** What the host needs from its team. */
export interface HostDeps {
  readonly config: DistributedConfig;
  readonly clock: Clock;
  readonly bus: BusBackend;
  readonly state: SharedStateBackend;
  /** The team's events (copied to followers on other hosts while they follow). */
  readonly hub: EventHub;
  readonly ids: IdGenerator;
  /** Spawns a taken-over agent here (the team's own spawn: it resumes the stored session). */
  adopt(name: string, definition: HostedDefinition): Promise<void>;
  /** A local agent's history (after a take-over: what its session brought back). */
  history(name: string): Promise<ChatMessage[]>;
  /** Stops a local agent another host took over (this host was thought dead). */
  evict(name: string): Promise<void>;
  /** Names of the agents running in this process. */
  local(): Iterable<string>;
  /** A directory or bus fault the host keeps retrying past (default: kept as `lastError`). */
  onError?(error: unknown): void;
}

/** The `team.spawn` arguments that bring a taken-over agent back from its directory entry. */
export function respawn(
  name: string,
  definition: HostedDefinition,
): [AgentModuleRef, SpawnOptions] {
  const { module, spawn = {} } = definition;
  const source =
    definition.export === undefined ? { module } : { module, export: definition.export };
  return [source, { name, ...spawn } as SpawnOptions];
}

function spawnFields(options: SpawnOptions): NonNullable<HostedDefinition['spawn']> {
  const { role, whenBusy, leaseTimeoutMs } = options;
  return {
    ...(typeof role === 'string' ? { role } : {}),
    ...(whenBusy === undefined ? {} : { whenBusy }),
    ...(leaseTimeoutMs === undefined ? {} : { leaseTimeoutMs }),
  };
}

const ZERO_USAGE: AgentInfo['usage'] = {
  requests: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd: 0,
};

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 5_000;

/**
 * This process as one host of a distributed team: it holds the host lease (a heartbeat every
 * third of `hostTtlMs` on the team's clock), registers the agents spawned here, takes over the
 * agents of dead hosts (releasing their claims and spawning them again from their module),
 * and pumps its reply topic, where answers to messages it sent to other hosts arrive.
 */
export class DistributedHost {
  readonly #deps: HostDeps;
  readonly replies: RoutedReplies;
  /** The first heartbeat: registrations wait for it. */
  readonly #ready: Promise<unknown>;
  readonly #controller = new AbortController();
  readonly #relay: EventRelay;
  /** Agents being spawned by a take-over: already registered to this host. */
  readonly #adopting = new Set<string>();
  /** Agents this host holds in the directory: registered, or taken over, by it. */
  readonly #held = new Set<string>();
  #remote: readonly DirectoryEntry[] = [];
  #timer: TimerHandle | undefined;
  /** The latest fault a round retried past (when no `onError` was given). */
  lastError: unknown;
  #ticking = false;
  #closed = false;
  /** Clock time of the last heartbeat this host sent. */
  #beatAt = Number.NEGATIVE_INFINITY;

  constructor(deps: HostDeps) {
    this.#deps = deps;
    const { config, bus } = deps;
    const onError = (error: unknown): void => this.#fault(error);
    this.replies = new RoutedReplies(config.hostId, (host, body) => {
      bus.post(replyTopic(host), { from: config.hostId, body }).catch(onError);
    });
    this.#ready = Promise.resolve(config.directory.heartbeat(config.hostId));
    this.#ready.catch(onError);
    this.#relay = new EventRelay({
      bus,
      clock: deps.clock,
      hub: deps.hub,
      directory: config.directory,
      hostId: config.hostId,
      ids: deps.ids,
      onError,
    });
    this.#schedule();
    void this.#pump();
    void this.#relay.serve(this.#controller.signal);
  }

  /** `team.follow`: the events of an agent of any host (see events.ts). */
  follow(agent: string, options?: FollowOptions): AsyncGenerator<TeamEvent> {
    return this.#relay.follow(agent, options);
  }

  get hostId(): string {
    return this.#deps.config.hostId;
  }

  /** Registers `name` under this host (`ERR_ALREADY_EXISTS` when the team has it anywhere). */
  async register(name: string, source: AgentSource, options: SpawnOptions): Promise<void> {
    if (this.#adopting.has(name)) return;
    await this.#ready;
    const spawn = spawnFields(options);
    const definition: HostedDefinition | null = isModuleRef(source)
      ? {
          module: source.module,
          ...(source.export === undefined ? {} : { export: source.export }),
          spawn,
        }
      : null;
    await this.#deps.config.directory.register({ name, host: this.hostId, definition });
    this.#held.add(name);
  }

  /** The agent left the team (stopped here, or its spawn failed). */
  async unregister(name: string): Promise<void> {
    if (this.#adopting.has(name)) return;
    this.#held.delete(name);
    await this.#deps.config.directory.unregister(name, this.hostId);
  }

  /** Whether the team has `name` on any host. */
  async exists(name: string): Promise<boolean> {
    return (await this.#deps.config.directory.lookup(name)) !== undefined;
  }

  /** Rejects with `ERR_NOT_FOUND` unless the team has `name` on some host. */
  async reach(name: string): Promise<void> {
    if (!(await this.exists(name)))
      throw new TroupeError('ERR_NOT_FOUND', `no agent named "${name}"`, { details: { name } });
  }

  /**
   * `team.agents()` of a distributed team: this host's agents (with their host) and those of
   * the other hosts as of the last refresh (every heartbeat), which show name, host and role.
   */
  withRemote(local: AgentInfo[]): AgentInfo[] {
    const out = local.map((info) => ({ ...info, host: this.hostId }));
    const seen = new Set(local.map((info) => info.name));
    for (const entry of this.#remote) {
      if (seen.has(entry.name)) continue;
      const role = (entry.definition as HostedDefinition | null)?.spawn?.role;
      out.push({
        name: entry.name,
        role,
        state: 'idle',
        restarts: 0,
        usage: ZERO_USAGE,
        host: entry.host,
      });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Reads the directory again now. */
  async refresh(): Promise<void> {
    const all = await this.#deps.config.directory.agents();
    this.#remote = all.filter((entry) => entry.host !== this.hostId);
  }

  /** One round: heartbeat, take over dead hosts' agents, drop agents taken from this host. */
  async tick(): Promise<void> {
    if (this.#ticking || this.#closed) return;
    this.#ticking = true;
    try {
      await this.#beat();
      for (const dead of await this.#deps.config.directory.deadHosts())
        await this.#takeOverHost(dead);
      await this.#evictLost();
      await this.refresh();
    } catch (error) {
      this.#fault(error);
    } finally {
      this.#ticking = false;
    }
  }

  /** Stops beating and pumping; with `leave`, removes this host and its agents from the directory. */
  async close(leave: boolean): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#controller.abort();
    if (this.#timer !== undefined) this.#deps.clock.clearTimeout(this.#timer);
    if (leave) await this.#deps.config.directory.leave(this.hostId);
  }

  async #beat(): Promise<void> {
    const at = this.#deps.clock.now();
    await this.#deps.config.directory.heartbeat(this.hostId);
    this.#beatAt = at;
  }

  #fault(error: unknown): void {
    this.lastError = error;
    this.#deps.onError?.(error);
  }

  async #takeOverHost(dead: string): Promise<void> {
    const { directory, hostId } = this.#deps.config;
    const every = this.#deps.config.hostTtlMs / 3;
    for (const entry of await directory.agents({ host: dead })) {
      // A long take-over must not cost this host its own lease.
      if (this.#deps.clock.now() - this.#beatAt >= every) await this.#beat();
      const definition = entry.definition;
      if (!isModuleRef(definition)) continue; // nothing here can load it
      const mine = await directory.takeOver(entry.name, dead, hostId);
      if (mine === undefined) continue; // another survivor won it
      this.#held.add(entry.name);
      await this.#releaseClaims(entry.name);
      this.#adopting.add(entry.name);
      try {
        await this.#deps.adopt(entry.name, definition as HostedDefinition);
        await this.#answerAgain(entry.name);
      } catch (error) {
        this.#fault(error);
      } finally {
        this.#adopting.delete(entry.name);
      }
    }
  }

  /** Sends again the answers its dead host may have lost (see recovered-answers.ts). */
  async #answerAgain(agent: string): Promise<void> {
    const history = await this.#deps.history(agent);
    let last = 0;
    for (const message of history)
      if (message.role === 'user') last = Math.max(last, message.seq ?? 0);
    const inbox = await this.#deps.bus.read(inboxTopic(agent), {
      afterSeq: Math.max(0, last - REANSWER_WINDOW),
      limit: REANSWER_WINDOW,
    });
    for (const { id, result } of recoveredAnswers(agent, history, inbox))
      this.replies.settle([id], result);
  }

  async #releaseClaims(agent: string): Promise<void> {
    const { state } = this.#deps;
    for (const claim of await state.claims({ agent })) await state.release(agent, claim.resource);
  }

  /** A host thought dead (a long pause) finds its agents taken over: stops its stale copies. */
  async #evictLost(): Promise<void> {
    const { directory, hostId } = this.#deps.config;
    // Only names held before the read: one registered meanwhile is not in the answer yet.
    const before = [...this.#held];
    const listed = new Set((await directory.agents({ host: hostId })).map((entry) => entry.name));
    const here = new Set(this.#deps.local());
    for (const name of before) {
      if (listed.has(name) || !this.#held.has(name)) continue;
      this.#held.delete(name);
      if (here.has(name)) await this.#deps.evict(name);
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    const every = Math.max(1, Math.floor(this.#deps.config.hostTtlMs / 3));
    this.#timer = this.#deps.clock.setTimeout(() => {
      void this.tick().finally(() => this.#schedule());
    }, every);
  }

  /** Answers from other hosts to this host's sends and asks, settled in its replies. */
  async #pump(): Promise<void> {
    const { bus, clock } = this.#deps;
    const topic = replyTopic(this.hostId);
    const signal = this.#controller.signal;
    let afterSeq = 0;
    let backoff = FIRST_BACKOFF_MS;
    while (!this.#closed) {
      let batch: Message[];
      try {
        batch = await bus.wait(topic, { afterSeq, limit: 1_000, signal });
      } catch (error) {
        if (this.#closed || (isTroupeError(error) && error.code === 'ERR_CLOSED')) return;
        this.#fault(error);
        // Replies lost to a bus gap cannot be read again: go on from where the bus says.
        const resume = isTroupeError(error) ? error.details?.resumeAfterSeq : undefined;
        if (typeof resume === 'number') afterSeq = resume;
        await pause(clock, backoff, signal);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      backoff = FIRST_BACKOFF_MS;
      for (const message of batch) {
        afterSeq = message.seq;
        if (isReplyBody(message.body)) this.#settle(message.body);
      }
    }
  }

  #settle(body: ReplyBody): void {
    this.replies.settle(body.ids, body.result);
  }
}
