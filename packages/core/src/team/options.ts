import type { Tracer } from '@opentelemetry/api';
import { checkLeaseTimeout, checkWhenBusy } from '../agent/define-agent.js';
import type { WhenBusy } from '../agent/machine.js';
import {
  type ContextOptions,
  unclonableContextFields,
  validateContextOptions,
} from '../context/policy.js';
import { invalidArgument } from '../errors.js';
import { createIds } from '../ids.js';
import { checkOptionNames } from '../options.js';
import { validateResidency } from '../session/residency.js';
import { type Role, validateRole } from '../tools/tool-set.js';
import { resolveTracer } from '../tracing/options.js';
import { type SupervisionOptions, validateSupervision } from './supervisor.js';
import type { TeamOptions } from './types.js';

const TEAM_OPTIONS: ReadonlySet<string> = new Set([
  'clock',
  'state',
  'limiter',
  'bus',
  'store',
  'placement',
  'supervision',
  'ids',
  'id',
  'limiterKeys',
  'roles',
  'logFlushIntervalMs',
  'onListenerError',
  'idleTtlMs',
  'maxActive',
  'flushOnExit',
  'onPersistenceError',
  'whenBusy',
  'leaseTimeoutMs',
  'context',
  'inspect',
  'tracing',
  'distributed',
]);

/** Team options after validation: what the rest of the team is built from. */
export interface TeamConfig {
  readonly options: TeamOptions;
  readonly id: string;
  readonly roles: ReadonlyMap<string, Role>;
  readonly supervision: Required<SupervisionOptions>;
  readonly residency: ReturnType<typeof validateResidency>;
  readonly whenBusy: WhenBusy | undefined;
  readonly leaseTimeoutMs: number | undefined;
  /** Default context policy of the team's agents (each definition's fields win). */
  readonly context: ContextOptions | undefined;
  /** The tracer of the `tracing` option (undefined: the team builds no spans). */
  readonly tracer: Tracer | undefined;
}

function check(condition: boolean, message: string, details?: Record<string, unknown>): void {
  if (!condition) throw invalidArgument(message, details);
}

function isService(value: unknown, methods: readonly string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function')
  );
}

function checkServices(options: TeamOptions): void {
  const { clock, state, limiter, bus, store, placement = 'inline' } = options;
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
}

function checkRoles(roles: unknown): Map<string, Role> {
  check(roles === undefined || Array.isArray(roles), 'roles must be an array of roles');
  const named = new Map<string, Role>();
  for (const [i, role] of ((roles ?? []) as readonly Role[]).entries()) {
    const valid = validateRole(role, `roles[${i}]`);
    check(!named.has(valid.name), `roles has two roles named "${valid.name}"`);
    named.set(valid.name, valid);
  }
  return named;
}

/** Checks every team option once, naming the bad one; nothing is started before this passes. */
export function validateTeamOptions(options: TeamOptions): TeamConfig {
  check(typeof options === 'object' && options !== null, 'options must be an object');
  checkOptionNames(options, TEAM_OPTIONS, 'createTeam');
  checkServices(options);
  const { limiterKeys, onListenerError, store } = options;
  check(
    limiterKeys === undefined ||
      (Array.isArray(limiterKeys) &&
        limiterKeys.length > 0 &&
        limiterKeys.every((k) => typeof k === 'string' && k.length > 0)),
    'limiterKeys must be a non-empty array of non-empty strings',
  );
  check(
    onListenerError === undefined || typeof onListenerError === 'function',
    'onListenerError must be a function',
  );
  check(
    options.inspect === undefined || typeof options.inspect === 'function',
    'inspect must be a function (an xstate inspection observer)',
  );
  check(
    options.flushOnExit === undefined || typeof options.flushOnExit === 'boolean',
    'flushOnExit must be a boolean',
  );
  checkWhenBusy(options.whenBusy, 'whenBusy');
  checkLeaseTimeout(options.leaseTimeoutMs, 'leaseTimeoutMs');
  const context = validateContextOptions(options.context, 'context');
  // A pool's workers get the team's defaults by structured clone: functions cannot go.
  const unclonable =
    options.placement === undefined || options.placement === 'inline'
      ? []
      : unclonableContextFields(context);
  check(
    unclonable.length === 0,
    `context.${unclonable[0]} cannot reach pool workers: set it in the agent's definition instead`,
  );
  const supervision = validateSupervision(options.supervision);
  const roles = checkRoles(options.roles);
  const residency = validateResidency(options, store !== undefined);
  const id = options.id ?? (options.ids ?? createIds()).next('team', 12);
  check(typeof id === 'string' && id.length > 0, 'id must be a non-empty string');
  const tracer = resolveTracer(options.tracing);
  return {
    options,
    id,
    roles,
    supervision,
    residency,
    whenBusy: options.whenBusy,
    leaseTimeoutMs: options.leaseTimeoutMs,
    context,
    tracer,
  };
}
