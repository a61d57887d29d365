// Lua for the Redis session store. Keys (all under the team's hash tag):
//   ss:s:<id>   hash    r = revision, j = snapshot JSON
//   ss:ids      zset    session ids with a snapshot (score 0: ZRANGE sorts them by name)
//   ss:h:<id>   list    history, one JSON message per position
//   ss:seq      string  the log's last seq
//   ss:log      stream  every log line, id <seq>-0, fields s, t, at, d
//   ss:l:<id>   stream  one session's log lines, same ids

/** KEYS: ss:s:<id>, ss:ids. ARGV: revision, json, id. 1 when written, 0 when older or equal. */
export const SAVE_SNAPSHOT_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'r')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[1], 'j', ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[3])
return 1
`;

/**
 * KEYS: ss:h:<id>. ARGV: fromIndex, messages... Appends the messages past the stored end;
 * returns -1 - length when fromIndex is past it (a gap: nothing written), else the new length.
 */
export const APPEND_HISTORY_SCRIPT = `
local length = redis.call('LLEN', KEYS[1])
local from = tonumber(ARGV[1])
if from > length then return -1 - length end
local first = length - from + 2
if first <= #ARGV then redis.call('RPUSH', KEYS[1], unpack(ARGV, first)) end
return math.max(length, from + #ARGV - 1)
`;

/**
 * KEYS: ss:seq, ss:log, then one ss:l:<id> per entry. ARGV: per entry sessionId, type, at,
 * data (4 each). All lines or none: the script checks nothing that can fail half-way.
 */
export const APPEND_LOG_SCRIPT = `
local n = #ARGV / 4
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
for i = 1, n do
  local s, t, at, d = ARGV[4 * i - 3], ARGV[4 * i - 2], ARGV[4 * i - 1], ARGV[4 * i]
  seq = seq + 1
  local id = string.format('%d', seq) .. '-0'
  redis.call('XADD', KEYS[2], id, 's', s, 't', t, 'at', at, 'd', d)
  redis.call('XADD', KEYS[2 + i], id, 's', s, 't', t, 'at', at, 'd', d)
end
redis.call('SET', KEYS[1], string.format('%d', seq))
return seq
`;
