import {
  type Claim,
  type ClaimQuery,
  type ClaimRequest,
  type ClaimResult,
  DEFAULT_CLAIM_TTL_MS,
  type Discovery,
  type DiscoveryQuery,
  type SharedStateBackend,
} from '@troupe/core';
import {
  jsonText,
  parseClaimQuery,
  parseClaimRange,
  parseDiscoverEntry,
  parseDiscoveryQuery,
  requireDelay,
  requireDuration,
  requireRecord,
} from '@troupe/core/backend';
import { defineScript, type ScriptRunner } from '../internal/define-script.js';
import { parseFrozen } from '../internal/frozen-json.js';
import {
  type RedisBackendOptions,
  type ResolvedCommon,
  requireKeyName,
  resolveCommon,
} from '../internal/options.js';
import { RedisBackend } from '../internal/redis-backend.js';
import { parseRetention, type StreamRetention } from '../internal/retention.js';
import { decodeClaim, decodeDiscovery, type StreamEntry } from './codec.js';
import {
  CLAIM_SCRIPT,
  DISCOVER_SCRIPT,
  LIST_PAGE_SCRIPT,
  LIST_RESOURCE_SCRIPT,
  RENEW_OR_RELEASE_SCRIPT,
} from './scripts.js';

/**
 * Options of {@link createRedisSharedState}.
 *
 * @example
 * ```ts
 * const options: RedisSharedStateOptions = {
 *   redis: 'redis://127.0.0.1:6379',
 *   clock: systemClock,
 *   team: 'alpha',
 *   defaultTtlMs: 60_000,
 * };
 * ```
 */
export interface RedisSharedStateOptions extends RedisBackendOptions {
  /** TTL of a claim made without `ttlMs`, and of `renew` without one. Default 300000. */
  readonly defaultTtlMs?: number;
  /**
   * Redis keeps claim keys this long past their latest `expiresAt` before deleting them
   * (garbage collection only: expiry itself is decided against the clock). Default 60000.
   */
  readonly gcMarginMs?: number;
  /** How many discoveries (and how old) Redis keeps, all and per topic. Default: all. */
  readonly retention?: StreamRetention;
}

/**
 * The Redis shared state: every answer is a promise (a round trip to Redis), and bad input
 * rejects rather than throws.
 *
 * @example
 * ```ts
 * const state: RedisSharedState = createRedisSharedState({ redis, clock, team: 'alpha' });
 * const listed = await state.claims({ resource: 'src/app.ts' });
 * ```
 */
export interface RedisSharedState extends SharedStateBackend {
  claim(request: ClaimRequest): Promise<ClaimResult>;
  release(agent: string, resource: string): Promise<boolean>;
  renew(agent: string, resource: string, ttlMs?: number): Promise<Claim | undefined>;
  claims(query?: ClaimQuery): Promise<Claim[]>;
  discover<T = unknown>(entry: { agent: string; topic: string; content: T }): Promise<Discovery<T>>;
  discoveries<T = unknown>(query?: DiscoveryQuery): Promise<Discovery<T>[]>;
  close(): Promise<void>;
}

/**
 * A {@link SharedStateBackend} on Redis: the same contract as `createSharedState` from
 * `@troupe/core`, shared by every process that uses the same Redis, prefix and team.
 *
 * - A claim is checked and written by one Lua script that reads only the claimed resource's
 *   hash (one field per agent), so its cost does not grow with other resources.
 * - Fencing tokens come from one `INCR` counter: strictly increasing across all processes.
 * - Time is the `clock`'s, passed into every script; `expiresAt` is compared with it on
 *   every read, so an expired claim never conflicts and is never listed. Redis TTLs only
 *   garbage-collect keys (`gcMarginMs` after the latest expiry).
 * - Discoveries take `seq` from an `INCR` counter and live in Redis Streams (one for all,
 *   one per topic) with the seq as the entry id. Content must be JSON.
 *
 * @example
 * ```ts
 * import { systemClock } from '@troupe/core';
 * import { createRedisSharedState } from '@troupe/redis';
 *
 * const state = createRedisSharedState({ redis: 'redis://127.0.0.1:6379', clock: systemClock, team: 'alpha' });
 * const result = await state.claim({ agent: 'a1', resource: 'src/app.ts', start: 10, end: 20 });
 * if (result.ok) console.log('token', result.claim.token);
 * await state.close();
 * ```
 */
export function createRedisSharedState(options: RedisSharedStateOptions): RedisSharedState {
  const record = requireRecord(options, 'options');
  const defaultTtlMs =
    record.defaultTtlMs === undefined
      ? DEFAULT_CLAIM_TTL_MS
      : requireDuration(record.defaultTtlMs, 'options.defaultTtlMs');
  const gcMarginMs =
    record.gcMarginMs === undefined
      ? 60_000
      : requireDelay(record.gcMarginMs, 'options.gcMarginMs');
  const retention = parseRetention(record.retention);
  return new RedisSharedStateBackend(resolveCommon(options), {
    defaultTtlMs,
    gcMarginMs,
    retention,
  });
}

