import {
  type DirectoryEntry,
  type DirectoryQuery,
  type DirectoryRegistration,
  type HostLease,
  type TeamDirectory,
  TroupeError,
} from '@troupe/core';
import {
  checkDirectoryName,
  parseDirectoryQuery,
  parseHostTtl,
  parseRegistration,
  requireRecord,
} from '@troupe/core/backend';
import { defineScript, type ScriptRunner } from '../internal/define-script.js';
import { parseFrozen } from '../internal/frozen-json.js';
import {
  type RedisBackendOptions,
  type ResolvedCommon,
  resolveCommon,
} from '../internal/options.js';
import { RedisBackend } from '../internal/redis-backend.js';
import {
  DEAD_HOSTS_SCRIPT,
  HEARTBEAT_SCRIPT,
  HOSTS_SCRIPT,
  LEAVE_SCRIPT,
  LOOKUP_SCRIPT,
  REGISTER_SCRIPT,
  TAKE_OVER_SCRIPT,
  UNREGISTER_SCRIPT,
} from './scripts.js';

/**
 * Options of {@link createRedisDirectory}.
 *
 * @example
 * ```ts
 * const options: RedisDirectoryOptions = { redis: 'redis://127.0.0.1:6379', clock: systemClock, team: 'alpha', hostTtlMs: 10_000 };
 * ```
 */
export interface RedisDirectoryOptions extends RedisBackendOptions {
  /** How long a heartbeat keeps a host alive, ms. Default 10000. */
  readonly hostTtlMs?: number;
}

/**
 * The Redis team directory: a {@link TeamDirectory} whose every answer is a promise.
 *
 * @example
 * ```ts
 * const directory: RedisDirectory = createRedisDirectory({ redis, clock: systemClock, team: 'alpha' });
 * const where = await directory.lookup('ada');
 * ```
 */
export interface RedisDirectory extends TeamDirectory {
  heartbeat(host: string): Promise<HostLease>;
  register(registration: DirectoryRegistration): Promise<DirectoryEntry>;
  unregister(name: string, host: string): Promise<boolean>;
  lookup(name: string): Promise<DirectoryEntry | undefined>;
  agents(query?: DirectoryQuery): Promise<DirectoryEntry[]>;
  hosts(): Promise<HostLease[]>;
  deadHosts(): Promise<string[]>;
  takeOver(name: string, from: string, to: string): Promise<DirectoryEntry | undefined>;
  leave(host: string): Promise<string[]>;
  close(): Promise<void>;
}

/** Hosts, agents and dead hosts are read in pages of this many: no call holds Redis long. */
const PAGE = 500;

function decode(name: string, value: string, definition: string): DirectoryEntry {
  const first = value.indexOf('|');
  const second = value.indexOf('|', first + 1);
  return Object.freeze({
    name,
    host: value.slice(second + 1),
    definition: parseFrozen(definition),
    generation: Number(value.slice(0, first)),
    since: Number(value.slice(first + 1, second)),
  });
}

const byName = (a: DirectoryEntry, b: DirectoryEntry): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/**
 * A {@link TeamDirectory} on Redis, shared by every process with the same Redis, prefix and
 * team. Each operation is one Lua script (a registration checks the host's lease and the name
 * and writes both, a take-over checks both leases and moves the agent), so two processes can
 * never both register a name or both take over an agent. Time is the server's `TIME` in live
 * use (`time: 'redis'`, the default with `systemClock`), so hosts whose clocks are skewed
 * still agree on who is dead; a simulation passes its clock (`time: 'clock'`).
 *
 * @example
 * ```ts
 * import { systemClock } from '@troupe/core';
 * import { createRedisDirectory } from '@troupe/redis';
 *
 * const directory = createRedisDirectory({ redis: 'redis://127.0.0.1:6379', clock: systemClock, team: 'alpha' });
 * await directory.heartbeat('host-a');
 * await directory.register({ name: 'ada', host: 'host-a', definition: { module: './agents.js', export: 'ada' } });
 * console.log((await directory.lookup('ada'))?.host); // 'host-a'
 * await directory.close();
 * ```
 */
