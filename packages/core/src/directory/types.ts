import type { MaybePromise } from '../backend/interfaces.js';

/**
 * Where an agent lives: its name, the host (process) that runs it, and how to load it
 * elsewhere.
 *
 * @example
 * ```ts
 * const entry: DirectoryEntry = await directory.lookup('ada');
 * if (entry?.host !== me) await forwardTo(entry.host, message);
 * ```
 */
export interface DirectoryEntry {
  /** The agent's name, unique in the team. */
  readonly name: string;
  /** The host that runs it now. */
  readonly host: string;
  /**
   * What a surviving host needs to spawn it again (for instance `{ module, export }`, as pool
   * placement loads a definition). Any JSON value; `null` when none was given.
   */
  readonly definition: unknown;
  /**
   * Incarnation number: 1 when registered, +1 at every take-over. A host that lost an agent
   * to a take-over sees a higher generation and knows its copy is stale.
   */
  readonly generation: number;
  /** Directory time of the registration or of the latest take-over. */
  readonly since: number;
}

/**
 * A host's lease as the directory holds it.
 *
 * @example
 * ```ts
 * const lease: HostLease = await directory.heartbeat('host-a');
 * setTimeout(beat, (lease.expiresAt - now) / 3);
 * ```
 */
export interface HostLease {
  readonly host: string;
  /** Directory time until which the host counts as alive unless it beats again. */
  readonly expiresAt: number;
}

/**
 * What {@link TeamDirectory.register} takes.
 *
 * @example
 * ```ts
 * await directory.register({ name: 'ada', host: 'host-a', definition: { module: './agents.js', export: 'ada' } });
 * ```
 */
export interface DirectoryRegistration {
  readonly name: string;
  readonly host: string;
  /** JSON; stored as given and handed to whoever takes the agent over. */
  readonly definition?: unknown;
}

/**
 * Filter for {@link TeamDirectory.agents}.
 *
 * @example
 * ```ts
 * const mine = await directory.agents({ host: 'host-a' });
 * ```
 */
export interface DirectoryQuery {
  /** Only agents on this host. */
  readonly host?: string;
}

/**
 * The team directory: one name space of agents across every process of a team, each agent
 * under the lease of the host that runs it.
 *
 * - A host holds a lease of `hostTtlMs`, renewed by {@link heartbeat}. A host whose lease ran
 *   out is dead: {@link deadHosts} lists it while it still has agents.
 * - Agent names are unique team-wide: registering a taken name is `ERR_ALREADY_EXISTS`, even
 *   when the holder's host is dead (its agent is taken over, not replaced).
 * - {@link takeOver} moves one agent of a dead host to a live host atomically: of any number
 *   of survivors that try, exactly one gets each agent.
 * - Time is the directory's own (an injected clock in memory, the Redis server's clock in live
 *   use), so hosts with skewed clocks agree on who is dead.
 *
 * Bad input is `ERR_INVALID_ARGUMENT` and changes nothing. Methods answer at once in memory
 * and with promises remotely; `await` every call.
 *
 * @example
 * ```ts
 * await directory.heartbeat('host-a');
 * await directory.register({ name: 'ada', host: 'host-a' });
 * for (const dead of await directory.deadHosts()) {
 *   for (const agent of await directory.agents({ host: dead })) {
 *     const mine = await directory.takeOver(agent.name, dead, 'host-a');
 *     if (mine !== undefined) await respawn(mine);
 *   }
 * }
 * ```
 */
export interface TeamDirectory {
  /**
   * Starts or renews `host`'s lease until now + `hostTtlMs`. A host whose lease already ran
   * out may beat again: it is alive again, and keeps those of its agents nobody took over.
   */
  heartbeat(host: string): MaybePromise<HostLease>;
  /**
   * Registers an agent name under `host`, which must hold a live lease (`ERR_NOT_FOUND`
   * otherwise). A name already registered anywhere is `ERR_ALREADY_EXISTS`.
   */
  register(registration: DirectoryRegistration): MaybePromise<DirectoryEntry>;
  /**
   * Removes `name` when `host` holds it (the agent stopped). False when it was not there or
   * another host holds it. Idempotent.
   */
  unregister(name: string, host: string): MaybePromise<boolean>;
  /** Where `name` lives, or undefined. */
  lookup(name: string): MaybePromise<DirectoryEntry | undefined>;
  /** Every registered agent (or those of one host), sorted by name. */
  agents(query?: DirectoryQuery): MaybePromise<DirectoryEntry[]>;
  /** Hosts whose lease is live, sorted by host id. */
  hosts(): MaybePromise<HostLease[]>;
  /** Hosts whose lease ran out and that still have agents, sorted by host id. */
  deadHosts(): MaybePromise<string[]>;
  /**
   * Moves `name` from the dead host `from` to the live host `to`, atomically: the new entry
   * (generation + 1) when this call won, undefined when `name` is not on `from` any more
   * (another survivor took it, or it left), when `from` is alive, or when `to` is not.
   */
  takeOver(name: string, from: string, to: string): MaybePromise<DirectoryEntry | undefined>;
  /**
   * A host leaving for good: its lease and every agent it holds are removed. Returns the names
   * removed. Idempotent.
   */
  leave(host: string): MaybePromise<string[]>;
  /** Idempotent; later calls reject with `ERR_CLOSED`. */
  close(): MaybePromise<void>;
}
