import { approvalTarget } from '../agent/approval-record.js';
import { checkLeaseTimeout, checkWhenBusy } from '../agent/define-agent.js';
import { mailFromMessage, USER_SENDER } from '../agent/mail.js';
import { closedResult, failedResult } from '../agent/run.js';
import type { RunResult } from '../agent/run-result.js';
import { invalidArgument, isTroupeError, TroupeError } from '../errors.js';
import { EventHub } from '../events/event-hub.js';
import { createIds } from '../ids.js';
import { checkOptionNames } from '../options.js';
import { InlinePlacement } from '../placement/inline.js';
import { createPoolPlacement } from '../placement/pool/pool-placement.js';
import type { Placement, PlacementHooks, PoolOptions } from '../placement/types.js';
import { flushOnExit } from '../session/exit.js';
import { SessionPlacement } from '../session/session-placement.js';
import { type Role, validateRole } from '../tools/tool-set.js';
import { TeamTracer } from '../tracing/team-tracer.js';
import { DistributedHost, respawn } from './distributed/host.js';
import { parseDistributed } from './distributed/options.js';
import { hostIds } from './distributed/routed-replies.js';
import { Mailboxes } from './mailboxes.js';
import { Messaging } from './messaging.js';
import { validateTeamOptions } from './options.js';
import { agentSessionId, TeamPersistence } from './persistence.js';
import { Quiescence } from './quiescence.js';
import { Supervision } from './supervision.js';
import { runAndWait } from './team-run.js';
import { createTeamTools, inboxTopic, type TeamToolServices } from './team-tools.js';
import type { AgentInfo, AgentRef, SpawnOptions, Team, TeamOptions } from './types.js';

export type { AgentInfo, SpawnOptions, Team, TeamOptions } from './types.js';

interface Member {
  readonly role: Role | undefined;
}

const SPAWN_OPTIONS: ReadonlySet<string> = new Set(['name', 'role', 'whenBusy', 'leaseTimeoutMs']);
const MESSAGE_OPTIONS: ReadonlySet<string> = new Set(['from']);

function sender(options: { from?: unknown } | undefined): string {
  if (options === undefined) return USER_SENDER;
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  checkOptionNames(options, MESSAGE_OPTIONS, 'message options');
  const from = options.from ?? USER_SENDER;
  if (typeof from !== 'string' || from.length === 0)
    throw invalidArgument('from must be a non-empty string', { from });
  return from;
}

/**
 * Creates a team. Options are validated here, once; bad ones are `ERR_INVALID_ARGUMENT`.
 * Every agent has a mailbox (`inbox:<name>` on the team's bus): a message to it is what makes
 * it run (packages/core/docs/agents.md).
 *
 * @example
 * ```ts
 * const clock = new SimulatedClock();
 * const team = createTeam({
 *   clock,
 *   state: createSharedState({ clock }),
 *   limiter: createRateLimiter({ clock, rules: [] }),
 *   bus: createBus({ clock }),
 *   supervision: { maxRestarts: 3, windowMs: 60_000 },
 * });
 * await team.spawn(researcher, { name: 'ada' });
 * const result = await team.send('ada', 'Map the auth module');
 * await team.close();
 * ```
 */
