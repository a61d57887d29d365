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
  defineScript,
  type RedisBackendOptions,
  resolveCommon,
  type ScriptRunner,
  toTroupeError,
} from './internal/connection.js';
import { LUA_SPLIT } from './internal/lua.js';
import {
  closedError,
  jsonText,
  optionalRecord,
  parseFrozen,
  requireDuration,
  requireIndex,
  requireName,
  requirePositiveInteger,
  requireRecord,
} from './internal/validate.js';

/** Options of {@link createRedisSharedState}. */
export interface RedisSharedStateOptions extends RedisBackendOptions {
  /** TTL of a claim made without `ttlMs`, and of `renew` without one. Default 300000. */
  readonly defaultTtlMs?: number;
  /**
   * Redis keeps claim keys this long past their latest `expiresAt` before deleting them
   * (garbage collection only: expiry itself is decided against the clock). Default 60000.
   */
  readonly gcMarginMs?: number;
}

// Layout: one hash per resource, `c:<resource>`: field = agent, value =
// "start|end|token|grantedAt|expiresAt"; the field "" (no agent has an empty name) holds the
// clock time until which the hash is kept (garbage collection only). A set `cr` names the
// resources that may hold claims, for listing across resources.
const CLAIM = `${LUA_SPLIT}
local INF = math.huge
`;

// KEYS: resource hash, resource set, token counter.
// ARGV: agent, start, end, now, expiresAt, gc margin ms, resource.
// Hot path: HGETALL of this resource only, INCR, HSET. PEXPIRE only when the hash's kept-until
// time must move (at most once per half margin), SADD only for a resource with no hash yet.
const CLAIM_SCRIPT = `${CLAIM}
local agent, now = ARGV[1], tonumber(ARGV[4])
local s, e, resource = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[7]
local margin = tonumber(ARGV[6])
local entries = redis.call('HGETALL', KEYS[1])
local best, bestValue, bestToken = nil, nil, nil
local latest, keptUntil = tonumber(ARGV[5]), -INF
for i = 1, #entries, 2 do
  local other, value = entries[i], entries[i + 1]
  if other == '' then
    keptUntil = tonumber(value)
  else
    local f = split(value)
    local expires = tonumber(f[5])
    if expires <= now then
      redis.call('HDEL', KEYS[1], other)
    elseif other ~= agent then
      if tonumber(f[1]) <= e and s <= tonumber(f[2]) then
        local token = tonumber(f[3])
        if bestToken == nil or token < bestToken then best, bestValue, bestToken = other, value, token end
      end
      if expires > latest then latest = expires end
    end
  end
end
if best then return {0, best, bestValue} end
local token = redis.call('INCR', KEYS[3])
local value = ARGV[2] .. '|' .. ARGV[3] .. '|' .. token .. '|' .. ARGV[4] .. '|' .. ARGV[5]
if latest + margin / 2 > keptUntil then
  local keep = latest + margin
  redis.call('HSET', KEYS[1], agent, value, '', string.format('%.17g', keep))
  redis.call('PEXPIRE', KEYS[1], math.ceil(keep - now))
else
  redis.call('HSET', KEYS[1], agent, value)
end
if #entries == 0 then redis.call('SADD', KEYS[2], resource) end
return {1, value}
`;

