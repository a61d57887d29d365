import type { AgentDefinition } from '../agent/define-agent.js';
import { inboxTopic, mailFromMessage } from '../agent/mail.js';
import { failedResult } from '../agent/run.js';
import { EventHub } from '../events/event-hub.js';
import type { IdGenerator } from '../ids.js';
import type { ChatMessage } from '../model.js';
import { InlinePlacement } from '../placement/inline.js';
import { createPoolPlacement } from '../placement/pool/pool-placement.js';
import type { AgentSource, Placement, PlacementHooks, PoolOptions } from '../placement/types.js';
import { flushOnExit } from '../session/exit.js';
import { SessionPlacement } from '../session/session-placement.js';
import { TeamTracer } from '../tracing/team-tracer.js';
import { DistributedHost, respawn } from './distributed/host.js';
import type { DistributedConfig } from './distributed/options.js';
import { hostIds } from './distributed/routed-replies.js';
import { Mailboxes } from './mailboxes.js';
import { Messaging } from './messaging.js';
import type { TeamConfig } from './options.js';
import { agentSessionId, TeamPersistence } from './persistence.js';
import { Quiescence } from './quiescence.js';
import { Supervision } from './supervision.js';
import type { Members } from './team-members.js';
import { createTeamTools, type TeamToolServices } from './team-tools.js';
import type { AgentInfo, SpawnOptions, TeamOptions } from './types.js';

/** What the wiring calls back into: the team object itself. */
export interface TeamSelf {
  readonly members: Members;
  spawn(source: AgentSource | AgentDefinition, options: SpawnOptions): Promise<AgentInfo>;
  history(name: string): Promise<ChatMessage[]>;
  stop(name: string): Promise<void>;
  agents(): AgentInfo[];
}

/** The subsystems of one team, wired together by {@link wireTeam}. */
export interface TeamParts {
  readonly hub: EventHub;
  readonly tracer: TeamTracer | undefined;
  readonly persistence: TeamPersistence | undefined;
  readonly stopFlushOnExit: (() => void) | undefined;
  /** This process's part of a distributed team (undefined: the team lives here only). */
  readonly remote: DistributedHost | undefined;
  readonly messaging: Messaging;
  /** Where the agents run: the placement, behind the session placement when there is a store. */
  readonly agents: Placement;
  readonly sessions: SessionPlacement | undefined;
  readonly mailboxes: Mailboxes;
  readonly supervision: Supervision;
  readonly quiescence: Quiescence;
}

type Observers = Pick<TeamParts, 'hub' | 'tracer' | 'persistence' | 'stopFlushOnExit'>;

/** Events, tracing and persistence: what watches the team. */
function observers(options: TeamOptions, config: TeamConfig): Observers {
  const { clock, store } = options;
  const hub = new EventHub(() => clock.now(), options.onListenerError);
  // Tracing: spans built from the team's events; without a tracer nothing listens for them.
  const tracer =
    config.tracer === undefined ? undefined : new TeamTracer(config.tracer, config.id, clock);
  tracer?.listen(hub);
  const persistence =
    store === undefined
      ? undefined
      : new TeamPersistence({
          store,
          clock,
          teamId: config.id,
          flushIntervalMs: options.logFlushIntervalMs,
          onError: options.onPersistenceError,
        });
  persistence?.subscribe(hub);
  const stopFlushOnExit =
    persistence !== undefined && options.flushOnExit === true
      ? flushOnExit(persistence.log)
      : undefined;
  return { hub, tracer, persistence, stopFlushOnExit };
}

/** A distributed team's host in this process (team/distributed/), or none. */
function distributedHost(
  options: TeamOptions,
  distributed: DistributedConfig | undefined,
  ids: IdGenerator,
  hub: EventHub,
  self: TeamSelf,
): DistributedHost | undefined {
  if (distributed === undefined) return undefined;
  return new DistributedHost({
    config: distributed,
    clock: options.clock,
    bus: options.bus,
    state: options.state,
    hub,
    ids,
    adopt: async (name, definition) => void (await self.spawn(...respawn(name, definition))),
    history: (name) => self.history(name),
    evict: (name) => self.stop(name),
    local: () => self.members.names(),
  });
}

/** Ask, send and handoff, with replies routed through the directory in a distributed team. */
function messagingFor(
  options: TeamOptions,
  ids: IdGenerator,
  parts: Pick<TeamParts, 'remote' | 'tracer'>,
  exists: (name: string) => boolean | Promise<boolean>,
): Messaging {
  const { remote, tracer } = parts;
  return new Messaging({
    bus: options.bus,
    clock: options.clock,
    ids: remote === undefined ? ids : hostIds(ids, remote.hostId),
    exists,
    ...(remote === undefined ? {} : { replies: remote.replies }),
    ...(tracer === undefined
      ? {}
      : { traceContext: (kind, from) => tracer.contextFor(kind, from) }),
  });
}

interface PlacementDeps {
  readonly options: TeamOptions;
  readonly config: TeamConfig;
  readonly hub: EventHub;
  readonly services: Omit<TeamToolServices, 'handOff' | 'handled'>;
  readonly hooks: PlacementHooks;
}

