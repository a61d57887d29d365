// Lua for the Redis bus. A topic is one stream; a message is one entry with id `0-<seq>` and
// one field: name = the sender, value = "<at>|<stamp>:<prev>:<key>|<body JSON>".
//   stamp  a per-topic mark that only grows: max(prev + 1, server TIME in µs). The server's
//          time moves on across a restart or a failover while the stream may go back, so a
//          message written after lost writes never carries the stamp of one written before.
//   prev   the stamp of the entry before it (0 for the first): a reader that saw seq n with
//          stamp s knows that the entry n + 1 it reads follows it only if its prev is s.
//   key    the post's idempotency key: a retry that names it finds the first attempt.

/**
 * KEYS: topic stream. ARGV: from, at, body, key, retry ('1': look for the key among the
 * newest entries first), max count (0 = unbounded), max age ms (0 = unbounded).
 * Returns {id, stamp, prev, found}: found = 1 when a retry found its first attempt.
 */
export const POST_SCRIPT = `
local key = ARGV[4]
if ARGV[5] == '1' then
  for _, entry in ipairs(redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 256)) do
    local stamp, prev, k = string.match(entry[2][2], '^[^|]*|(%d+):(%d+):([^|]*)|')
    if k == key then return {entry[1], stamp, prev, 1} end
  end
end
local prev = 0
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if last then prev = tonumber(string.match(last[2][2], '^[^|]*|(%d+):') or '0') end
local t = redis.call('TIME')
local stamp = math.max(prev + 1, tonumber(t[1]) * 1000000 + tonumber(t[2]))
local s, p = string.format('%d', stamp), string.format('%d', prev)
local value = ARGV[2] .. '|' .. s .. ':' .. p .. ':' .. key .. '|' .. ARGV[3]
local max = tonumber(ARGV[6])
local id
if max > 0 then
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', max, '0-*', ARGV[1], value)
else
  id = redis.call('XADD', KEYS[1], '0-*', ARGV[1], value)
end
local age = tonumber(ARGV[7])
if age > 0 then
  -- Up to two of the oldest entries older than at - age leave per post (never the newest).
  local cutoff = tonumber(ARGV[2]) - age
  for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 2)) do
    if entry[1] == id or tonumber(string.match(entry[2][2], '^([^|]*)|')) >= cutoff then break end
    redis.call('XDEL', KEYS[1], entry[1])
  end
end
return {id, s, p, 0}
`;
