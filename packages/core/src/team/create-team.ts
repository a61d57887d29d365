import { invalidArgument, TroupeError } from '../errors.js';
import { EventHub } from '../events/event-hub.js';
import { createIds } from '../ids.js';
import { InlinePlacement } from '../placement/inline.js';
import { createPoolPlacement } from '../placement/pool/pool-placement.js';
import type { Placement, PlacementHooks } from '../placement/types.js';
import { flushOnExit } from '../session/exit.js';
import { SessionPlacement, validateResidency } from '../session/session-placement.js';
import { type Role, validateRole } from '../tools/tool-set.js';
import { agentSessionId, TeamPersistence } from './persistence.js';
import { Supervisor, validateSupervision } from './supervisor.js';
import { createTeamTools } from './team-tools.js';
import type { AgentInfo, Team, TeamOptions } from './types.js';

export type { AgentInfo, SpawnOptions, Team, TeamOptions } from './types.js';

interface Member {
  readonly role: Role | undefined;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw invalidArgument(message);
}

function isService(value: unknown, methods: readonly string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function')
  );
}

/**
 * Creates a team. Options are validated here, once; bad ones are `ERR_INVALID_ARGUMENT`.
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
  check(typeof options === 'object' && options !== null, 'options must be an object');
  const { clock, state, limiter, bus, store, placement = 'inline', roles = [] } = options;
  check(isService(clock, ['now', 'setTimeout', 'clearTimeout']), 'clock must be a Clock');
  check(
    isService(state, ['claim', 'release', 'discover', 'discoveries']),
    'state must be a SharedStateBackend',
  );
  check(
    isService(limiter, ['tryAcquire', 'acquire', 'observe']),
    'limiter must be a LimiterBackend',
  );
  check(isService(bus, ['post', 'read', 'wait']), 'bus must be a BusBackend');
  check(
    store === undefined || isService(store, ['saveSnapshot', 'appendHistory', 'appendLog']),
    'store must be a SessionStore',
  );
  check(
    placement === 'inline' ||
      (typeof placement === 'object' && placement !== null && typeof placement.pool === 'object'),
    "placement must be 'inline' or { pool: { threads, agentsPerWorker } }",
  );
  const limiterKeys = options.limiterKeys;
  check(
    limiterKeys === undefined ||
      (Array.isArray(limiterKeys) && limiterKeys.every((k) => typeof k === 'string')),
    'limiterKeys must be an array of strings',
  );
  const supervisor = new Supervisor(validateSupervision(options.supervision));
  const namedRoles = new Map<string, Role>();
  for (const [i, role] of roles.entries())
    namedRoles.set(role.name, validateRole(role, `roles[${i}]`));
  const id = options.id ?? (options.ids ?? createIds()).next('team', 12);
  check(typeof id === 'string' && id.length > 0, 'id must be a non-empty string');

  const onListenerError = options.onListenerError;
  check(
    onListenerError === undefined || typeof onListenerError === 'function',
    'onListenerError must be a function',
  );
  const hub = new EventHub(() => clock.now(), onListenerError);
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
  const residency = validateResidency({
    ...(options.idleTtlMs === undefined ? {} : { idleTtlMs: options.idleTtlMs }),
    ...(options.maxActive === undefined ? {} : { maxActive: options.maxActive }),
  });
  check(
    store !== undefined || (residency.idleTtlMs === undefined && residency.maxActive === undefined),
    'idleTtlMs and maxActive need a store (passivated agents live in their sessions)',
  );
  check(
    options.flushOnExit === undefined || typeof options.flushOnExit === 'boolean',
    'flushOnExit must be a boolean',
  );
  const stopFlushOnExit =
    persistence !== undefined && options.flushOnExit === true
      ? flushOnExit(persistence.log)
      : undefined;

  const members = new Map<string, Member>();
  let closed = false;
  const hooks: PlacementHooks = {
    onState: () => {},
    onFailure: (name, error) => supervise(name, error),
    afterTurn:
      persistence === undefined ? undefined : (name, record) => persistence.afterTurn(name, record),
  };
  const roster = async () =>
    team.agents().map((a) => ({ name: a.name, role: a.role, state: a.state }));
  const placed: Placement =
    placement === 'inline'
      ? new InlinePlacement(
          {
            clock,
            limiter,
            events: hub,
            teamTools: createTeamTools({ state, bus, events: hub, roster }),
            limiterKeys,
          },
          hooks,
        )
      : createPoolPlacement({
          pool: placement.pool,
          clock,
          state,
          limiter,
          bus,
          events: hub,
          roster,
          limiterKeys,
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
          residency,
        });
  const host: Placement = sessions ?? placed;

  function supervise(name: string, error: TroupeError): void {
    if (closed || !members.has(name)) return;
    const decision = supervisor.decide(name, clock.now(), error);
    if (hub.active) {
      hub.emit({
        type: 'agent.failed',
        at: clock.now(),
        agent: name,
        error: { code: error.code, message: error.message },
        restarts: decision.restarts - (decision.restart ? 1 : 0),
        final: !decision.restart,
      });
    }
    if (!decision.restart) {
      host.markFailed(name);
      return;
    }
    host.restart(name).then(
      () => {
        if (hub.active)
          hub.emit({
            type: 'agent.restarted',
            at: clock.now(),
            agent: name,
            restarts: decision.restarts,
          });
      },
      (restartError: unknown) => {
        const failure =
          restartError instanceof TroupeError
            ? restartError
            : new TroupeError('ERR_INTERNAL', String(restartError));
        supervise(name, failure);
      },
    );
  }

  function member(name: string): Member {
    if (closed) throw new TroupeError('ERR_CLOSED', 'the team is closed');
    const found = members.get(name);
    if (found === undefined)
      throw new TroupeError('ERR_NOT_FOUND', `no agent named "${name}"`, { details: { name } });
    return found;
  }

  function info(name: string, m: Member): AgentInfo {
    const u = host.usage(name);
    return {
      name,
      role: m.role?.name,
      state: host.state(name),
      restarts: supervisor.restarts(name),
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

  const team: Team = {
    id,
    clock,
    placement: host.kind,
    async spawn(source, spawnOptions) {
      if (closed) throw new TroupeError('ERR_CLOSED', 'the team is closed');
      const name = spawnOptions?.name;
      if (typeof name !== 'string' || name.length === 0)
        throw invalidArgument('name must be a non-empty string');
      if (members.has(name))
        throw invalidArgument(`an agent named "${name}" already exists`, { name });
      const roleOption = spawnOptions.role;
      const role =
        roleOption === undefined
          ? undefined
          : typeof roleOption === 'string'
            ? (namedRoles.get(roleOption) ?? { name: roleOption })
            : validateRole(roleOption);
      const entry: Member = { role };
      members.set(name, entry);
      try {
        await host.spawn({ name, role, source });
      } catch (error) {
        members.delete(name);
        throw error;
      }
      const roleName = role?.name ?? undefined;
      if (hub.active)
        hub.emit({
          type: 'agent.started',
          at: clock.now(),
          agent: name,
          ...(roleName === undefined ? {} : { role: roleName }),
        });
      return info(name, entry);
    },
    send(name, message) {
      try {
        member(name);
        if (typeof message !== 'string')
          throw invalidArgument('message must be a string', { name });
      } catch (error) {
        return Promise.reject(error);
      }
      return host.send(name, message);
    },
    async cancel(name) {
      member(name);
      return host.cancel(name);
    },
    async stop(name) {
      member(name);
      members.delete(name);
      supervisor.forget(name);
      await host.stop(name);
      if (hub.active) hub.emit({ type: 'agent.stopped', at: clock.now(), agent: name });
    },
    agents() {
      const list: AgentInfo[] = [];
      for (const [name, m] of members) list.push(info(name, m));
      return list;
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
        if (members.has(name)) continue;
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
      try {
        await host.close();
      } finally {
        members.clear();
        try {
          await persistence?.close();
        } finally {
          stopFlushOnExit?.();
          hub.close();
        }
      }
    },
  };
  return team;
}
