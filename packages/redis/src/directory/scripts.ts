// Lua for the Redis team directory. Keys (all under the team's hash tag):
//   dir:h          zset   host -> lease expiry (ms of directory time)
//   dir:a          hash   agent -> "generation|since|host" (host last: it may hold '|')
//   dir:d          hash   agent -> definition JSON (never parsed in Lua: numbers stay exact)
//   dir:ha:<host>  set    the agents a host holds
// "now" is ARGV (the caller's clock) or, when empty, the server's TIME (see LUA_NOW). Hosts
// are not keys with a TTL: a dead host must stay visible until its agents are taken over.
import { LUA_NOW } from '../internal/lua.js';

const FMT = `${LUA_NOW}
local function fmt(x) return string.format('%.17g', x) end
`;

/** KEYS: dir:h. ARGV: host, ttlMs, now. Returns the new expiry. */
export const HEARTBEAT_SCRIPT = `${FMT}
local expires = clocknow(ARGV[3]) + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], expires, ARGV[1])
return fmt(expires)
`;

/**
 * KEYS: dir:h, dir:a, dir:d, dir:ha:<host>. ARGV: name, host, definition, now.
 * Returns {0} (host has no live lease), {1, holder value} (name taken), {2, since}.
 */
export const REGISTER_SCRIPT = `${FMT}
local now = clocknow(ARGV[4])
local lease = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not lease or tonumber(lease) <= now then return {0} end
local taken = redis.call('HGET', KEYS[2], ARGV[1])
if taken then return {1, taken} end
redis.call('HSET', KEYS[2], ARGV[1], '1|' .. fmt(now) .. '|' .. ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('SADD', KEYS[4], ARGV[1])
return {2, fmt(now)}
`;

/** KEYS: dir:a, dir:d, dir:ha:<host>. ARGV: name, host. Returns 1 when removed. */
export const UNREGISTER_SCRIPT = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v or string.match(v, '^%d+|[^|]*|(.*)$') ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
return 1
`;

/** KEYS: dir:a, dir:d. ARGV: name. Returns {value, definition} or {}. */
export const LOOKUP_SCRIPT = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return {} end
return {v, redis.call('HGET', KEYS[2], ARGV[1]) or 'null'}
`;

/** KEYS: dir:h. ARGV: now. Live hosts and their expiries, flat. */
export const HOSTS_SCRIPT = `${FMT}
local now = clocknow(ARGV[1])
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. fmt(now), '+inf', 'WITHSCORES')
`;

/**
 * KEYS: dir:h. ARGV: now, key prefix of the host sets (<base>dir:ha:), batch size.
 * Dead hosts that still hold agents; dead hosts with none are forgotten. At most one batch of
 * dead hosts is looked at per call (the caller calls again while a full batch came back).
 */
export const DEAD_HOSTS_SCRIPT = `${FMT}
local now = clocknow(ARGV[1])
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', fmt(now), 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, host in ipairs(dead) do
  if redis.call('EXISTS', ARGV[2] .. host) == 1 then out[#out + 1] = host
  else redis.call('ZREM', KEYS[1], host) end
end
return {#dead, out}
`;

/**
 * KEYS: dir:h, dir:a, dir:ha:<from>, dir:ha:<to>. ARGV: name, from, to, now.
 * Moves the agent when it is on `from`, `from` is dead and `to` alive: returns the new value
 * ("generation|since|host"), or nothing.
 */
export const TAKE_OVER_SCRIPT = `${FMT}
local now = clocknow(ARGV[4])
local v = redis.call('HGET', KEYS[2], ARGV[1])
if not v then return false end
local g, host = string.match(v, '^(%d+)|[^|]*|(.*)$')
if host ~= ARGV[2] then return false end
local from = redis.call('ZSCORE', KEYS[1], ARGV[2])
if from and tonumber(from) > now then return false end
local to = redis.call('ZSCORE', KEYS[1], ARGV[3])
if not to or tonumber(to) <= now then return false end
local value = string.format('%d', tonumber(g) + 1) .. '|' .. fmt(now) .. '|' .. ARGV[3]
redis.call('HSET', KEYS[2], ARGV[1], value)
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
return value
`;

/** KEYS: dir:h, dir:a, dir:d, dir:ha:<host>. ARGV: host. Removes the host and its agents. */
export const LEAVE_SCRIPT = `
local names = redis.call('SMEMBERS', KEYS[4])
for _, name in ipairs(names) do
  redis.call('HDEL', KEYS[2], name)
  redis.call('HDEL', KEYS[3], name)
end
redis.call('DEL', KEYS[4])
redis.call('ZREM', KEYS[1], ARGV[1])
return names
`;