/** Inline or pool placement, as the team's `placement` option says. */
function placementFor({ options, config, hub, services, hooks }: PlacementDeps): Placement {
  const { clock, limiter, limiterKeys, placement = 'inline' } = options;
  const defaults = {
    whenBusy: config.whenBusy,
    leaseTimeoutMs: config.leaseTimeoutMs,
    context: config.context,
  };
  if (placement === 'inline') {
    // Named field by field, not `{ ...services, handOff, handled }`: V8 gives an object built
    // by a spread and then extended a hidden class of its own, in old space, which keeps the
    // whole team alive through young-generation collections (one team per simulated team).
    const { state, bus, events, roster, exists, ask } = services;
    const inline: InlinePlacement = new InlinePlacement(
      {
        clock,
        limiter,
        events: hub,
        teamTools: createTeamTools({
          state,
          bus,
          events,
          roster,
          exists,
          ask,
          handOff: (from, to, message) => inline.handOff(from, { to, message }),
          handled: (agent) => inline.handled(agent),
        }),
        limiterKeys,
        inspect: options.inspect,
        defaults,
      },
      hooks,
    );
    return inline;
  }
  return createPoolPlacement({
    pool: (placement as { pool: PoolOptions }).pool,
    clock,
    state: options.state,
    limiter,
    bus: options.bus,
    events: hub,
    roster: services.roster,
    team: services,
    limiterKeys,
    defaults,
    hooks,
  });
}

/**
 * Builds and connects a team's subsystems: events and persistence, messaging, the placement
 * (behind sessions with a store), mailboxes, supervision and quiescence.
 */
export function wireTeam(
  options: TeamOptions,
  config: TeamConfig,
  ids: IdGenerator,
  distributed: DistributedConfig | undefined,
  self: TeamSelf,
): TeamParts {
  const { clock, state, bus, store } = options;
  const { members } = self;
  const watch = observers(options, config);
  const remote = distributedHost(options, distributed, ids, watch.hub, self);
  const exists = (name: string) => members.has(name) || (remote?.exists(name) ?? false);
  const messaging = messagingFor(options, ids, { remote, tracer: watch.tracer }, exists);
  const { activity } = messaging;
  // Filled below: the placement's hooks reach supervision and sessions, built after it.
  const late: {
    supervision?: Supervision;
    mailboxes?: Mailboxes;
    sessions?: SessionPlacement | undefined;
  } = {};
  const { persistence } = watch;
  const hooks: PlacementHooks = {
    onState: () => activity.notify(),
    onFailure: (name, error) => late.supervision?.failed(name, error),
    onRunEnd: (name, end) => {
      late.supervision?.handled(name, end.mails);
      late.mailboxes?.handled(name, end.mails);
      messaging.runEnded(name, end);
      late.sessions?.ended(name);
    },
    onTaken: (name, seq) => late.supervision?.taken(name, seq),
    afterTurn:
      persistence === undefined ? undefined : (name, record) => persistence.afterTurn(name, record),
  };
  const roster = async () =>
    self.agents().map((a) => ({ name: a.name, role: a.role, state: a.state }));
  const services = {
    state,
    bus,
    events: watch.hub,
    roster,
    exists,
    ask: (request, signal) => messaging.ask(request, signal),
  } satisfies Omit<TeamToolServices, 'handOff' | 'handled'>;
  const placed = placementFor({ options, config, hub: watch.hub, services, hooks });
  // With a store, agents resume their stored sessions and may passivate (session-placement.ts).
  const sessions =
    persistence === undefined || store === undefined
      ? undefined
      : new SessionPlacement(placed, {
          clock,
          store,
          saver: persistence.saver,
          sessionId: (agent) => agentSessionId(config.id, agent),
          seedRevision: (agent, revision) => persistence.seedRevision(agent, revision),
          residency: config.residency,
        });
  late.sessions = sessions;
  const agents: Placement = sessions ?? placed;
  const delivery = deliveryFor(options, config, { agents, members, messaging, hub: watch.hub });
  late.supervision = delivery.supervision;
  late.mailboxes = delivery.mailboxes;
  // Field by field, not spreads (see placementFor).
  const { hub, tracer, stopFlushOnExit } = watch;
  const { mailboxes, supervision, quiescence } = delivery;
  return {
    hub,
    tracer,
    persistence,
    stopFlushOnExit,
    remote,
    messaging,
    agents,
    sessions,
    mailboxes,
    supervision,
    quiescence,
  };
}

interface DeliveryDeps {
  readonly agents: Placement;
  readonly members: Members;
  readonly messaging: Messaging;
  readonly hub: EventHub;
}

/** Mailbox pumps, supervision (restarts, dead letters) and quiescence (`team.idle`). */
function deliveryFor(
  options: TeamOptions,
  config: TeamConfig,
  { agents, members, messaging, hub }: DeliveryDeps,
): Pick<TeamParts, 'mailboxes' | 'supervision' | 'quiescence'> {
  const { clock, bus, state } = options;
  const { activity } = messaging;
  const mailboxes = new Mailboxes({
    bus,
    clock,
    deliver: (name, mails) => {
      if (members.has(name)) agents.deliver(name, mails);
    },
    onError: () => activity.notify(),
    onActivity: () => activity.notify(),
  });
  const supervision = new Supervision({
    config: config.supervision,
    clock,
    events: hub,
    agents,
    state,
    mailboxes,
    activity,
    isMember: (name) => !members.closed && members.has(name),
    async deadLetter(name, afterSeq, upTo, error) {
      const messages = await bus.read(inboxTopic(name), { afterSeq, limit: upTo - afterSeq });
      const taken: string[] = [];
      for (const message of messages) {
        const { id } = mailFromMessage(message);
        if (id !== undefined && message.seq <= upTo) taken.push(id);
      }
      messaging.replies.settle(taken, failedResult(name, error.code, error.message));
    },
  });
  const quiescence = new Quiescence({
    clock,
    agents,
    mailboxes,
    activity,
    busy: () => supervision.restarting > 0,
    members: () => members.names(),
    closed: () => members.closed,
  });
  return { mailboxes, supervision, quiescence };
}
