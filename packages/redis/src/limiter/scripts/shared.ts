// Lua for the Redis limiter. Per limiter key K (all under the team's hash tag):
//   H  hash  r, t, c          running sums of the entries in W (requests, tokens, cost in nanos)
//            pr, pt           paused until (provider feedback), clock ms
//            qn               number of tickets in Q (0 or missing: nobody waits)
//            ev               when W next holds entries worth evicting (clock ms)
//            keep             until when H and W are kept (garbage collection only)
//            q:<ticket>       a queued acquire: "deadline|r|t|c"
//   W  zset  "id|r|t|c" -> admittedAt (windowed rules only): one member per admission, its
//            weight in the member itself, so eviction reads nothing else
//   Q  zset  ticket -> ticket number: the cross-process FIFO queue of waiting acquires
// Time is always ARGV (the caller's clock), never the server's TIME.
//
// Eviction is batched: an admission that fits even with entries that have just left the
// window still counted (the sums only shrink when they go) is admitted without touching W
// beyond its own ZADD; entries leave in batches once `ev` passes (at most windowMs/8 late),
// and at once whenever a refusal, a retryAfterMs or usage() needs exact sums. So the hot path
// is HMGET, HSET, ZADD, and every answer a caller can see is exact.
import { LUA_FMT, LUA_NUM, LUA_SPLIT } from '../../internal/lua.js';

/** `wake(spec, name)`: publishes a wake for key `name` on the team's wake stream. */
export const CH = `
-- ARGV channel is "origin|wake stream": a wake is an entry "origin|key" on the team's wake
-- stream (read by each process's one blocking reader), and its sender ignores its own.
local function wake(spec, name)
  local sep = string.find(spec, '|', 1, true)
  redis.call('XADD', string.sub(spec, sep + 1), 'MAXLEN', '~', 256, '*', 'w',
    string.sub(spec, 1, sep - 1) .. '|' .. name)
end

`;

/** Helpers every script that reads or writes sums needs: num, split, fmt, fits, inf, wake. */
export const COMMON = `${LUA_NUM}${LUA_SPLIT}${LUA_FMT}
local INF = math.huge
local function fits(used, weight, limit) return used < limit and used + weight <= limit end
local function inf(x) if x == INF then return 'inf' end return fmt(x) end
${CH}`;

/** Loading, eviction and saving of one key's state; `now` must be a local declared before. */
export const LOAD = `
local function load(k)
  local v = redis.call('HMGET', k.H, 'r', 't', 'c', 'pr', 'pt', 'qn', 'ev', 'keep')
  k.used = {tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0}
  k.pr = tonumber(v[4]) or -INF
  k.pt = tonumber(v[5]) or -INF
  k.qn = tonumber(v[6]) or 0
  k.ev = (v[7] and num(v[7])) or -INF
  k.keep = tonumber(v[8]) or -INF
  k.dirty = false
  k.exact = not k.ruled or k.win == INF
end
-- Drops every entry with now - at >= window from W and the sums, and notes when the next
-- batch is due (the oldest remaining entry's exit plus an eighth of the window).
local function evict(k)
  if k.exact then return end
  k.exact = true
  local cutoff = now - k.win
  local gone = redis.call('ZRANGEBYSCORE', k.W, '-inf', cutoff)
  if #gone > 0 then
    -- One pattern match per member (no table, no substrings loop): this runs once for every
    -- admission that ever leaves a window.
    local r, t, c = 0, 0, 0
    for _, m in ipairs(gone) do
      local mr, mt, mc = string.match(m, '|([^|]*)|([^|]*)|([^|]*)$')
      r, t, c = r + tonumber(mr), t + tonumber(mt), c + tonumber(mc)
    end
    k.used[1], k.used[2], k.used[3] = k.used[1] - r, k.used[2] - t, k.used[3] - c
    redis.call('ZREMRANGEBYSCORE', k.W, '-inf', cutoff)
  end
  local oldest = redis.call('ZRANGE', k.W, 0, 0, 'WITHSCORES')
  if oldest[2] then k.ev = tonumber(oldest[2]) + k.win * 1.125 else k.ev = INF end
  k.dirty = true
end
local function save(k)
  redis.call('HSET', k.H, 'r', fmt(k.used[1]), 't', fmt(k.used[2]), 'c', fmt(k.used[3]), 'ev', inf(k.ev))
  k.dirty = false
end
`;
