import {
  type Claim,
  type ClaimQuery,
  type ClaimRequest,
  type ClaimResult,
  type Discovery,
  type DiscoveryQuery,
  invalidArgument,
  MAX_CLAIM_END,
  type SharedStateBackend,
} from '@troupe/core';
import {
  closedError,
  jsonText,
  parseClaimQuery,
  parseDiscoverEntry,
  parseDiscoveryQuery,
  requireDuration,
  requireIndex,
  requireRecord,
} from '@troupe/core/backend';
import {
  defineScript,
  type RedisBackendOptions,
  requireKeyName,
  resolveCommon,
  type ScriptRunner,
  toTroupeError,
} from '../internal/connection.js';
import { parseFrozen } from '../internal/frozen-json.js';
import { parseRetention, type StreamRetention } from '../internal/retention.js';
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

/** Resources listed per script call by `claims()` without a resource: a page stays sub-ms. */
const LIST_PAGE = 100;

function decodeClaim(agent: string, resource: string, value: string): Claim {
  const [start = '0', end = '0', token = '0', grantedAt = '0', expiresAt = '0'] = value.split('|');
  return Object.freeze({
    agent,
    resource,
    start: Number(start),
    end: Number(end),
    token: Number(token),
    grantedAt: Number(grantedAt),
    expiresAt: Number(expiresAt),
  });
}

type StreamEntry = [id: string, fields: string[]];

