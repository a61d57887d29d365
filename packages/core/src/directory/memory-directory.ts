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

/**
 * What {@link createMemoryDirectory} returns: a {@link TeamDirectory} that answers at once.
 *
 * @example
 * ```ts
 * const directory: MemoryDirectory = createMemoryDirectory({ clock });
 * directory.heartbeat('host-a');
 * ```
 */
export interface MemoryDirectory extends TeamDirectory {
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
export function createMemoryDirectory(options: MemoryDirectoryOptions): MemoryDirectory {
  const record = requireRecord(options, 'options');
  const clock = requireClock(record.clock);
  return new InMemoryDirectory(clock, parseHostTtl(record.hostTtlMs));
}

const byName = (a: DirectoryEntry, b: DirectoryEntry): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

const view = (stored: StoredEntry): DirectoryEntry =>
  Object.freeze({ ...stored.entry, definition: Object.freeze(JSON.parse(stored.definition)) });

/**
 * The directory {@link createMemoryDirectory} returns, its options already checked.
 *
 * Its methods are own properties (arrow fields), as on the object the factory used to build: a
 * wrapper may spread it (`{ ...backend, post }`) or take a method off it.
 */
class InMemoryDirectory implements MemoryDirectory {
  readonly #clock: Clock;
  readonly #hostTtlMs: number;
  /** host -> lease expiry */
  readonly #leases = new Map<string, number>();
  readonly #entries = new Map<string, StoredEntry>();
  /** host -> names it holds */
  readonly #byHost = new Map<string, Set<string>>();
  #closed = false;

  constructor(clock: Clock, hostTtlMs: number) {
    this.#clock = clock;
    this.#hostTtlMs = hostTtlMs;
  }

  readonly heartbeat = (host: string): HostLease => {
    this.#open();
    checkDirectoryName(host, 'host');
    const expiresAt = this.#clock.now() + this.#hostTtlMs;
    this.#leases.set(host, expiresAt);
    return Object.freeze({ host, expiresAt });
  };

  readonly register = (registration: DirectoryRegistration): DirectoryEntry => {
    this.#open();
    const { name, host, definition } = parseRegistration(registration);
    if (!this.#alive(host)) {
      throw new TroupeError('ERR_NOT_FOUND', `host ${host} holds no live lease: heartbeat first`, {
        details: { host },
      });
    }
    const taken = this.#entries.get(name);
    if (taken !== undefined) {
      throw new TroupeError(
        'ERR_ALREADY_EXISTS',
        `agent ${name} already exists in this team (on host ${taken.entry.host})`,
        { details: { name, host: taken.entry.host } },
      );
    }
    return this.#place(name, host, 1, definition);
  };

  readonly unregister = (name: string, host: string): boolean => {
    this.#open();
    checkDirectoryName(name, 'name');
    checkDirectoryName(host, 'host');
    if (this.#entries.get(name)?.entry.host !== host) return false;
    this.#unplace(name, host);
    return true;
  };

  readonly lookup = (name: string): DirectoryEntry | undefined => {
    this.#open();
    checkDirectoryName(name, 'name');
    const stored = this.#entries.get(name);
    return stored === undefined ? undefined : view(stored);
  };

  readonly agents = (query?: DirectoryQuery): DirectoryEntry[] => {
    this.#open();
    const { host } = parseDirectoryQuery(query);
    const out: DirectoryEntry[] = [];
    if (host === undefined) for (const stored of this.#entries.values()) out.push(view(stored));
    else for (const name of this.#byHost.get(host) ?? []) out.push(view(this.#entries.get(name)!));
    return out.sort(byName);
  };

  readonly hosts = (): HostLease[] => {
    this.#open();
    const now = this.#clock.now();
    const out: HostLease[] = [];
    for (const [host, expiresAt] of this.#leases) {
      if (expiresAt > now) out.push(Object.freeze({ host, expiresAt }));
    }
    return out.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  };

  readonly deadHosts = (): string[] => {
    this.#open();
    const out: string[] = [];
    for (const host of this.#byHost.keys()) if (!this.#alive(host)) out.push(host);
    // A dead host with no agents left has nothing to take over: forget its lease.
    for (const host of this.#leases.keys()) {
      if (!this.#alive(host) && !this.#byHost.has(host)) this.#leases.delete(host);
    }
    return out.sort();
  };

  readonly takeOver = (name: string, from: string, to: string): DirectoryEntry | undefined => {
    this.#open();
    checkDirectoryName(name, 'name');
    checkDirectoryName(from, 'from');
    checkDirectoryName(to, 'to');
    const stored = this.#entries.get(name);
    if (stored === undefined || stored.entry.host !== from) return undefined;
    if (this.#alive(from) || !this.#alive(to)) return undefined;
    this.#unplace(name, from);
    return this.#place(name, to, stored.entry.generation + 1, stored.definition);
  };

  readonly leave = (host: string): string[] => {
    this.#open();
    checkDirectoryName(host, 'host');
    const names = [...(this.#byHost.get(host) ?? [])].sort();
    for (const name of names) this.#unplace(name, host);
    this.#leases.delete(host);
    return names;
  };

  readonly close = (): void => {
    this.#closed = true;
  };

  #open(): void {
    if (this.#closed) throw closedError('directory');
  }

  #alive(host: string): boolean {
    return (this.#leases.get(host) ?? Number.NEGATIVE_INFINITY) > this.#clock.now();
  }

  #place(name: string, host: string, generation: number, definition: string): DirectoryEntry {
    const entry: DirectoryEntry = {
      name,
      host,
      definition: null,
      generation,
      since: this.#clock.now(),
    };
    const stored = { entry, definition };
    this.#entries.set(name, stored);
    let names = this.#byHost.get(host);
    if (names === undefined) {
      names = new Set();
      this.#byHost.set(host, names);
    }
    names.add(name);
    return view(stored);
  }

  #unplace(name: string, host: string): void {
    this.#entries.delete(name);
    const names = this.#byHost.get(host);
    if (names?.delete(name) && names.size === 0) this.#byHost.delete(host);
  }
}
