import {
  type Claim,
  type ClaimQuery,
  type ClaimRequest,
  type ClaimResult,
  type Discovery,
  type DiscoveryQuery,
  invalidArgument,
  type SharedStateBackend,
  TroupeError,
} from '@troupe/core';
import {
  defineScript,
  pair,
  type RedisBackendOptions,
  resolveCommon,
  type ScriptRunner,
  toTroupeError,
} from './internal/connection.js';
import { LUA_NUM, LUA_SPLIT, LUA_UNPAIR } from './internal/lua.js';

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

// A claim entry in its resource's hash (field = agent): "start|end|token|grantedAt|expiresAt".
const CLAIM = `${LUA_NUM}${LUA_SPLIT}${LUA_UNPAIR}
local function pttl_at_least(key, ms)
  local cur = redis.call('PTTL', key)
  if cur >= 0 and cur < ms then redis.call('PEXPIRE', key, ms) end
  if cur == -1 then redis.call('PEXPIRE', key, ms) end
end
`;

// KEYS: resource hash, claim index, token counter.
// ARGV: agent, start, end, now, expiresAt, ttl+margin, index member, base.
const CLAIM_SCRIPT = `${CLAIM}
local now = tonumber(ARGV[4])
local s = num(ARGV[2])
local e = num(ARGV[3])
local entries = redis.call('HGETALL', KEYS[1])
local best, bestValue, bestToken = nil, nil, nil
local resource = ARGV[9]
for i = 1, #entries, 2 do
  local agent, value = entries[i], entries[i + 1]
  local f = split(value)
  if tonumber(f[5]) <= now then
    redis.call('HDEL', KEYS[1], agent)
    redis.call('ZREM', KEYS[2], string.len(agent) .. ':' .. agent .. resource)
  elseif agent ~= ARGV[1] and num(f[1]) <= e and s <= num(f[2]) then
    local token = tonumber(f[3])
    if bestToken == nil or token < bestToken then
      best, bestValue, bestToken = agent, value, token
    end
  end
end
if best then return {0, best, bestValue} end
local token = redis.call('INCR', KEYS[3])
local value = ARGV[2] .. '|' .. ARGV[3] .. '|' .. token .. '|' .. ARGV[4] .. '|' .. ARGV[5]
redis.call('HSET', KEYS[1], ARGV[1], value)
redis.call('ZADD', KEYS[2], token, ARGV[7])
local gc = tonumber(ARGV[6])
pttl_at_least(KEYS[1], gc)
pttl_at_least(KEYS[2], gc)
return {1, value}
`;

// KEYS: resource hash, claim index. ARGV: agent, now, new expiresAt (or '' to release), ttl+margin, member.
const RENEW_OR_RELEASE_SCRIPT = `${CLAIM}
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return {0} end
local f = split(value)
local live = tonumber(f[5]) > tonumber(ARGV[2])
if ARGV[3] == '' or not live then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[5])
  if live then return {1, value} end
  return {0}
end
value = f[1] .. '|' .. f[2] .. '|' .. f[3] .. '|' .. f[4] .. '|' .. ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], value)
pttl_at_least(KEYS[1], tonumber(ARGV[4]))
pttl_at_least(KEYS[2], tonumber(ARGV[4]))
return {1, value}
`;