export function createRedisDirectory(options: RedisDirectoryOptions): RedisDirectory {
  const record = requireRecord(options, 'options');
  const hostTtlMs = parseHostTtl(record.hostTtlMs);
  return new RedisDirectoryBackend(resolveCommon(options), hostTtlMs);
}

class RedisDirectoryBackend extends RedisBackend implements RedisDirectory {
  readonly #hostTtlMs: number;
  readonly #nowArg: () => string | number;
  readonly #heartbeat: ScriptRunner;
  readonly #register: ScriptRunner;
  readonly #unregister: ScriptRunner;
  readonly #lookup: ScriptRunner;
  readonly #hosts: ScriptRunner;
  readonly #deadHosts: ScriptRunner;
  readonly #takeOver: ScriptRunner;
  readonly #leave: ScriptRunner;
  readonly #hostsKey: string;
  readonly #agentsKey: string;
  readonly #definitionsKey: string;
  readonly #hostPrefix: string;

  constructor({ connection, base, nowArg }: ResolvedCommon, hostTtlMs: number) {
    super(connection, 'directory');
    this.#hostTtlMs = hostTtlMs;
    this.#nowArg = nowArg;
    const client = this.client;
    this.#heartbeat = defineScript(client, 'troupeDirHeartbeat', HEARTBEAT_SCRIPT);
    this.#register = defineScript(client, 'troupeDirRegister', REGISTER_SCRIPT);
    this.#unregister = defineScript(client, 'troupeDirUnregister', UNREGISTER_SCRIPT);
    this.#lookup = defineScript(client, 'troupeDirLookup', LOOKUP_SCRIPT);
    this.#hosts = defineScript(client, 'troupeDirHosts', HOSTS_SCRIPT);
    this.#deadHosts = defineScript(client, 'troupeDirDeadHosts', DEAD_HOSTS_SCRIPT);
    this.#takeOver = defineScript(client, 'troupeDirTakeOver', TAKE_OVER_SCRIPT);
    this.#leave = defineScript(client, 'troupeDirLeave', LEAVE_SCRIPT);
    this.#hostsKey = `${base}dir:h`;
    this.#agentsKey = `${base}dir:a`;
    this.#definitionsKey = `${base}dir:d`;
    this.#hostPrefix = `${base}dir:ha:`;
  }