/** Resources listed per script call by `claims()` without a resource: a page stays sub-ms. */
const LIST_PAGE = 100;

/** Discoveries read per XRANGE. */
const DISCOVERY_BATCH = 1_000;

interface StateSettings {
  readonly defaultTtlMs: number;
  readonly gcMarginMs: number;
  readonly retention: { readonly maxCount: number; readonly maxAgeMs: number };
}

class RedisSharedStateBackend extends RedisBackend implements RedisSharedState {
  readonly #clock: ResolvedCommon['clock'];
  readonly #base: string;
  readonly #nowArg: () => string | number;
  readonly #settings: StateSettings;
  readonly #claim: ScriptRunner;
  readonly #renewOrRelease: ScriptRunner;
  readonly #listPage: ScriptRunner;
  readonly #listResource: ScriptRunner;
  readonly #discover: ScriptRunner;
  readonly #setKey: string;
  readonly #tokenKey: string;

  constructor({ connection, clock, base, nowArg }: ResolvedCommon, settings: StateSettings) {
    super(connection, 'shared state');
    this.#clock = clock;
    this.#base = base;
    this.#nowArg = nowArg;
    this.#settings = settings;
    const client = this.client;
    this.#claim = defineScript(client, 'troupeStateClaim', CLAIM_SCRIPT);
    this.#renewOrRelease = defineScript(client, 'troupeStateRenew', RENEW_OR_RELEASE_SCRIPT);
    this.#listPage = defineScript(client, 'troupeStateListPage', LIST_PAGE_SCRIPT);
    this.#listResource = defineScript(client, 'troupeStateListResource', LIST_RESOURCE_SCRIPT);
    this.#discover = defineScript(client, 'troupeStateDiscover', DISCOVER_SCRIPT);
    this.#setKey = `${base}cr`;
    this.#tokenKey = `${base}tok`;
  }

