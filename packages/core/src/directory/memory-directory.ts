import { closedError, requireClock, requireRecord } from '../backend/validate.js';
import type { Clock } from '../clock.js';
import { TroupeError } from '../errors.js';
import {
  checkDirectoryName,
  parseDirectoryQuery,
  parseHostTtl,
  parseRegistration,
} from './checks.js';
import type {
  DirectoryEntry,
  DirectoryQuery,
  DirectoryRegistration,
  HostLease,
  TeamDirectory,
} from './types.js';

/**
 * Options of {@link createMemoryDirectory}.
 *
 * @example
 * ```ts
 * const options: MemoryDirectoryOptions = { clock: new SimulatedClock(), hostTtlMs: 5_000 };
 * ```
 */
export interface MemoryDirectoryOptions {
  readonly clock: Clock;
  /** How long a heartbeat keeps a host alive, ms. Default 10000. */
  readonly hostTtlMs?: number;
}

interface StoredEntry {
  readonly entry: DirectoryEntry;
  /** JSON text of the definition: each read hands out a fresh parse. */
  readonly definition: string;
}

/**
 * A {@link TeamDirectory} in memory: one process (tests, simulations, a single-process team).
 * Time is the clock's; a host is dead once `clock.now()` reaches its lease's `expiresAt`.
 * Answers are synchronous; bad input throws `ERR_INVALID_ARGUMENT` and changes nothing.
 *
 * @example
 * ```ts
 * import { createMemoryDirectory, SimulatedClock } from '@troupe/core';
 *
 * const clock = new SimulatedClock();
 * const directory = createMemoryDirectory({ clock, hostTtlMs: 10_000 });
 * directory.heartbeat('host-a');
 * directory.register({ name: 'ada', host: 'host-a' });
 * await clock.advance(10_000);
 * directory.heartbeat('host-b');
 * console.log(directory.deadHosts()); // ['host-a']
 * console.log(directory.takeOver('ada', 'host-a', 'host-b')?.generation); // 2
 * ```
 */
export function createMemoryDirectory(options: MemoryDirectoryOptions): TeamDirectory & {
  heartbeat(host: string): HostLease;
  register(registration: DirectoryRegistration): DirectoryEntry;
  unregister(name: string, host: string): boolean;
  lookup(name: string): DirectoryEntry | undefined;
  agents(query?: DirectoryQuery): DirectoryEntry[];
  hosts(): HostLease[];
  deadHosts(): string[];
  takeOver(name: string, from: string, to: string): DirectoryEntry | undefined;
  leave(host: string): string[];
  close(): void;
} {
  const record = requireRecord(options, 'options');
  const clock = requireClock(record.clock);
  const hostTtlMs = parseHostTtl(record.hostTtlMs);
  /** host -> lease expiry */
  const leases = new Map<string, number>();
  const entries = new Map<string, StoredEntry>();
  /** host -> names it holds */
  const byHost = new Map<string, Set<string>>();
  let closed = false;

  const open = (): void => {
    if (closed) throw closedError('directory');
  };
  const alive = (host: string): boolean =>
    (leases.get(host) ?? Number.NEGATIVE_INFINITY) > clock.now();
  const view = (stored: StoredEntry): DirectoryEntry =>
    Object.freeze({ ...stored.entry, definition: Object.freeze(JSON.parse(stored.definition)) });
  const place = (
    name: string,
    host: string,
    generation: number,
    definition: string,
  ): DirectoryEntry => {
    const entry: DirectoryEntry = { name, host, definition: null, generation, since: clock.now() };
    const stored = { entry, definition };
    entries.set(name, stored);
    let names = byHost.get(host);
    if (names === undefined) {
      names = new Set();
      byHost.set(host, names);
    }
    names.add(name);
    return view(stored);
  };
  const unplace = (name: string, host: string): void => {
    entries.delete(name);
    const names = byHost.get(host);
    if (names?.delete(name) && names.size === 0) byHost.delete(host);
  };
  const byName = (a: DirectoryEntry, b: DirectoryEntry): number =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

  return {
    heartbeat(host: string): HostLease {
      open();
      checkDirectoryName(host, 'host');
      const expiresAt = clock.now() + hostTtlMs;
      leases.set(host, expiresAt);
      return Object.freeze({ host, expiresAt });
    },

    register(registration: DirectoryRegistration): DirectoryEntry {
      open();
      const { name, host, definition } = parseRegistration(registration);
      if (!alive(host)) {
        throw new TroupeError(
          'ERR_NOT_FOUND',
          `host ${host} holds no live lease: heartbeat first`,
          {
            details: { host },
          },
        );
      }
      const taken = entries.get(name);
      if (taken !== undefined) {
        throw new TroupeError(
          'ERR_ALREADY_EXISTS',
          `agent ${name} already exists in this team (on host ${taken.entry.host})`,
          { details: { name, host: taken.entry.host } },
        );
      }
      return place(name, host, 1, definition);
    },

    unregister(name: string, host: string): boolean {
      open();
      checkDirectoryName(name, 'name');
      checkDirectoryName(host, 'host');
      if (entries.get(name)?.entry.host !== host) return false;
      unplace(name, host);
      return true;
    },

    lookup(name: string): DirectoryEntry | undefined {
      open();
      checkDirectoryName(name, 'name');
      const stored = entries.get(name);
      return stored === undefined ? undefined : view(stored);
    },

    agents(query?: DirectoryQuery): DirectoryEntry[] {
      open();
      const { host } = parseDirectoryQuery(query);
      const out: DirectoryEntry[] = [];
      if (host === undefined) for (const stored of entries.values()) out.push(view(stored));
      else for (const name of byHost.get(host) ?? []) out.push(view(entries.get(name)!));
      return out.sort(byName);
    },

    hosts(): HostLease[] {
      open();
      const now = clock.now();
      const out: HostLease[] = [];
      for (const [host, expiresAt] of leases) {
        if (expiresAt > now) out.push(Object.freeze({ host, expiresAt }));
      }
      return out.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
    },

    deadHosts(): string[] {
      open();
      const out: string[] = [];
      for (const host of byHost.keys()) if (!alive(host)) out.push(host);
      // A dead host with no agents left has nothing to take over: forget its lease.
      for (const host of leases.keys()) if (!alive(host) && !byHost.has(host)) leases.delete(host);
      return out.sort();
    },

    takeOver(name: string, from: string, to: string): DirectoryEntry | undefined {
      open();
      checkDirectoryName(name, 'name');
      checkDirectoryName(from, 'from');
      checkDirectoryName(to, 'to');
      const stored = entries.get(name);
      if (stored === undefined || stored.entry.host !== from) return undefined;
      if (alive(from) || !alive(to)) return undefined;
      unplace(name, from);
      return place(name, to, stored.entry.generation + 1, stored.definition);
    },

    leave(host: string): string[] {
      open();
      checkDirectoryName(host, 'host');
      const names = [...(byHost.get(host) ?? [])].sort();
      for (const name of names) unplace(name, host);
      leases.delete(host);
      return names;
    },

    close(): void {
      closed = true;
    },
  };
}
