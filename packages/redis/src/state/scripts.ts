// Lua for the Redis shared state. Times and numbers travel as ARGV strings (the caller's clock).
import { LUA_SPLIT } from '../internal/lua.js';

// Layout: one hash per resource, `c:<resource>`: field = agent, value =
// "start|end|token|grantedAt|expiresAt"; the field "" (no agent has an empty name) holds the
// clock time until which the hash is kept (garbage collection only). A set `cr` names the
// resources that may hold claims, for listing across resources.
const CLAIM = `${LUA_SPLIT}
local INF = math.huge
`;

// KEYS: resource hash, resource set, token counter.
// ARGV: agent, start, end, now, expiresAt, gc margin ms.
// Returns the token (an integer reply: the caller knows every other field) when granted, or
// {agent, value} of the conflicting claim with the lowest token.
// Hot path: HGETALL of this resource only, INCR, HSET. PEXPIRE only when the hash's kept-until
// time must move (at most once per half margin), SADD only for a resource with no hash yet.
export const CLAIM_SCRIPT = `
local agent, now = ARGV[1], tonumber(ARGV[4])
local s, e = tonumber(ARGV[2]), tonumber(ARGV[3])
local entries = redis.call('HGETALL', KEYS[1])
local best, bestValue, bestToken = nil, nil, nil
local latest, keptUntil = tonumber(ARGV[5]), -math.huge
for i = 1, #entries, 2 do
  local other = entries[i]
  if other == '' then
    keptUntil = tonumber(entries[i + 1])
  elseif other ~= agent then
    -- The agent's own entry is neither a conflict nor worth expiring: HSET overwrites it.
    -- One pattern match per entry: no table, no substring loop.
    local value = entries[i + 1]
    local cs, ce, ct, _, cx = string.match(value, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
    local expires = tonumber(cx)
    if expires <= now then
      redis.call('HDEL', KEYS[1], other)
    else
      if tonumber(cs) <= e and s <= tonumber(ce) then
        local token = tonumber(ct)
        if bestToken == nil or token < bestToken then best, bestValue, bestToken = other, value, token end
      end
      if expires > latest then latest = expires end
    end
  end
end
if best then return {best, bestValue} end
local token = redis.call('INCR', KEYS[3])
if token == 1 then
  -- A fresh counter: the first claim ever, or Redis lost its data. Start from the clock (in
  -- thousandths of a ms), so tokens issued after a restart still exceed those issued before
  -- it while the clock moves forward and fewer than 1000 claims per ms were made.
  token = math.max(1, math.floor(now * 1000) + 1)
  redis.call('SET', KEYS[3], string.format('%d', token))
end
-- %d: tokens can pass 1e14, where Lua's default number formatting loses digits.
local value = ARGV[2] .. '|' .. ARGV[3] .. '|' .. string.format('%d', token) .. '|' .. ARGV[4] .. '|' .. ARGV[5]
local margin = tonumber(ARGV[6])
if latest + margin / 2 > keptUntil then
  local keep = latest + margin
  redis.call('HSET', KEYS[1], agent, value, '', string.format('%.17g', keep))
  redis.call('PEXPIRE', KEYS[1], math.ceil(keep - now))
else
  redis.call('HSET', KEYS[1], agent, value)
end
-- A new hash: name its resource in the set. KEYS[1] is <base>c:<resource> and KEYS[2]
-- <base>cr, so the resource starts right after as many characters as KEYS[2] has.
if #entries == 0 then redis.call('SADD', KEYS[2], string.sub(KEYS[1], #KEYS[2] + 1)) end
-- An integer reply is exact up to 2^53; tokens start near 1.8e15.
return token
`;

// KEYS: resource hash, resource set. ARGV: agent, now, new expiresAt ('' to release), gc
// margin ms, resource. A hash left with no claim goes, and so does its resource's set entry.
export const RENEW_OR_RELEASE_SCRIPT = `${CLAIM}
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
export const LIST_SCRIPT = `${CLAIM}
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
export const LIST_RESOURCE_SCRIPT = `${CLAIM}
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
export const DISCOVER_SCRIPT = `
local seq = redis.call('INCR', KEYS[1])
local id = seq .. '-0'
redis.call('XADD', KEYS[2], id, 'a', ARGV[1], 't', ARGV[2], 'c', ARGV[3], 'at', ARGV[4])
redis.call('XADD', KEYS[3], id, 'a', ARGV[1], 't', ARGV[2], 'c', ARGV[3], 'at', ARGV[4])
return seq
`;
