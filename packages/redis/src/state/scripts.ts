// Lua for the Redis shared state. "now" is ARGV (the caller's clock) or, when empty, the
// server's TIME (LUA_NOW): in live use client clocks never decide an expiry.
import { LUA_NOW } from '../internal/lua.js';

// Layout per resource: a hash `c:<resource>` (field = agent, value =
// "start|end|token|grantedAt|expiresAt"; the field "" holds the time until which the keys are
// kept, garbage collection only) and a sorted set `ci:<resource>` (member = agent, score =
// start). A set `cr` names the resources that may hold claims, for listing across resources.
//
// The entries stored for one resource never overlap one another, expired ones included: a
// grant removes every entry it overlaps (its own old range, expired ones) or is refused by a
// live one. So in start order they are also in end order: walking the entries that start at
// or before e from the latest start down, the first one that ends before s ends the walk. A
// conflict check reads O(log n + k) for the k entries it could overlap (plus the one that
// stops it), never every claim on the resource.
//
// Fencing tokens: token = max(last + 1, floor(now in µs) + 1). The counter key can go back when
// Redis loses recent writes (a restart from an older snapshot, a failover to a lagging
// replica); time does not, so the first token after the loss is still above every token issued
// before it, as long as tokens were issued at under one per µs on average (Redis runs at most
// ~10^5 scripts/s) and the server clock did not step back. The token is an integer below 2^53
// until the year 2255.
const COMMON = `${LUA_NOW}
local function fmt(x)
  if x == math.floor(x) and x < 1e15 and x > -1e15 then return string.format('%d', x) end
  return string.format('%.17g', x)
end
local function parse(value)
  local cs, ce, ct, cg, cx = string.match(value, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  return tonumber(cs), tonumber(ce), tonumber(ct), tonumber(cx)
end
local function nextToken(key, now)
  -- One call in the common case: SET ... GET writes the time-based candidate and returns the
  -- last token; only when that was not below the candidate (more than one token per µs) is
  -- the counter set again, above it.
  local token = math.floor(now * 1000) + 1
  local last = tonumber(redis.call('SET', key, string.format('%d', token), 'GET') or '0')
  if last >= token then
    token = last + 1
    redis.call('SET', key, string.format('%d', token))
  end
  return token
end
`;

// KEYS: resource hash, resource index, resource set, token counter.
// ARGV: agent, start, end, now ('' = server TIME), ttlMs, gc margin ms, resource.
// Returns the token (clock time: the caller knows every other field), {token, now} (server
// time), or {agent, value} of the overlapping live claim with the lowest token.
export const CLAIM_SCRIPT = `${COMMON}
local agent = ARGV[1]
local now = clocknow(ARGV[4])
local s, e = tonumber(ARGV[2]), tonumber(ARGV[3])
local keptUntil = nil
local ownStart = nil
local best, bestValue, bestToken = nil, nil, nil
-- Entries starting at or before e, latest start first: they end in the same order (stored
-- entries never overlap), so the walk stops at the first one that ends before s. The hash's
-- kept-until field comes with the first page's values.
local offset, done = 0, false
while not done do
  local near = redis.call('ZREVRANGEBYSCORE', KEYS[2], ARGV[3], '-inf', 'LIMIT', offset, 8)
  local values
  if keptUntil == nil then
    values = redis.call('HMGET', KEYS[1], '', unpack(near))
    keptUntil = tonumber(values[1]) or -math.huge
    table.remove(values, 1)
  elseif #near > 0 then
    values = redis.call('HMGET', KEYS[1], unpack(near))
  end
  if #near == 0 then break end
  for i = 1, #near do
    local other, value = near[i], values[i]
    if not value then
      redis.call('ZREM', KEYS[2], other)
      offset = offset - 1
    else
      local cs, ce, ct, cx = parse(value)
      if ce < s then done = true; break end
      if other == agent then
        ownStart = cs
      elseif cx <= now then
        -- Expired and in the way: it goes, keeping the stored entries disjoint.
        redis.call('HDEL', KEYS[1], other)
        redis.call('ZREM', KEYS[2], other)
        offset = offset - 1
      elseif bestToken == nil or ct < bestToken then
        best, bestValue, bestToken = other, value, ct
      end
    end
  end
  if #near < 8 then break end
  offset = offset + 8
end
if best then return {best, bestValue} end
local token = nextToken(KEYS[4], now)
local expires = now + tonumber(ARGV[5])
local value = ARGV[2] .. '|' .. ARGV[3] .. '|' .. string.format('%d', token) .. '|' .. fmt(now) .. '|' .. fmt(expires)
local margin = tonumber(ARGV[6])
if expires + margin / 2 > keptUntil then
  local keep = expires + margin
  redis.call('HSET', KEYS[1], agent, value, '', fmt(keep))
  redis.call('PEXPIRE', KEYS[1], math.ceil(keep - now))
  if ownStart ~= s then redis.call('ZADD', KEYS[2], s, agent) end
  redis.call('PEXPIRE', KEYS[2], math.ceil(keep - now))
  -- First claim on the resource (or the first after its keys lapsed): name it in the set.
  if keptUntil == -math.huge then redis.call('SADD', KEYS[3], ARGV[7]) end
else
  redis.call('HSET', KEYS[1], agent, value)
  -- A re-claim from the same start keeps its place in the index.
  if ownStart ~= s then redis.call('ZADD', KEYS[2], s, agent) end
end
if ARGV[4] == '' then return {token, fmt(now)} end
return token
`;