  async heartbeat(host: string): Promise<HostLease> {
    this.open();
    checkDirectoryName(host, 'host');
    const expiresAt = Number(
      await this.script(
        this.#heartbeat,
        [this.#hostsKey],
        [host, this.#hostTtlMs, this.#nowArg()],
        'heartbeat',
      ),
    );
    return Object.freeze({ host, expiresAt });
  }

  async register(registration: DirectoryRegistration): Promise<DirectoryEntry> {
    this.open();
    const { name, host, definition } = parseRegistration(registration);
    const reply = (await this.script(
      this.#register,
      [this.#hostsKey, this.#agentsKey, this.#definitionsKey, this.#hostPrefix + host],
      [name, host, definition, this.#nowArg()],
      'register',
    )) as [0] | [1, string] | [2, string];
    if (reply[0] === 0) {
      throw new TroupeError('ERR_NOT_FOUND', `host ${host} holds no live lease: heartbeat first`, {
        details: { host },
      });
    }
    if (reply[0] === 1) {
      const holder = decode(name, reply[1], 'null').host;
      throw new TroupeError(
        'ERR_ALREADY_EXISTS',
        `agent ${name} already exists in this team (on host ${holder})`,
        { details: { name, host: holder } },
      );
    }
    return decode(name, `1|${reply[1]}|${host}`, definition);
  }

  async unregister(name: string, host: string): Promise<boolean> {
    this.open();
    checkDirectoryName(name, 'name');
    checkDirectoryName(host, 'host');
    const removed = await this.script(
      this.#unregister,
      [this.#agentsKey, this.#definitionsKey, this.#hostPrefix + host],
      [name, host],
      'unregister',
    );
    return removed === 1;
  }

  async lookup(name: string): Promise<DirectoryEntry | undefined> {
    this.open();
    checkDirectoryName(name, 'name');
    const reply = (await this.script(
      this.#lookup,
      [this.#agentsKey, this.#definitionsKey],
      [name],
      'lookup',
    )) as string[];
    return reply.length === 0 ? undefined : decode(name, reply[0]!, reply[1]!);
  }

  async agents(query?: DirectoryQuery): Promise<DirectoryEntry[]> {
    this.open();
    const { host } = parseDirectoryQuery(query);
    return this.call('agents', async () => {
      const out: DirectoryEntry[] = [];
      // Pages of SSCAN / HSCAN: a large team never holds Redis in one long call.
      let cursor = '0';
      do {
        let names: string[];
        if (host === undefined) {
          let flat: string[];
          [cursor, flat] = await this.client.hscan(this.#agentsKey, cursor, 'COUNT', PAGE);
          names = flat.filter((_, i) => i % 2 === 0);
        } else {
          [cursor, names] = await this.client.sscan(this.#hostPrefix + host, cursor, 'COUNT', PAGE);
        }
        await this.#entries(names, host, out);
      } while (cursor !== '0');
      // SCAN may return a name twice: keep one.
      const unique = new Map(out.map((entry) => [entry.name, entry]));
      return [...unique.values()].sort(byName);
    });
  }

  /** Adds the entries of `names` (on `host`, when given) to `out`. */
  async #entries(names: string[], host: string | undefined, out: DirectoryEntry[]): Promise<void> {
    if (names.length === 0) return;
    const [values, definitions] = await Promise.all([
      this.client.hmget(this.#agentsKey, ...names),
      this.client.hmget(this.#definitionsKey, ...names),
    ]);
    names.forEach((name, i) => {
      const value = values[i];
      if (value === null || value === undefined) return; // left between the pages
      const entry = decode(name, value, definitions[i] ?? 'null');
      if (host === undefined || entry.host === host) out.push(entry);
    });
  }

  async hosts(): Promise<HostLease[]> {
    const flat = (await this.script(
      this.#hosts,
      [this.#hostsKey],
      [this.#nowArg()],
      'hosts',
    )) as string[];
    const out: HostLease[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      out.push(Object.freeze({ host: flat[i]!, expiresAt: Number(flat[i + 1]) }));
    }
    return out.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  }

  async deadHosts(): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const [seen, dead] = (await this.script(
        this.#deadHosts,
        [this.#hostsKey],
        [this.#nowArg(), this.#hostPrefix, PAGE],
        'deadHosts',
      )) as [number, string[]];
      out.push(...dead);
      // A full page of dead hosts that all still hold agents cannot shrink: stop there.
      if (seen < PAGE || dead.length === seen) break;
    }
    return [...new Set(out)].sort();
  }

  async takeOver(name: string, from: string, to: string): Promise<DirectoryEntry | undefined> {
    this.open();
    checkDirectoryName(name, 'name');
    checkDirectoryName(from, 'from');
    checkDirectoryName(to, 'to');
    const value = (await this.script(
      this.#takeOver,
      [this.#hostsKey, this.#agentsKey, this.#hostPrefix + from, this.#hostPrefix + to],
      [name, from, to, this.#nowArg()],
      'takeOver',
    )) as string | null;
    if (value === null) return undefined;
    const definition = await this.call('takeOver', () =>
      this.client.hget(this.#definitionsKey, name),
    );
    return decode(name, value, definition ?? 'null');
  }

  async leave(host: string): Promise<string[]> {
    this.open();
    checkDirectoryName(host, 'host');
    const names = (await this.script(
      this.#leave,
      [this.#hostsKey, this.#agentsKey, this.#definitionsKey, this.#hostPrefix + host],
      [host],
      'leave',
    )) as string[];
    return names.sort();
  }
}
