import { requireDuration, requireRecord } from '../../backend/validate.js';
import { checkDirectoryName, DEFAULT_HOST_TTL_MS } from '../../directory/checks.js';
import type { TeamDirectory } from '../../directory/types.js';
import { invalidArgument } from '../../errors.js';
import type { IdGenerator } from '../../ids.js';
import { checkOptionNames } from '../../options.js';

/**
 * The `distributed` option of `createTeam`: one team across processes (and machines) that
 * share a bus, a shared state, a session store and this directory (packages/core/docs/distributed.md).
 *
 * @example
 * ```ts
 * const team = createTeam({
 *   id: 'reviewers', clock, state, limiter, bus, store,
 *   distributed: { directory, hostId: `host-${process.pid}`, hostTtlMs: 10_000 },
 * });
 * ```
 */
export interface DistributedOptions {
  /** Where agent names live team-wide, each under the lease of the host that runs it. */
  readonly directory: TeamDirectory;
  /** This process's name in the directory (default: a new random id). Unique per process. */
  readonly hostId?: string;
  /**
   * The directory's host lease, ms (default 10000; give the value the directory was made
   * with). The process beats every third of it and looks for dead hosts as often.
   */
  readonly hostTtlMs?: number;
}

/** The `distributed` option, checked. */
export interface DistributedConfig {
  readonly directory: TeamDirectory;
  readonly hostId: string;
  readonly hostTtlMs: number;
}

const NAMES: ReadonlySet<string> = new Set(['directory', 'hostId', 'hostTtlMs']);
const DIRECTORY_METHODS = [
  'heartbeat',
  'register',
  'unregister',
  'lookup',
  'agents',
  'deadHosts',
  'takeOver',
  'leave',
] as const;

/**
 * Checks `options.distributed` once, naming the bad field. A distributed team needs an
 * explicit `id` (every process must agree on it: sessions are `<id>/<agent>`) and a `store`
 * (a surviving host resumes a dead host's agents from their sessions).
 */
export function parseDistributed(
  value: unknown,
  team: { readonly id?: unknown; readonly store?: unknown },
  ids: IdGenerator,
): DistributedConfig | undefined {
  if (value === undefined) return undefined;
  const record = requireRecord(value, 'distributed');
  checkOptionNames(record, NAMES, 'distributed');
  const directory = record.directory as Record<string, unknown> | undefined;
  if (
    typeof directory !== 'object' ||
    directory === null ||
    !DIRECTORY_METHODS.every((m) => typeof directory[m] === 'function')
  )
    throw invalidArgument('distributed.directory must be a TeamDirectory');
  if (team.id === undefined)
    throw invalidArgument('distributed needs the team id option: every process gives the same one');
  if (team.store === undefined)
    throw invalidArgument('distributed needs a store shared by every process (sessions to resume)');
  const hostId =
    record.hostId === undefined
      ? ids.next('host', 16)
      : checkDirectoryName(record.hostId, 'distributed.hostId');
  const hostTtlMs =
    record.hostTtlMs === undefined
      ? DEFAULT_HOST_TTL_MS
      : requireDuration(record.hostTtlMs, 'distributed.hostTtlMs');
  return { directory: directory as unknown as TeamDirectory, hostId, hostTtlMs };
}