// KEYS: resource hash, resource index, resource set. ARGV: agent, now ('' = TIME), ttlMs (''
// to release), gc margin ms, resource. Returns {1, value} (renewed, or released while live)
// or {0}. A resource left with no claim leaves the set.
export const RENEW_OR_RELEASE_SCRIPT = `${COMMON}
local v = redis.call('HMGET', KEYS[1], ARGV[1], '')
local value = v[1]
if not value then return {0} end
local cs, ce, ct, cx = parse(value)
local now = clocknow(ARGV[2])
local live = cx > now
if ARGV[3] == '' or not live then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  if redis.call('HLEN', KEYS[1]) <= 1 then
    redis.call('DEL', KEYS[1], KEYS[2])
    redis.call('SREM', KEYS[3], ARGV[5])
  end
  if live then return {1, value} end
  return {0}
end
local expires = now + tonumber(ARGV[3])
local g = string.match(value, '^[^|]*|[^|]*|[^|]*|([^|]*)|')
value = string.match(value, '^([^|]*|[^|]*|[^|]*)|') .. '|' .. g .. '|' .. fmt(expires)
local margin = tonumber(ARGV[4])
if expires + margin / 2 > (tonumber(v[2]) or -math.huge) then
  redis.call('HSET', KEYS[1], ARGV[1], value, '', fmt(expires + margin))
  redis.call('PEXPIRE', KEYS[1], math.ceil(expires + margin - now))
  redis.call('PEXPIRE', KEYS[2], math.ceil(expires + margin - now))
else
  redis.call('HSET', KEYS[1], ARGV[1], value)
end
return {1, value}
`;

// KEYS: resource set, then per resource its hash and index. ARGV: now ('' = TIME), agent
// filter ('' = any, else '=' .. agent), then the resource names. One page of resources: the
// caller walks the set with SSCAN, so no call holds Redis for long. Live claims as agent,
// resource, value triples; expired entries go, and resources with nothing left leave the set.
export const LIST_PAGE_SCRIPT = `${COMMON}
local now = clocknow(ARGV[1])
local filtered = ARGV[2] ~= ''
local want = string.sub(ARGV[2], 2)
local out = {}
for r = 3, #ARGV do
  local resource = ARGV[r]
  local H, I = KEYS[2 * (r - 2)], KEYS[2 * (r - 2) + 1]
  local entries = redis.call('HGETALL', H)
  if #entries == 0 then redis.call('SREM', KEYS[1], resource); redis.call('DEL', I) end
  for i = 1, #entries, 2 do
    local agent, value = entries[i], entries[i + 1]
    if agent ~= '' then
      local _, _, _, cx = parse(value)
      if cx <= now then
        redis.call('HDEL', H, agent)
        redis.call('ZREM', I, agent)
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

// KEYS: resource hash. ARGV: now ('' = TIME). Live entries of one resource as agent, value pairs.
export const LIST_RESOURCE_SCRIPT = `${COMMON}
local now = clocknow(ARGV[1])
local entries = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #entries, 2 do
  if entries[i] ~= '' then
    local _, _, _, cx = parse(entries[i + 1])
    if cx > now then
      out[#out + 1] = entries[i]
      out[#out + 1] = entries[i + 1]
    end
  end
end
return out
`;

// KEYS: seq counter, all-discoveries stream, topic stream. ARGV: agent, topic, content, at,
// max count (0 = unbounded), max age ms (0 = unbounded). Retention by count trims both
// streams approximately (whole stream nodes, O(1) amortized); by age, each write drops up to
// two of the oldest entries older than at - max age, so old entries leave as fast as new ones
// come.
export const DISCOVER_SCRIPT = `
local seq = redis.call('INCR', KEYS[1])
local id = seq .. '-0'
local max = tonumber(ARGV[5])
if max > 0 then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', max, id, 'a', ARGV[1], 't', ARGV[2], 'c', ARGV[3], 'at', ARGV[4])
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', max, id, 'a', ARGV[1], 't', ARGV[2], 'c', ARGV[3], 'at', ARGV[4])
else
  redis.call('XADD', KEYS[2], id, 'a', ARGV[1], 't', ARGV[2], 'c', ARGV[3], 'at', ARGV[4])
  redis.call('XADD', KEYS[3], id, 'a', ARGV[1], 't', ARGV[2], 'c', ARGV[3], 'at', ARGV[4])
end
local age = tonumber(ARGV[6])
if age > 0 then
  local cutoff = tonumber(ARGV[4]) - age
  for k = 2, 3 do
    for _, entry in ipairs(redis.call('XRANGE', KEYS[k], '-', '+', 'COUNT', 2)) do
      if tonumber(entry[2][8]) < cutoff then redis.call('XDEL', KEYS[k], entry[1]) else break end
    end
  end
end
return seq
`;