  #resourceKey(resource: string): string {
    return `${this.#base}c:${resource}`;
  }

  #indexKey(resource: string): string {
    return `${this.#base}ci:${resource}`;
  }

  #ttlOf(ttlMs: unknown): number {
    return ttlMs === undefined ? this.#settings.defaultTtlMs : requireDuration(ttlMs, 'ttlMs');
  }

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    this.open();
    const { agent, resource, start, end, ttlMs } = this.#parseClaim(request);
    const now = this.#clock.now();
    // Called directly (no `script` wrapper): one async frame less on every claim.
    let reply: number | [token: number, now: string] | [agent: string, value: string];
    try {
      reply = (await this.#claim(
        [this.#resourceKey(resource), this.#indexKey(resource), this.#setKey, this.#tokenKey],
        [agent, start, end, this.#nowArg(), ttlMs, this.#settings.gcMarginMs, resource],
      )) as number | [number, string] | [string, string];
    } catch (error) {
      throw this.failure(error, 'claim');
    }
    // Granted: the token alone (clock time: the rest is what we sent), or the token and the
    // server's time.
    if (typeof reply === 'number' || typeof reply[0] === 'number') {
      const grantedAt = typeof reply === 'number' ? now : Number(reply[1]);
      const token = typeof reply === 'number' ? reply : (reply[0] as number);
      const expiresAt = grantedAt + ttlMs;
      return {
        ok: true,
        claim: Object.freeze({ agent, resource, start, end, token, grantedAt, expiresAt }),
      };
    }
    return { ok: false, conflict: decodeClaim(reply[0], resource, reply[1] as string) };
  }

  /** A claim request, checked: names bounded as key parts, range and TTL as core checks them. */
  #parseClaim(
    request: ClaimRequest,
  ): Pick<Claim, 'agent' | 'resource' | 'start' | 'end'> & { ttlMs: number } {
    const req = requireRecord(request, 'request');
    const agent = requireKeyName(req.agent, 'agent');
    const resource = requireKeyName(req.resource, 'resource');
    const { start, end } = parseClaimRange(req);
    return { agent, resource, start, end, ttlMs: this.#ttlOf(req.ttlMs) };
  }

  async release(agent: string, resource: string): Promise<boolean> {
    const reply = await this.#renewOrReleaseCall(agent, resource, '', 'release');
    return reply[0] === 1;
  }

  async renew(agent: string, resource: string, ttlMs?: number): Promise<Claim | undefined> {
    const reply = await this.#renewOrReleaseCall(agent, resource, ttlMs, 'renew');
    return reply[0] === 1 ? decodeClaim(agent, resource, reply[1] ?? '') : undefined;
  }

  /** Renews (a TTL) or releases (`''`) one claim. */
  async #renewOrReleaseCall(
    agent: string,
    resource: string,
    ttlMs: number | '' | undefined,
    operation: 'renew' | 'release',
  ): Promise<[number, string?]> {
    this.open();
    requireKeyName(agent, 'agent');
    requireKeyName(resource, 'resource');
    const ttl = ttlMs === '' ? '' : this.#ttlOf(ttlMs);
    return (await this.script(
      this.#renewOrRelease,
      [this.#resourceKey(resource), this.#indexKey(resource), this.#setKey],
      [agent, this.#nowArg(), ttl, this.#settings.gcMarginMs, resource],
      operation,
    )) as [number, string?];
  }

  async claims(query?: ClaimQuery): Promise<Claim[]> {
    this.open();
    const { resource, agent } = parseClaimQuery(query);
    const out =
      resource === undefined
        ? await this.#allClaims(agent)
        : await this.#resourceClaims(resource, agent);
    // Tokens are grant order across the whole store.
    return out.sort((a, b) => a.token - b.token);
  }

  /** Only this resource's hash is read. */
  async #resourceClaims(resource: string, agent: string | undefined): Promise<Claim[]> {
    const flat = (await this.script(
      this.#listResource,
      [this.#resourceKey(resource)],
      [this.#nowArg()],
      'claims',
    )) as string[];
    const out: Claim[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      if (agent === undefined || flat[i] === agent)
        out.push(decodeClaim(flat[i]!, resource, flat[i + 1]!));
    }
    return out;
  }

  /**
   * Page by page over the resource set (SSCAN), one short script per page: listing 50k
   * claims never holds Redis for more than a page's worth. Not one snapshot: a claim made
   * or released during the walk may or may not be listed.
   */
  async #allClaims(agent: string | undefined): Promise<Claim[]> {
    const out: Claim[] = [];
    const seen = new Set<string>();
    let cursor = '0';
    do {
      let page: string[];
      [cursor, page] = await this.call('claims', () =>
        this.client.sscan(this.#setKey, cursor, 'COUNT', LIST_PAGE),
      );
      const fresh = page.filter((r) => !seen.has(r));
      if (fresh.length === 0) continue;
      const keys = [this.#setKey];
      for (const r of fresh) {
        seen.add(r);
        keys.push(this.#resourceKey(r), this.#indexKey(r));
      }
      const flat = (await this.script(
        this.#listPage,
        keys,
        [this.#nowArg(), agent === undefined ? '' : `=${agent}`, ...fresh],
        'claims',
      )) as string[];
      for (let i = 0; i + 2 < flat.length; i += 3)
        out.push(decodeClaim(flat[i]!, flat[i + 1]!, flat[i + 2]!));
    } while (cursor !== '0');
    return out;
  }

  async discover<T = unknown>(entry: {
    agent: string;
    topic: string;
    content: T;
  }): Promise<Discovery<T>> {
    this.open();
    const { agent, topic, content } = parseDiscoverEntry(entry);
    requireKeyName(agent, 'agent');
    requireKeyName(topic, 'topic');
    const text = jsonText(content, 'content');
    const at = this.#clock.now();
    const { maxCount, maxAgeMs } = this.#settings.retention;
    const seq = (await this.script(
      this.#discover,
      [`${this.#base}dseq`, `${this.#base}d`, `${this.#base}dt:${topic}`],
      [agent, topic, text, at, maxCount, maxAgeMs],
      'discover',
    )) as number;
    return Object.freeze({ seq, agent, topic, content: parseFrozen(text) as T, at });
  }

  async discoveries<T = unknown>(query?: DiscoveryQuery): Promise<Discovery<T>[]> {
    this.open();
    const { topic, agent, afterSeq, limit: want } = parseDiscoveryQuery(query);
    const key = topic === undefined ? `${this.#base}d` : `${this.#base}dt:${topic}`;
    const out: Discovery<T>[] = [];
    let from = afterSeq + 1;
    // Seqs are the stream ids, so XRANGE starts right after afterSeq; an agent filter reads
    // on in batches until it has `limit` matches or the stream ends.
    while (out.length < want) {
      const batch =
        agent === undefined ? Math.min(want - out.length, DISCOVERY_BATCH) : DISCOVERY_BATCH;
      const entries = (await this.call('discoveries', () =>
        this.client.xrange(key, `${from}-0`, '+', 'COUNT', batch),
      )) as StreamEntry[];
      for (const entry of entries) {
        const discovery = decodeDiscovery(entry) as Discovery<T>;
        if (agent === undefined || discovery.agent === agent) out.push(discovery);
        if (out.length >= want) break;
      }
      if (entries.length < batch) break;
      from = decodeDiscovery(entries[entries.length - 1]!).seq + 1;
    }
    return out;
  }
}