function decodeDiscovery(entry: StreamEntry): Discovery {
  const [id, fields] = entry;
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  return Object.freeze({
    seq: Number(id.slice(0, id.indexOf('-'))),
    agent: map.get('a') ?? '',
    topic: map.get('t') ?? '',
    content: parseFrozen(map.get('c') ?? 'null'),
    at: Number(map.get('at') ?? 0),
  });
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
  requireRecord(options, 'options');
  const defaultTtlMs =
    options.defaultTtlMs === undefined
      ? 300_000
      : requireDuration(options.defaultTtlMs, 'options.defaultTtlMs');
  const gcMarginMs = options.gcMarginMs ?? 60_000;
  if (!(typeof gcMarginMs === 'number' && Number.isFinite(gcMarginMs) && gcMarginMs >= 0)) {
    throw invalidArgument('options.gcMarginMs must be a non-negative finite number', {
      gcMarginMs,
    });
  }
  const retention = parseRetention(options.retention);
  const { connection, clock, base, nowArg } = resolveCommon(options, 'createRedisSharedState');
  const { client } = connection;
  const claimScript = defineScript(client, 'troupeStateClaim', CLAIM_SCRIPT);
  const renewScript = defineScript(client, 'troupeStateRenew', RENEW_OR_RELEASE_SCRIPT);
  const listScript = defineScript(client, 'troupeStateListPage', LIST_PAGE_SCRIPT);
  const listResourceScript = defineScript(client, 'troupeStateListResource', LIST_RESOURCE_SCRIPT);
  const discoverScript = defineScript(client, 'troupeStateDiscover', DISCOVER_SCRIPT);
  const setKey = `${base}cr`;
  const tokenKey = `${base}tok`;
  const resourceKey = (resource: string): string => `${base}c:${resource}`;
  const indexKey = (resource: string): string => `${base}ci:${resource}`;
  let closed = false;

  const open = (): void => {
    if (closed) throw closedError('shared state');
  };
  const run = async (
    script: ScriptRunner,
    keys: string[],
    args: (string | number)[],
    op: string,
  ): Promise<unknown> => {
    open();
    try {
      return await script(keys, args);
    } catch (error) {
      throw toTroupeError(error, op);
    }
  };
  const ttlOf = (ttlMs: unknown): number =>
    ttlMs === undefined ? defaultTtlMs : requireDuration(ttlMs, 'ttlMs');

  return {
    async claim(request: ClaimRequest): Promise<ClaimResult> {
      open();
      const req = requireRecord(request, 'request');
      const agent = requireKeyName(req.agent, 'agent');
      const resource = requireKeyName(req.resource, 'resource');
      const start = req.start === undefined ? 0 : requireIndex(req.start, 'start');
      const end = req.end === undefined ? MAX_CLAIM_END : requireIndex(req.end, 'end');
      if (start > end) throw invalidArgument('start must be <= end', { start, end });
      const ttlMs = ttlOf(req.ttlMs);
      const now = clock.now();
      // Called directly (no `run` wrapper): one async frame less on every claim.
      let reply: number | [token: number, now: string] | [agent: string, value: string];
      try {
        reply = (await claimScript(
          [resourceKey(resource), indexKey(resource), setKey, tokenKey],
          [agent, start, end, nowArg(), ttlMs, gcMarginMs, resource],
        )) as number | [number, string] | [string, string];
      } catch (error) {
        throw toTroupeError(error, 'claim');
      }
      // Granted: the token alone (clock time: the rest is what we sent), or the token and the
      // server's time.
      if (typeof reply === 'number' || typeof reply[0] === 'number') {
        const grantedAt = typeof reply === 'number' ? now : Number(reply[1]);
        return {
          ok: true,
          claim: Object.freeze({
            agent,
            resource,
            start,
            end,
            token: typeof reply === 'number' ? reply : (reply[0] as number),
            grantedAt,
            expiresAt: grantedAt + ttlMs,
          }),
        };
      }
      return { ok: false, conflict: decodeClaim(reply[0], resource, reply[1] as string) };
    },

    async release(agent: string, resource: string): Promise<boolean> {
      open();
      requireKeyName(agent, 'agent');
      requireKeyName(resource, 'resource');
      const reply = (await run(
        renewScript,
        [resourceKey(resource), indexKey(resource), setKey],
        [agent, nowArg(), '', gcMarginMs, resource],
        'release',
      )) as [number, string?];
      return reply[0] === 1;
    },

    async renew(agent: string, resource: string, ttlMs?: number): Promise<Claim | undefined> {
      open();
      requireKeyName(agent, 'agent');
      requireKeyName(resource, 'resource');
      const ttl = ttlOf(ttlMs);
      const reply = (await run(
        renewScript,
        [resourceKey(resource), indexKey(resource), setKey],
        [agent, nowArg(), ttl, gcMarginMs, resource],
        'renew',
      )) as [number, string?];
      return reply[0] === 1 ? decodeClaim(agent, resource, reply[1] ?? '') : undefined;
    },

    async claims(query?: ClaimQuery): Promise<Claim[]> {
      open();
      const { resource, agent } = parseClaimQuery(query);
      if (resource !== undefined) {
        // Only this resource's hash is read; sorting by token gives grant order.
        const flat = (await run(
          listResourceScript,
          [resourceKey(resource)],
          [nowArg()],
          'claims',
        )) as string[];
        const out: Claim[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2) {
          if (agent === undefined || flat[i] === agent)
            out.push(decodeClaim(flat[i]!, resource, flat[i + 1]!));
        }
        return out.sort((a, b) => a.token - b.token);
      }
      // Page by page over the resource set (SSCAN), one short script per page: listing 50k
      // claims never holds Redis for more than a page's worth. Not one snapshot: a claim made
      // or released during the walk may or may not be listed.
      const out: Claim[] = [];
      const seen = new Set<string>();
      let cursor = '0';
      do {
        let page: string[];
        try {
          [cursor, page] = await client.sscan(setKey, cursor, 'COUNT', LIST_PAGE);
        } catch (error) {
          throw toTroupeError(error, 'claims');
        }
        const fresh = page.filter((r) => !seen.has(r));
        if (fresh.length === 0) continue;
        const keys = [setKey];
        for (const r of fresh) {
          seen.add(r);
          keys.push(resourceKey(r), indexKey(r));
        }
        const flat = (await run(
          listScript,
          keys,
          [nowArg(), agent === undefined ? '' : `=${agent}`, ...fresh],
          'claims',
        )) as string[];
        for (let i = 0; i + 2 < flat.length; i += 3)
          out.push(decodeClaim(flat[i]!, flat[i + 1]!, flat[i + 2]!));
      } while (cursor !== '0');
      // Tokens are grant order across the whole store.
      out.sort((a, b) => a.token - b.token);
      return out;
    },

    async discover<T = unknown>(entry: {
      agent: string;
      topic: string;
      content: T;
    }): Promise<Discovery<T>> {
      open();
      const { agent, topic, content } = parseDiscoverEntry(entry);
      requireKeyName(agent, 'agent');
      requireKeyName(topic, 'topic');
      const text = jsonText(content, 'content');
      const at = clock.now();
      const seq = (await run(
        discoverScript,
        [`${base}dseq`, `${base}d`, `${base}dt:${topic}`],
        [agent, topic, text, at, retention.maxCount, retention.maxAgeMs],
        'discover',
      )) as number;
      return Object.freeze({ seq, agent, topic, content: parseFrozen(text) as T, at });
    },

    async discoveries<T = unknown>(query?: DiscoveryQuery): Promise<Discovery<T>[]> {
      open();
      const { topic, agent, afterSeq, limit: want } = parseDiscoveryQuery(query);
      const key = topic === undefined ? `${base}d` : `${base}dt:${topic}`;
      const out: Discovery<T>[] = [];
      let from = afterSeq + 1;
      // Seqs are the stream ids, so XRANGE starts right after afterSeq; an agent filter reads
      // on in batches until it has `limit` matches or the stream ends.
      while (out.length < want) {
        const batch = agent === undefined ? Math.min(want - out.length, 1_000) : 1_000;
        let entries: StreamEntry[];
        try {
          entries = (await client.xrange(key, `${from}-0`, '+', 'COUNT', batch)) as StreamEntry[];
        } catch (error) {
          throw toTroupeError(error, 'discoveries');
        }
        for (const entry of entries) {
          const discovery = decodeDiscovery(entry) as Discovery<T>;
          if (agent === undefined || discovery.agent === agent) out.push(discovery);
          if (out.length >= want) break;
        }
        if (entries.length < batch) break;
        from = decodeDiscovery(entries[entries.length - 1]!).seq + 1;
      }
      return out;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await connection.close();
    },
  };
}