// KEYS: claim index. ARGV: now, base, agent filter ('' = any; '1:' prefix flags a filter).
// Returns live claims in token (grant) order as agent, resource, value triples; drops expired.
const LIST_SCRIPT = `${CLAIM}
local now = tonumber(ARGV[1])
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local out = {}
local filtered = ARGV[3] ~= ''
local want = string.sub(ARGV[3], 2)
for _, m in ipairs(members) do
  local agent, resource = unpair(m)
  if not filtered or agent == want then
    local key = ARGV[2] .. 'c:' .. resource
    local value = redis.call('HGET', key, agent)
    if not value then
      redis.call('ZREM', KEYS[1], m)
    elseif tonumber(split(value)[5]) <= now then
      redis.call('HDEL', key, agent)
      redis.call('ZREM', KEYS[1], m)
    else
      out[#out + 1] = agent
      out[#out + 1] = resource
      out[#out + 1] = value
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
  if tonumber(split(entries[i + 1])[5]) > now then
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

const isNonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0;
const isIndex = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 0;

/** Encodes a range bound; the open end of a whole-resource claim is +infinity. */
const bound = (n: number): string => (n === Number.POSITIVE_INFINITY ? 'inf' : String(n));
const unbound = (s: string): number => (s === 'inf' ? Number.POSITIVE_INFINITY : Number(s));

function decodeClaim(agent: string, resource: string, value: string): Claim {
  const [start = '0', end = '0', token = '0', grantedAt = '0', expiresAt = '0'] = value.split('|');
  return {
    agent,
    resource,
    start: unbound(start),
    end: unbound(end),
    token: Number(token),
    grantedAt: Number(grantedAt),
    expiresAt: Number(expiresAt),
  };
}

function encodeContent(content: unknown): string {
  // '' marks undefined, which JSON cannot carry; every JSON text is non-empty.
  return content === undefined ? '' : JSON.stringify(content);
}

function decodeContent(text: string): unknown {
  return text === '' ? undefined : JSON.parse(text);
}

type StreamEntry = [id: string, fields: string[]];

function decodeDiscovery(entry: StreamEntry): Discovery {
  const [id, fields] = entry;
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  return {
    seq: Number(id.slice(0, id.indexOf('-'))),
    agent: map.get('a') ?? '',
    topic: map.get('t') ?? '',
    content: decodeContent(map.get('c') ?? ''),
    at: Number(map.get('at') ?? 0),
  };
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
 *   one per topic) with the seq as the entry id.
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
  const defaultTtlMs = options?.defaultTtlMs ?? 300_000;
  if (!(typeof defaultTtlMs === 'number' && Number.isFinite(defaultTtlMs) && defaultTtlMs > 0)) {
    throw invalidArgument('defaultTtlMs must be a positive finite number', { defaultTtlMs });
  }
  const gcMarginMs = options?.gcMarginMs ?? 60_000;
  if (!(typeof gcMarginMs === 'number' && Number.isFinite(gcMarginMs) && gcMarginMs >= 0)) {
    throw invalidArgument('gcMarginMs must be a non-negative finite number', { gcMarginMs });
  }
  const { connection, clock, base } = resolveCommon(options, 'createRedisSharedState');
  const { client } = connection;
  const claimScript = defineScript(client, 'troupeStateClaim', CLAIM_SCRIPT);
  const renewScript = defineScript(client, 'troupeStateRenew', RENEW_OR_RELEASE_SCRIPT);
  const listScript = defineScript(client, 'troupeStateList', LIST_SCRIPT);
  const listResourceScript = defineScript(client, 'troupeStateListResource', LIST_RESOURCE_SCRIPT);
  const discoverScript = defineScript(client, 'troupeStateDiscover', DISCOVER_SCRIPT);
  const indexKey = `${base}ci`;
  const tokenKey = `${base}tok`;
  const resourceKey = (resource: string): string => `${base}c:${resource}`;
  let closed = false;

  const run = async (
    script: ScriptRunner,
    keys: string[],
    args: (string | number)[],
    op: string,
  ): Promise<unknown> => {
    if (closed) throw new TroupeError('ERR_CLOSED', `shared state is closed (${op})`);
    try {
      return await script(keys, args);
    } catch (error) {
      throw toTroupeError(error, op);
    }
  };
  const checkOpen = (op: string): void => {
    if (closed) throw new TroupeError('ERR_CLOSED', `shared state is closed (${op})`);
  };
  const checkTtl = (ttlMs: unknown): number => {
    if (ttlMs === undefined) return defaultTtlMs;
    if (!(typeof ttlMs === 'number' && Number.isFinite(ttlMs) && ttlMs > 0)) {
      throw invalidArgument('ttlMs must be a positive finite number', { ttlMs });
    }
    return ttlMs;
  };
  const checkAgentResource = (agent: unknown, resource: unknown): void => {
    if (!isNonEmptyString(agent))
      throw invalidArgument('agent must be a non-empty string', { agent });
    if (!isNonEmptyString(resource))
      throw invalidArgument('resource must be a non-empty string', { resource });
  };

  return {
    async claim(request: ClaimRequest): Promise<ClaimResult> {
      checkOpen('claim');
      if (typeof request !== 'object' || request === null)
        throw invalidArgument('claim request must be an object');
      const { agent, resource } = request;
      checkAgentResource(agent, resource);
      const ttlMs = checkTtl(request.ttlMs);
      const start = request.start ?? 0;
      const end = request.end ?? (request.start === undefined ? Number.POSITIVE_INFINITY : start);
      if (!isIndex(start)) throw invalidArgument('start must be a non-negative integer', { start });
      if (end !== Number.POSITIVE_INFINITY && !isIndex(end)) {
        throw invalidArgument('end must be a non-negative integer', { end });
      }
      if (start > end) throw invalidArgument('start must be <= end', { start, end });
      const now = clock.now();
      const reply = (await run(
        claimScript,
        [resourceKey(resource), indexKey, tokenKey],
        [
          agent,
          bound(start),
          bound(end),
          now,
          now + ttlMs,
          Math.ceil(ttlMs + gcMarginMs),
          pair(agent, resource),
          base,
          resource,
        ],
        'claim',
      )) as [number, string, string?];
      if (reply[0] === 1) return { ok: true, claim: decodeClaim(agent, resource, reply[1]) };
      return { ok: false, conflict: decodeClaim(reply[1], resource, reply[2] ?? '') };
    },

    async release(agent: string, resource: string): Promise<boolean> {
      checkOpen('release');
      checkAgentResource(agent, resource);
      const reply = (await run(
        renewScript,
        [resourceKey(resource), indexKey],
        [agent, clock.now(), '', 0, pair(agent, resource)],
        'release',
      )) as [number, string?];
      return reply[0] === 1;
    },

    async renew(agent: string, resource: string, ttlMs?: number): Promise<Claim | undefined> {
      checkOpen('renew');
      checkAgentResource(agent, resource);
      const ttl = checkTtl(ttlMs);
      const now = clock.now();
      const reply = (await run(
        renewScript,
        [resourceKey(resource), indexKey],
        [agent, now, now + ttl, Math.ceil(ttl + gcMarginMs), pair(agent, resource)],
        'renew',
      )) as [number, string?];
      return reply[0] === 1 ? decodeClaim(agent, resource, reply[1] ?? '') : undefined;
    },

    async claims(query: ClaimQuery = {}): Promise<Claim[]> {
      checkOpen('claims');
      const { resource, agent } = query ?? {};
      if (resource !== undefined && !isNonEmptyString(resource)) {
        throw invalidArgument('resource must be a non-empty string', { resource });
      }
      if (agent !== undefined && !isNonEmptyString(agent)) {
        throw invalidArgument('agent must be a non-empty string', { agent });
      }
      const now = clock.now();
      if (resource !== undefined) {
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
      return out;
    },

    async discover<T = unknown>(entry: {
      agent: string;
      topic: string;
      content: T;
    }): Promise<Discovery<T>> {
      checkOpen('discover');
      if (typeof entry !== 'object' || entry === null)
        throw invalidArgument('discovery must be an object');
      const { agent, topic, content } = entry;
      if (!isNonEmptyString(agent))
        throw invalidArgument('agent must be a non-empty string', { agent });
      if (!isNonEmptyString(topic))
        throw invalidArgument('topic must be a non-empty string', { topic });
      let text: string;
      try {
        text = encodeContent(content);
      } catch (error) {
        throw new TroupeError('ERR_INVALID_ARGUMENT', 'content must be JSON-serializable', {
          cause: error,
        });
      }
      const at = clock.now();
      const seq = (await run(
        discoverScript,
        [`${base}dseq`, `${base}d`, `${base}dt:${topic}`],
        [agent, topic, text, at],
        'discover',
      )) as number;
      return { seq, agent, topic, content: decodeContent(text) as T, at };
    },

    async discoveries<T = unknown>(query: DiscoveryQuery = {}): Promise<Discovery<T>[]> {
      checkOpen('discoveries');
      const { topic, agent, afterSeq = 0, limit } = query ?? {};
      if (topic !== undefined && !isNonEmptyString(topic))
        throw invalidArgument('topic must be a non-empty string', { topic });
      if (agent !== undefined && !isNonEmptyString(agent))
        throw invalidArgument('agent must be a non-empty string', { agent });
      if (!isIndex(afterSeq))
        throw invalidArgument('afterSeq must be a non-negative integer', { afterSeq });
      if (limit !== undefined && !isIndex(limit))
        throw invalidArgument('limit must be a non-negative integer', { limit });
      const want = limit ?? Number.POSITIVE_INFINITY;
      const key = topic === undefined ? `${base}d` : `${base}dt:${topic}`;
      const out: Discovery<T>[] = [];
      let from = afterSeq + 1;
      while (out.length < want) {
        const batch = Math.min(agent === undefined ? want - out.length : 1_000, 1_000);
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