export function createTeam(options: TeamOptions): Team {
  const config = validateTeamOptions(options);
  const { clock, state, limiter, bus, store, placement = 'inline', limiterKeys } = options;
  const id = config.id;
  const ids = options.ids ?? createIds();
  const distributed = parseDistributed(options.distributed, options, ids);
  const hub = new EventHub(() => clock.now(), options.onListenerError);
  // Tracing: spans built from the team's events; without a tracer nothing listens for them.
  const tracer = config.tracer === undefined ? undefined : new TeamTracer(config.tracer, id, clock);
  tracer?.listen(hub);
  const persistence =
    store === undefined
      ? undefined
      : new TeamPersistence({
          store,
          clock,
          teamId: id,
          flushIntervalMs: options.logFlushIntervalMs,
          onError: options.onPersistenceError,
        });
  if (persistence !== undefined) persistence.subscribe(hub);
  const stopFlushOnExit =
    persistence !== undefined && options.flushOnExit === true
      ? flushOnExit(persistence.log)
      : undefined;

  const members = new Map<string, Member>();
  let closed = false;
  // A distributed team: this process is one host of it (team/distributed/).
  const remote =
    distributed === undefined
      ? undefined
      : new DistributedHost({
          config: distributed,
          clock,
          bus,
          state,
          hub,
          ids,
          adopt: async (name, definition) => void (await team.spawn(...respawn(name, definition))),
          history: (name) => team.history(name),
          evict: (name) => team.stop(name),
          local: () => members.keys(),
        });
  /** A name this process does not host, in a distributed team: another host may have it. */
  const elsewhere = (name: unknown): name is string =>
    remote !== undefined && !closed && typeof name === 'string' && !members.has(name);
  const exists = (name: string) => members.has(name) || (remote?.exists(name) ?? false);
  const messaging = new Messaging({
    bus,
    clock,
    ids: remote === undefined ? ids : hostIds(ids, remote.hostId),
    exists,
    ...(remote === undefined ? {} : { replies: remote.replies }),
    ...(tracer === undefined
      ? {}
      : { traceContext: (kind, from) => tracer.contextFor(kind, from) }),
  });
  const activity = messaging.activity;
  const hooks: PlacementHooks = {
    onState: () => activity.notify(),
    onFailure: (name, error) => supervision.failed(name, error),
    onRunEnd: (name, end) => {
      supervision.handled(name, end.mails);
      messaging.runEnded(name, end);
      sessions?.ended(name);
    },
    onTaken: (name, seq) => supervision.taken(name, seq),
    afterTurn:
      persistence === undefined ? undefined : (name, record) => persistence.afterTurn(name, record),
  };
  const roster = async () =>
    team.agents().map((a) => ({ name: a.name, role: a.role, state: a.state }));
  const services: Omit<TeamToolServices, 'handOff' | 'handled'> = {
    state,
    bus,
    events: hub,
    roster,
    exists,
    ask: (request, signal) => messaging.ask(request, signal),
  };
  const defaults = {
    whenBusy: config.whenBusy,
    leaseTimeoutMs: config.leaseTimeoutMs,
    context: config.context,
  };
  const inline: InlinePlacement | undefined =
    placement === 'inline'
      ? new InlinePlacement(
          {
            clock,
            limiter,
            events: hub,
            teamTools: createTeamTools({
              ...services,
              handOff: (from, to, message) => inline?.handOff(from, { to, message }) ?? false,
              handled: (agent) => inline?.handled(agent) ?? 0,
            }),
            limiterKeys,
            inspect: options.inspect,
            defaults,
          },
          hooks,
        )
      : undefined;
  const placed: Placement =
    inline ??
    createPoolPlacement({
      pool: (placement as { pool: PoolOptions }).pool,
      clock,
      state,
      limiter,
      bus,
      events: hub,
      roster,
      team: services,
      limiterKeys,
      defaults,
      hooks,
    });
  // With a store, agents resume their stored sessions and may passivate (session-placement.ts).
  const sessions =
    persistence === undefined || store === undefined
      ? undefined
      : new SessionPlacement(placed, {
          clock,
          store,
          saver: persistence.saver,
          sessionId: (agent) => agentSessionId(id, agent),
          seedRevision: (agent, revision) => persistence.seedRevision(agent, revision),
          residency: config.residency,
        });
  const host: Placement = sessions ?? placed;
  const mailboxes = new Mailboxes({
    bus,
    clock,
    deliver: (name, mails) => {
      if (members.has(name)) host.deliver(name, mails);
    },
    onError: () => activity.notify(),
    onActivity: () => activity.notify(),
  });
  const supervision = new Supervision({
    config: config.supervision,
    clock,
    events: hub,
    host,
    state,
    mailboxes,
    activity,
    isMember: (name) => !closed && members.has(name),
    async deadLetter(name, afterSeq, upTo, error) {
      const messages = await bus.read(inboxTopic(name), { afterSeq, limit: upTo - afterSeq });
      const ids: string[] = [];
      for (const message of messages) {
        const { id } = mailFromMessage(message);
        if (id !== undefined && message.seq <= upTo) ids.push(id);
      }
      messaging.replies.settle(ids, failedResult(name, error.code, error.message));
    },
  });
  const quiescence = new Quiescence({
    clock,
    host,
    mailboxes,
    activity,
    busy: () => supervision.restarting > 0,
    members: () => members.keys(),
    closed: () => closed,
  });

  function member(name: string): Member {
    if (closed) throw new TroupeError('ERR_CLOSED', 'the team is closed');
    if (typeof name !== 'string') throw invalidArgument('agent must be a name or an AgentInfo');
    const found = members.get(name);
    if (found === undefined)
      throw new TroupeError('ERR_NOT_FOUND', `no agent named "${name}"`, { details: { name } });
    return found;
  }

  const nameOf = (agent: AgentRef): string =>
    typeof agent === 'object' && agent !== null ? agent.name : agent;

  function role(option: SpawnOptions['role']): Role | undefined {
    if (option === undefined) return undefined;
    if (typeof option !== 'string') return validateRole(option);
    const named = config.roles.get(option);
    if (named === undefined) {
      throw invalidArgument(`no role named "${option}" in the team's roles`, {
        role: option,
        roles: [...config.roles.keys()],
      });
    }
    return named;
  }

  function info(name: string, m: Member): AgentInfo {
    const u = host.usage(name);
    return {
      name,
      role: m.role?.name,
      state: supervision.isRestarting(name) ? 'restarting' : host.state(name),
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
  async function openMailbox(name: string): Promise<void> {
    let cursor = await host.cursor(name);
    if (cursor > 0) {
      const [probe] = await bus.read(inboxTopic(name), { afterSeq: cursor - 1, limit: 1 });
      if (probe?.seq !== cursor) cursor = await host.cursor(name, 0);
    }
    mailboxes.open(name, cursor);
  }

  const team: Team = {
    id,
    clock,
    placement: host.kind,
    async spawn(source: Parameters<Team['spawn']>[0], spawnOptions: SpawnOptions) {
      if (closed) throw new TroupeError('ERR_CLOSED', 'the team is closed');
      if (typeof spawnOptions !== 'object' || spawnOptions === null)
        throw invalidArgument('spawn options must be an object with a name');
      checkOptionNames(spawnOptions, SPAWN_OPTIONS, 'spawn');
      const { name, whenBusy, leaseTimeoutMs } = spawnOptions;
      if (typeof name !== 'string' || name.length === 0)
        throw invalidArgument('name must be a non-empty string');
      if (members.has(name))
        throw invalidArgument(`an agent named "${name}" already exists`, { name });
      const agentRole = role(spawnOptions.role);
      checkWhenBusy(whenBusy, 'whenBusy', name);
      checkLeaseTimeout(leaseTimeoutMs, 'leaseTimeoutMs', name);
      const entry: Member = { role: agentRole };
      members.set(name, entry);
      try {
        await remote?.register(name, source, spawnOptions);
        await host.spawn({ name, role: agentRole, source, whenBusy, leaseTimeoutMs });
        await openMailbox(name);
      } catch (error) {
        members.delete(name);
        mailboxes.close(name);
        if (!isTroupeError(error) || error.code !== 'ERR_ALREADY_EXISTS')
          await remote?.unregister(name).catch(() => undefined);
        throw error;
      }
      const roleName = agentRole?.name ?? undefined;
      if (hub.active)
        hub.emit({
          type: 'agent.started',
          at: clock.now(),
          agent: name,
          ...(roleName === undefined ? {} : { role: roleName }),
        });
      return info(name, entry);
    },
    send(agent, message, messageOptions) {
      let name: string;
      let from: string;
      try {
        name = nameOf(agent);
        if (!elsewhere(name)) member(name);
        if (typeof message !== 'string' || message.length === 0)
          throw invalidArgument('message must be a non-empty string', { name });
        from = sender(messageOptions);
      } catch (error) {
        return Promise.reject(error);
      }
      if (elsewhere(name)) {
        const to = name;
        return remote!.reach(to).then(() => messaging.send(to, message, from)) as Promise<
          RunResult<never>
        >;
      }
      if (supervision.gaveUp(name)) return Promise.resolve(closedResult(name, 0));
      return messaging.send(name, message, from) as Promise<RunResult<never>>;
    },
    async post(name, body, messageOptions) {
      if (elsewhere(name)) await remote!.reach(name);
      else member(name);
      if (typeof body !== 'string' || body.length === 0)
        throw invalidArgument('body must be a non-empty string', { name });
      return bus.post(inboxTopic(name), { from: sender(messageOptions), body });
    },
    run(agent, message, runOptions) {
      return runAndWait(
        { team, hub, clock, messaging, idle: (o) => quiescence.idle(o) },
        nameOf(agent),
        message,
        runOptions,
      );
    },
    idle(idleOptions) {
      return quiescence.idle(idleOptions);
    },
    async cancel(name) {
      member(name);
      return host.cancel(name);
    },
    async approve(runId, callId) {
      const name = approvalTarget(runId, callId);
      member(name);
      return host.decide(name, runId, callId, { approved: true });
    },
    async reject(runId, callId, reason) {
      const name = approvalTarget(runId, callId, reason ?? null);
      member(name);
      return host.decide(name, runId, callId, { approved: false, reason });
    },
    async stop(name) {
      member(name);
      members.delete(name);
      mailboxes.close(name);
      await remote?.unregister(name);
      await host.stop(name);
      await supervision.stopped(name);
      if (hub.active) hub.emit({ type: 'agent.stopped', at: clock.now(), agent: name });
      activity.notify();
    },
    agents() {
      const list: AgentInfo[] = [];
      for (const [name, m] of members) list.push(info(name, m));
      return remote === undefined ? list : remote.withRemote(list);
    },
    agent(name) {
      const m = members.get(name);
      return m === undefined ? undefined : info(name, m);
    },
    async history(name) {
      member(name);
      return host.history(name);
    },
    async context(name) {
      member(name);
      return host.context(name);
    },
    events(streamOptions) {
      return hub.stream(streamOptions);
    },
    follow(agent, followOptions) {
      if (remote === undefined)
        throw invalidArgument('follow needs a distributed team: use events() or on() here');
      return remote.follow(agent, followOptions);
    },
    on(type, listener) {
      return hub.on(type, listener);
    },
    settled() {
      return host.settled();
    },
    async resume(source) {
      if (closed) throw new TroupeError('ERR_CLOSED', 'the team is closed');
      if (store === undefined) throw invalidArgument('resume needs a store');
      const prefix = `${id}/`;
      const resumed: AgentInfo[] = [];
      for (const sessionId of await store.listSessions()) {
        if (!sessionId.startsWith(prefix)) continue;
        const name = sessionId.slice(prefix.length);
        // In a distributed team, an agent another host runs is not resumed here.
        if (members.has(name) || (await remote?.exists(name))) continue;
        const agentSource = typeof source === 'function' ? source(name) : source;
        if (agentSource !== undefined) resumed.push(await team.spawn(agentSource, { name }));
      }
      return resumed;
    },
    async derived(name) {
      member(name);
      return (await host.derived?.(name)) ?? {};
    },
    residency() {
      if (sessions !== undefined) return sessions.stats();
      return { live: members.size, passive: 0, hits: 0, misses: 0, evictions: 0, resumed: 0 };
    },
    async close() {
      if (closed) return;
      closed = true;
      // Leaves the directory: a closed host's agents are gone, not taken over.
      await remote?.close(true).catch(() => undefined);
      mailboxes.closeAll();
      supervision.close();
      try {
        await host.close();
      } finally {
        members.clear();
        // Messages no run took before the close: answered as cancelled, like the runs it stopped.
        messaging.replies.settleAll(() => ({
          ...closedResult('team', 0, 'the team is closed'),
          status: 'cancelled',
        }));
        activity.notify();
        try {
          await persistence?.close();
        } finally {
          stopFlushOnExit?.();
          tracer?.close();
          hub.close();
        }
      }
    },
  } as Team;
  return team;
}