// KEYS: resource hash, resource set. ARGV: agent, now, new expiresAt ('' to release), gc
// margin ms, resource. A hash left with no claim goes, and so does its resource's set entry.
const RENEW_OR_RELEASE_SCRIPT = `${CLAIM}
local v = redis.call('HMGET', KEYS[1], ARGV[1], '')
local value = v[1]
if not value then return {0} end
local f = split(value)
local now = tonumber(ARGV[2])
local live = tonumber(f[5]) > now
if ARGV[3] == '' or not live then
  redis.call('HDEL', KEYS[1], ARGV[1])
  if redis.call('HLEN', KEYS[1]) <= 1 then
    redis.call('DEL', KEYS[1])
    redis.call('SREM', KEYS[2], ARGV[5])
  end
  if live then return {1, value} end
  return {0}
end
value = f[1] .. '|' .. f[2] .. '|' .. f[3] .. '|' .. f[4] .. '|' .. ARGV[3]
local expires, margin = tonumber(ARGV[3]), tonumber(ARGV[4])
if expires + margin / 2 > (tonumber(v[2]) or -INF) then
  redis.call('HSET', KEYS[1], ARGV[1], value, '', string.format('%.17g', expires + margin))
  redis.call('PEXPIRE', KEYS[1], math.ceil(expires + margin - now))
else
  redis.call('HSET', KEYS[1], ARGV[1], value)
end
return {1, value}
`;

// KEYS: resource set. ARGV: now, key base, agent filter ('' = any, else '=' .. agent).
// Live claims of every resource as agent, resource, value triples (the caller sorts them by
// token); expired entries are dropped, and resources with no hash left leave the set.
const LIST_SCRIPT = `${CLAIM}
local now = tonumber(ARGV[1])
local filtered = ARGV[3] ~= ''
local want = string.sub(ARGV[3], 2)
local out = {}
for _, resource in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[2] .. 'c:' .. resource
  local entries = redis.call('HGETALL', key)
  if #entries == 0 then redis.call('SREM', KEYS[1], resource) end
  for i = 1, #entries, 2 do
    local agent, value = entries[i], entries[i + 1]
    if agent ~= '' then
      if tonumber(split(value)[5]) <= now then
        redis.call('HDEL', key, agent)
      elseif not filtered or agent == want then
        out[#out + 1] = agent
        out[#out + 1] = resource
        out[#out + 1] = value
      end
    end
  end
end
return out
`;

// KEYS: resource hash. ARGV: now. Live entries of one resource as agent, value pairs.
const LIST_RESOURCE_SCRIPT = `${CLAIM}
local now = tonumber(ARGV[1])
local entries = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #entries, 2 do
  if entries[i] ~= '' and tonumber(split(entries[i + 1])[5]) > now then
    out[#out + 1] = entries[i]
    out[#out + 1] = entries[i + 1]
  end
end
return out
`;

