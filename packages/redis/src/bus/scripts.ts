// Lua for the Redis bus. A topic is one stream; a message is one entry with id `0-<seq>` and
// one field: name = the sender, value = "<at>|<key>|<body JSON>", where key is the post's
// idempotency key (unique per post: a fresh one unless the caller names one). A plain post is
// one XADD; this script runs only for a post that names its key (a retry: it looks for its
// first attempt first) or a topic with an age limit.

/**
 * KEYS: topic stream. ARGV: from, value, key, retry ('1': look for the key among the 256
 * newest entries first), max count (0 = unbounded), max age ms (0 = unbounded), at.
 * Returns {id, found}: found = 1 when a retry found its first attempt (nothing written).
 */
export const POST_SCRIPT = `
if ARGV[4] == '1' then
  for _, entry in ipairs(redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 256)) do
    if string.match(entry[2][2], '^[^|]*|([^|]*)|') == ARGV[3] then return {entry[1], 1} end
  end
end
local max = tonumber(ARGV[5])
local id
if max > 0 then
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', max, '0-*', ARGV[1], ARGV[2])
else
  id = redis.call('XADD', KEYS[1], '0-*', ARGV[1], ARGV[2])
end
local age = tonumber(ARGV[6])
if age > 0 then
  -- Up to two of the oldest entries older than at - age leave per post (never the newest).
  local cutoff = tonumber(ARGV[7]) - age
  for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 2)) do
    if entry[1] == id or tonumber(string.match(entry[2][2], '^([^|]*)|')) >= cutoff then break end
    redis.call('XDEL', KEYS[1], entry[1])
  end
end
return {id, 0}
`;