// KEYS: seq counter, all-discoveries stream, topic stream. ARGV: agent, topic, content, at.
const DISCOVER_SCRIPT = `
local seq = redis.call('INCR', KEYS[1])
local id = seq .. '-0'
redis.call('XADD', KEYS[2], id, 'a', ARGV[1], 't', ARGV[2], 'c', ARGV[3], 'at', ARGV[4])
redis.call('XADD', KEYS[3], id, 'a', ARGV[1], 't', ARGV[2], 'c', ARGV[3], 'at', ARGV[4])
return seq
`;

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
export function createRedisSharedState(options: RedisSharedStateOptions): SharedStateBackend {
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
  const { connection, clock, base } = resolveCommon(options, 'createRedisSharedState');
  const { client } = connection;
  const claimScript = defineScript(client, 'troupeStateClaim', CLAIM_SCRIPT);
  const renewScript = defineScript(client, 'troupeStateRenew', RENEW_OR_RELEASE_SCRIPT);
  const listScript = defineScript(client, 'troupeStateList', LIST_SCRIPT);
  const listResourceScript = defineScript(client, 'troupeStateListResource', LIST_RESOURCE_SCRIPT);
  const discoverScript = defineScript(client, 'troupeStateDiscover', DISCOVER_SCRIPT);
  const indexKey = `${base}cr`;
  const tokenKey = `${base}tok`;
  const resourceKey = (resource: string): string => `${base}c:${resource}`;
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
      const agent = requireName(req.agent, 'agent');
      const resource = requireName(req.resource, 'resource');
      const start = req.start === undefined ? 0 : requireIndex(req.start, 'start');
      const end = req.end === undefined ? MAX_CLAIM_END : requireIndex(req.end, 'end');
      if (start > end) throw invalidArgument('start must be <= end', { start, end });
      const ttlMs = ttlOf(req.ttlMs);
      const now = clock.now();
      const reply = (await run(
        claimScript,
        [resourceKey(resource), indexKey, tokenKey],
        [agent, start, end, now, now + ttlMs, gcMarginMs, resource],
        'claim',
      )) as [number, string, string?];
      if (reply[0] === 1) return { ok: true, claim: decodeClaim(agent, resource, reply[1]) };
      return { ok: false, conflict: decodeClaim(reply[1], resource, reply[2] ?? '') };
    },

    async release(agent: string, resource: string): Promise<boolean> {
      open();
      requireName(agent, 'agent');
      requireName(resource, 'resource');
      const reply = (await run(
        renewScript,
        [resourceKey(resource), indexKey],
        [agent, clock.now(), '', gcMarginMs, resource],
        'release',
      )) as [number, string?];
      return reply[0] === 1;
    },

    async renew(agent: string, resource: string, ttlMs?: number): Promise<Claim | undefined> {
      open();
      requireName(agent, 'agent');
      requireName(resource, 'resource');
      const ttl = ttlOf(ttlMs);
      const now = clock.now();
      const reply = (await run(
        renewScript,
        [resourceKey(resource), indexKey],
        [agent, now, now + ttl, gcMarginMs, resource],
        'renew',
      )) as [number, string?];
      return reply[0] === 1 ? decodeClaim(agent, resource, reply[1] ?? '') : undefined;
    },

    async claims(query?: ClaimQuery): Promise<Claim[]> {
      open();
      const q = optionalRecord(query, 'query');
      const resource = q.resource === undefined ? undefined : requireName(q.resource, 'resource');
      const agent = q.agent === undefined ? undefined : requireName(q.agent, 'agent');
      const now = clock.now();
      if (resource !== undefined) {
        // Only this resource's hash is read; sorting by token gives grant order.
        const flat = (await run(
          listResourceScript,
          [resourceKey(resource)],
          [now],
          'claims',
        )) as string[];
        const out: Claim[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2) {
          if (agent === undefined || flat[i] === agent)
            out.push(decodeClaim(flat[i]!, resource, flat[i + 1]!));
        }
        return out.sort((a, b) => a.token - b.token);
      }
      const flat = (await run(
        listScript,
        [indexKey],
        [now, base, agent === undefined ? '' : `=${agent}`],
        'claims',
      )) as string[];
      const out: Claim[] = [];
      for (let i = 0; i + 2 < flat.length; i += 3)
        out.push(decodeClaim(flat[i]!, flat[i + 1]!, flat[i + 2]!));
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
      const e = requireRecord(entry, 'entry');
      const agent = requireName(e.agent, 'agent');
      const topic = requireName(e.topic, 'topic');
      if (!('content' in e)) throw invalidArgument('content is required');
      const text = jsonText(e.content, 'content');
      const at = clock.now();
      const seq = (await run(
        discoverScript,
        [`${base}dseq`, `${base}d`, `${base}dt:${topic}`],
        [agent, topic, text, at],
        'discover',
      )) as number;
      return Object.freeze({ seq, agent, topic, content: parseFrozen(text) as T, at });
    },

    async discoveries<T = unknown>(query?: DiscoveryQuery): Promise<Discovery<T>[]> {
      open();
      const q = optionalRecord(query, 'query');
      const topic = q.topic === undefined ? undefined : requireName(q.topic, 'topic');
      const agent = q.agent === undefined ? undefined : requireName(q.agent, 'agent');
      const afterSeq = q.afterSeq === undefined ? 0 : requireIndex(q.afterSeq, 'afterSeq');
      const want =
        q.limit === undefined ? Number.POSITIVE_INFINITY : requirePositiveInteger(q.limit, 'limit');
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
